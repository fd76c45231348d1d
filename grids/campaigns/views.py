"""The campaign pages: the list, making one (its form from the library or an XLSForm), one
campaign with its progress and the counts of its answers (start, close, export), the grid
staff's tasks, and answering one household's task.

Checked in the contract's order: out of scope 404 (the same selectors as the API), the role 403,
the state 409 (the page again with the message), the input 400 (next to the field). Each write
is one service call, once per form token; an answer's form token is its client UUID, so a
double tap or a resend after a dropped connection finds the stored answer.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from governance.errors import Conflict, Forbidden
from governance.forms import save_form
from governance.roles import CAMPAIGN_ANSWERERS, CAMPAIGN_ORGANISERS, CAMPAIGN_READERS
from governance.scoping import require_any_role, scope_for, villages_for
from grids.campaigns import services
from grids.campaigns.forms import CHOICE_BOXES, CampaignForm, question_rows
from grids.campaigns.models import Campaign, Task
from grids.campaigns.questionnaire import Form, kind_labels
from grids.campaigns.selectors import campaigns_visible_to, open_tasks_for, progress, summary, tasks_visible_to
from grids.models import Township
from grids.visits.views import outbox_context

PER_PAGE = 30


def _require_reader(user) -> None:
    if not user.is_superuser:
        require_any_role(user, CAMPAIGN_READERS | CAMPAIGN_ANSWERERS, _("Campaigns are for the staff of places."))


@login_required
def campaign_list(request):
    """The campaigns of the reader's places, newest first, each with its done and total."""
    user = request.user
    _require_reader(user)
    campaigns = campaigns_visible_to(user).select_related("township", "village")
    page = Paginator(campaigns, PER_PAGE).get_page(request.GET.get("page"))
    ids = [campaign.pk for campaign in page.object_list]
    done = dict(
        Task.objects.filter(campaign_id__in=ids, follows__isnull=True, state=Task.State.DONE)
        .values("campaign_id")
        .annotate(n=Count("id"))
        .values_list("campaign_id", "n")
    )
    rows = list(page.object_list)
    for campaign in rows:
        campaign.done = done.get(campaign.pk, 0)
        campaign.percent = round(100 * campaign.done / campaign.task_count) if campaign.task_count else 0
    context = {
        "page": page,
        "rows": rows,
        "may_organise": user.is_superuser or scope_for(user).has_any_role(CAMPAIGN_ORGANISERS),
        # The way to one's to-do, for those who visit households; not for the superuser, whose
        # count would be every open task of the district (120 ms of the page at scale).
        "open_tasks": open_tasks_for(user).count() if answers_tasks(user) else 0,
    }
    return render(request, "campaigns/list.html", context)


def answers_tasks(user) -> bool:
    """Whether the user has a to-do of campaign tasks: by a visitor's role, not as superuser."""
    return not user.is_superuser and scope_for(user).has_any_role(CAMPAIGN_ANSWERERS)


@login_required
def campaign_create(request):
    """A township official or a village cadre makes a draft: what, when, who, and its form."""
    user = request.user
    if not user.is_superuser:
        require_any_role(user, CAMPAIGN_ORGANISERS, _("Campaigns are made by the township and the village cadres."))
    villages = villages_for(user, CAMPAIGN_ORGANISERS).order_by("code")
    posted = request.method == "POST"
    form = CampaignForm(request.POST if posted else None, request.FILES if posted else None, villages=villages)
    status = 200
    if posted:
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            village = data["village"]
            township = village.township if village else _township_of(user, villages)

            def perform():
                campaign = services.campaign_create(
                    actor=user,
                    township=township,
                    village=village,
                    title=data["title"],
                    purpose=data["purpose"],
                    starts_on=data["starts_on"],
                    due_on=data["due_on"],
                    retention_days=data["retention_days"],
                    villages=data["villages"],
                    tags=data["tags"],
                    form=data["form"],
                    form_source=data["form_source"],
                )
                return reverse("campaigns:campaign-detail", args=[campaign.pk])

            done = save_form(request, form, perform=perform, done=_("The campaign is saved as a draft."))
            if done:
                return done
    return render(request, "campaigns/form.html", {"form": form}, status=status)


def _township_of(user, villages) -> Township:
    """The township of a township campaign: the one the organiser's villages are in."""
    townships = sorted({village.township_id for village in villages})
    if len(townships) != 1:
        raise ValidationError(_("Choose the township."))
    return Township.objects.get(pk=townships[0])


def _campaign(user, pk) -> Campaign:
    return get_object_or_404(campaigns_visible_to(user).select_related("township", "village"), pk=pk)


