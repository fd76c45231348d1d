"""Moving visits into their own app (grids → visits) moves no row: on a database that already
holds visits, photos and reminders, the migrations apply and the rows read through the new
models, with their content types (and so their permissions) following them."""

import datetime
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from grids.visits.models import Reminder, Visit, VisitPhoto
from grids.visits.selectors import visits_visible_to
from tests.factories import previous_fengshi_day

# The last state with the models in grids: grids' leaf before the move, visits not there.
OLD_GRIDS_LEAF = ("grids", "0005_id_number_refusals")
BEFORE = [OLD_GRIDS_LEAF, ("visits", None)]


def _cycle() -> datetime.date:
    """The last 逢十 day before today: the old rows are dated from the clock, not the calendar."""
    return previous_fengshi_day(timezone.localdate())


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()
    return executor


def _old_world(apps) -> dict:
    """A township down to a household, a user, one visit with a photo and one reminder, written
    through the historical models of the state before the move."""
    user = apps.get_model("auth", "User").objects.create(username="old-grid-worker", is_superuser=True)
    township = apps.get_model("grids", "Township").objects.create(name="旧镇", code="OLD-T")
    village = apps.get_model("grids", "Village").objects.create(township=township, name="旧村", code="OLD-V")
    grid = apps.get_model("grids", "Grid").objects.create(township=township, village=village, number=1, name="一网格")
    household = apps.get_model("grids", "Household").objects.create(
        township=township, village=village, grid=grid, number="OLD-1", head_name="王旧"
    )
    visited_at = timezone.make_aware(datetime.datetime.combine(_cycle(), datetime.time(9, 30)))
    visit = apps.get_model("grids", "Visit").objects.create(
        author=user,
        client_uuid=uuid.uuid4(),
        fingerprint="f" * 64,
        township=township,
        village=village,
        grid=grid,
        household=household,
        visited_at=visited_at,
        visited_on=visited_at.date(),
        method="home",
        met="head",
        notes="屋顶漏雨",
    )
    photo = apps.get_model("grids", "VisitPhoto").objects.create(
        visit=visit, image="visits/1/old.jpg", width=10, height=20, size=300
    )
    reminder = apps.get_model("grids", "Reminder").objects.create(
        user=user, cycle=_cycle(), kind="morning", sent_at=visited_at
    )
    content_type = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="grids", model="visit"
    )[0]
    return {"user": user, "visit": visit, "photo": photo, "reminder": reminder, "content_type": content_type.pk}


@pytest.mark.django_db(transaction=True)
def test_visits_and_reminders_survive_the_move_to_the_visits_app():
    try:
        old_apps = _migrate(BEFORE).loader.project_state([OLD_GRIDS_LEAF]).apps
        old = _old_world(old_apps)
        permission = old_apps.get_model("auth", "Permission").objects.get_or_create(
            content_type_id=old["content_type"], codename="view_visit", defaults={"name": "Can view visit"}
        )[0]

        _migrate(None)

        visit = Visit.objects.select_related("household", "author").get(pk=old["visit"].pk)
        assert (visit.notes, visit.household.head_name, visit.author.username) == (
            "屋顶漏雨",
            "王旧",
            "old-grid-worker",
        )
        assert visit.get_method_display() == Visit.Method.HOME.label
        assert list(VisitPhoto.objects.filter(visit=visit).values_list("pk", "width")) == [(old["photo"].pk, 10)]
        reminder = Reminder.objects.get(pk=old["reminder"].pk)
        assert (reminder.cycle, reminder.kind, reminder.user_id) == (
            _cycle(),
            "morning",
            visit.author_id,
        )
        assert list(visits_visible_to(visit.author).values_list("pk", flat=True)) == [visit.pk]
        # The content type row followed the model: same id, new label, its permission with it.
        content_type = ContentType.objects.get_for_model(Visit)
        assert (content_type.pk, content_type.app_label) == (old["content_type"], "visits")
        assert Permission.objects.get(pk=permission.pk).content_type_id == content_type.pk
        assert not ContentType.objects.filter(app_label="grids", model__in=["visit", "visitphoto", "reminder"]).exists()
        # The rows are where they were: no table was created, renamed or copied.
        assert Visit._meta.db_table == "grids_visit"
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM grids_visit")
            assert cursor.fetchone() == (1,)
    finally:
        # Leave the database as every other test expects it, whatever happened above.
        _migrate(None)
