"""The matters waiting for a person are kept in the cache until a matter of theirs changes
(petitions.queue, issue 19): the menu's badge on every page costs no query then, and any
write to a matter, a post given, or a grant shows at the next page."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.models import Assignment
from petitions import services as s
from petitions.models import Kind, State
from petitions.selectors import matters_waiting_for
from tests.api.matter_states import civil


def _page(client) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/households/")
    assert response.status_code == 200
    return response.context["nav"]["matters_waiting"], [q["sql"] for q in queries.captured_queries]


def _reads_queue(sqls, user) -> bool:
    with CaptureQueriesContext(connection) as queue:
        list(matters_waiting_for(user).values_list("pk", flat=True))
    queue_sql = queue.captured_queries[-1]["sql"]  # after the scope, when it was not read yet
    return any(sql == queue_sql for sql in sqls)


def test_the_badge_is_read_once_and_again_after_a_matter_of_the_township_changes(mw, client):
    cadre = mw.users.cadre
    matter = civil(mw, State.SUBMITTED)  # waits for the cadre to classify it
    client.force_login(cadre)
    count, sqls = _page(client)
    assert count == len(matters_waiting_for(cadre)) >= 1
    assert _reads_queue(sqls, cadre)
    again, sqls = _page(client)
    assert again == count and not _reads_queue(sqls, cadre)  # from the cache

    civil(mw, State.SUBMITTED)  # a new matter in the cadre's township
    more, sqls = _page(client)
    assert more == count + 1 and _reads_queue(sqls, cadre)

    s.matter_classify(matter=matter, actor=cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    after, _sqls = _page(client)
    assert after == len(matters_waiting_for(cadre))


def test_a_post_given_changes_the_key(mw, client):
    grid2 = mw.users.grid2
    civil(mw, State.SUBMITTED)
    client.force_login(grid2)
    before, _sqls = _page(client)
    Assignment.objects.create(
        user=grid2, role="village_cadre", township=mw.weituo, village=mw.qixing, valid_from=datetime.date.today()
    )
    after, sqls = _page(client)
    assert _reads_queue(sqls, grid2)
    assert after == len(matters_waiting_for(grid2)) > before