def _detail_context(user, campaign: Campaign) -> dict:
    tasks = tasks_visible_to(user)
    form = Form.from_json(campaign.form) if campaign.form else None
    counted = summary(campaign, tasks=tasks)
    charts = []
    for question in form.questions if form else ():
        counts = counted["choices"].get(question.name)
        if counts is None:
            continue
        total = sum(counts.values()) or 1
        charts.append(
            {
                "label": question.label,
                "bars": [
                    {
                        "label": label,
                        "count": counts.get(value, 0),
                        "percent": round(100 * counts.get(value, 0) / total),
                    }
                    for value, label in question.all_choices()
                ],
            }
        )
    organiser = services.may_organise(user, township_id=campaign.township_id, village_id=campaign.village_id)
    return {
        "campaign": campaign,
        "questions": [
            (q, kind_labels()[q.kind], [(q.choice_label(f.when), f) for f in q.findings])
            for q in (form.questions if form else ())
        ],
        "tables": [
            (by_what, progress(campaign, by=by_what, tasks=tasks))
            for by_what in (("grid",) if campaign.village_id else ("village", "grid"))
        ],
        "answered": counted["answered"],
        "charts": charts,
        "may_start": organiser and campaign.state == Campaign.State.DRAFT,
        "may_close": organiser and campaign.state == Campaign.State.STARTED,
        "token": uuid.uuid4(),
    }


@login_required
def campaign_detail(request, pk):
    user = request.user
    _require_reader(user)
    campaign = _campaign(user, pk)
    return render(request, "campaigns/detail.html", _detail_context(user, campaign))


ACTIONS = {
    "start": (services.campaign_start, _("The campaign is under way: every household is on its grid's to-do.")),
    "close": (services.campaign_close, _("The campaign is closed.")),
}


@login_required
@require_POST
def campaign_action(request, pk, action):
    """Start or close a campaign (the organisers); a refusal shows the campaign with the reason."""
    user = request.user
    campaign = _campaign(user, pk)
    if action not in ACTIONS:
        raise PermissionDenied(_("No such step."))
    service, done = ACTIONS[action]
    try:
        service(campaign=campaign, actor=user)
    except Forbidden as error:
        raise PermissionDenied(str(error.message))
    except (Conflict, ValidationError) as error:
        text = error.message if isinstance(error, Conflict) else " ".join(error.messages)
        messages.error(request, str(text))
        status = 409 if isinstance(error, Conflict) else 400
        return render(request, "campaigns/detail.html", _detail_context(user, _campaign(user, pk)), status=status)
    messages.success(request, str(done))
    return redirect("campaigns:campaign-detail", pk=pk)


@login_required
def task_list(request):
    """The caller's households to answer, the most pressing first (the grid staff's to-do)."""
    user = request.user
    if not user.is_superuser:
        require_any_role(user, CAMPAIGN_ANSWERERS, _("Your role does not visit households."))
    tasks = open_tasks_for(user)
    campaign = request.GET.get("campaign", "")
    if campaign.isdigit():  # one campaign's (the visit to-do links here so), as the API's ?campaign=
        tasks = tasks.filter(campaign_id=campaign)
    page = Paginator(tasks, PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "rows": page.object_list, "today": timezone.localdate(), **outbox_context(request)}
    return render(request, "campaigns/tasks.html", context)


def _posted_answers(request, form: Form, actor) -> dict:
    """The answers as the page posted them; a photo is uploaded first and named by its token."""
    answers = {}
    for question in form.questions:
        if not question.answerable:
            continue
        if question.kind == "select_multiple":
            answers[question.name] = request.POST.getlist(question.name)
        elif question.kind == "photo":
            upload = request.FILES.get(question.name)
            if upload:
                answers[question.name] = services.answer_photo_upload(actor=actor, upload=upload).token
        else:
            answers[question.name] = request.POST.get(question.name, "")
    return answers


@login_required
def task_answer(request, pk):
    """Answer one household's task: the campaign's questions, those whose condition holds shown
    (the script shows and hides them as answers change; without it all are shown, and the
    server drops the answers whose condition does not hold)."""
    user = request.user
    task = get_object_or_404(tasks_visible_to(user).select_related("campaign", "household", "grid"), pk=pk)
    form = Form.from_json(task.campaign.form)
    values, errors, status = dict(task.answers or {}), {}, 200
    if request.method == "POST":
        values = {}
        try:
            token = uuid.UUID(request.POST.get("form_token", ""))
        except ValueError:
            token = None
        try:
            if token is None:
                raise ValidationError(
                    {"form_token": _("This form has expired. Please check the details and send it again.")}
                )
            answers = _posted_answers(request, form, user)
            values = answers
            _stored, created = services.task_answer(actor=user, task=task, client_uuid=token, answers=answers)
        except Forbidden as error:
            raise PermissionDenied(str(error.message))
        except Conflict as error:
            messages.error(request, str(error.message))
            status = 409
        except ValidationError as error:
            errors = {field: " ".join(texts) for field, texts in error.message_dict.items()}
            status = 400
        else:
            if created:
                messages.success(request, _("Saved: %(household)s.") % {"household": task.household})
            else:
                messages.info(request, _("This form had already been sent; nothing was saved twice."))
            return redirect("campaigns:campaign-tasks")
    task.refresh_from_db()
    context = {
        "task": task,
        "rows": question_rows(form, values, errors),
        "errors": errors,
        "token": uuid.uuid4(),
        "answered": task.state == Task.State.DONE,
        "display": [
            (q.label, form.display(q, (task.answers or {}).get(q.name))) for q in form.questions if q.answerable
        ],
        "choice_kinds": CHOICE_BOXES,
        # The phone's outbox (grids.visits): the answer is kept there until the server has it.
        **outbox_context(request),
    }
    return render(request, "campaigns/answer.html", context, status=status)
