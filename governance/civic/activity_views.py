"""The activity pages: the list (latest first, with what is left to do), record (new), and one
activity with its participants, photos (staff only) and the form proposing ONE points batch.

Checked in the contract's order: out of scope 404 (the same selector as the list), the reader's
role 403, the activity's state 409 (the page again with the message), the input 400 (next to
the field). Each write is one service call, once per form token.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from governance.civic import activities as a
from governance.civic import activity_forms as f
from governance.civic.access import require_civic_reader
from governance.civic.models import ActivityPhoto
from governance.errors import Forbidden
from governance.files import private_photo_view
from governance.record_pages import create_page, record_step
from governance.roles import ACTIVITY_RECORDERS, GRID_ROLES
from governance.scoping import require_any_role, scope_for, villages_for
from grids.models import Grid

PER_PAGE = 30

activity_photo = private_photo_view(model=ActivityPhoto, parent="activity", visible_to=a.activities_visible_to)


def _mark(user, activities) -> list:
    rows = list(activities)
    for activity in rows:
        activity.may_record = a.may_record(user, activity)
        activity.next_label = (
            _("Propose points for the participants")
            if activity.may_record and activity.award_batch_id is None and activity.participant_count
            else None
        )
    return rows


@login_required
def activity_list(request):
    """The activities of the reader's villages, latest first."""
    user = request.user
    require_civic_reader(user)
    page = Paginator(a.activities_visible_to(user), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": _mark(user, page.object_list),
        "may_record": user.is_superuser or scope_for(user).has_any_role(ACTIVITY_RECORDERS),
    }
    return render(request, "civic/activities/list.html", context)


@login_required
def activity_create(request):
    """Record an activity with its participants and photos (a cadre, grid staff)."""
    user = request.user
    if not user.is_superuser:
        require_any_role(user, ACTIVITY_RECORDERS, a.NOT_A_RECORDER)
    villages = villages_for(user, ACTIVITY_RECORDERS).order_by("code")
    whole_village = user.is_superuser or villages_for(user, ACTIVITY_RECORDERS - GRID_ROLES).exists()
    own_grid = None if whole_village else scope_for(user).ids_for(GRID_ROLES)
    posted = request.method == "POST"
    form = f.ActivityForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        villages=villages,
        grids=Grid.objects.active()
        .filter(village__in=villages.values("pk"))
        .select_related("village")
        .order_by("village_id", "number"),
        residents=a.participants_for(user),
        whole_village=whole_village,
        initial={"grid": min(own_grid)} if own_grid else None,
    )
    return create_page(
        request,
        form,
        create=a.activity_record,
        detail="civic:activity-detail",
        done=_("Activity recorded."),
        template="civic/activities/form.html",
    )


def _activity_for(user, pk):
    return get_object_or_404(a.activity_detail_queryset(user), pk=pk)


ACTIONS = ("photos", "points")


def _form(user, activity, action, data=None, files=None):
    if action == "photos":
        return f.PhotosForm(data, files, prefix=action)
    return f.PointsForm(data, prefix=action, rules=a.activity_rules(activity.village_id, user))


def _detail_page(request, activity, bound=None, status=200):
    user = request.user
    (activity,) = _mark(user, [activity])
    forms_ = {}
    if activity.may_record:
        forms_["photos"] = _form(user, activity, "photos")
        if activity.award_batch_id is None and activity.participant_count:
            forms_["points"] = _form(user, activity, "points")
    if bound is not None:
        forms_[bound.prefix] = bound
    batch = activity.award_batch
    awards = list(batch.awards.select_related("account__household").order_by("pk")) if batch else []
    context = {
        "activity": activity,
        "forms": forms_,
        "participants": list(activity.participants.all()),
        "photos": list(activity.photos.all()),
        "batch": batch,
        "awards": awards,
    }
    return render(request, "civic/activities/detail.html", context, status=status)


@login_required
def activity_detail(request, pk):
    require_civic_reader(request.user)
    return _detail_page(request, _activity_for(request.user, pk))


@login_required
@require_POST
def activity_action(request, pk, action):
    """More photos, or the points batch: 404, 403, 409, 400, once."""
    user = request.user

    def step(activity, show):
        def check():
            if not a.may_record(user, activity):
                raise Forbidden(a.NOT_A_RECORDER)

        def perform(data):
            if action == "photos":
                a.activity_add_photos(activity=activity, actor=user, photos=data["photos"])
            else:
                a.activity_propose_points(activity=activity, actor=user, **data)

        done = (
            _("Photos added.")
            if action == "photos"
            else _("Points proposed: shown publicly (公示) first, then a village cadre approves.")
        )

        def form():
            return _form(user, activity, action, request.POST, request.FILES)

        return {"check": check, "form": form, "perform": perform, "done": done}

    return record_step(
        request,
        pk,
        action,
        actions=ACTIONS,
        record_for=_activity_for,
        detail="civic:activity-detail",
        page=_detail_page,
        step=step,
    )
