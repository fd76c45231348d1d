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
from django.db.models import Count, F
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from governance.dashboards import chart
from governance.errors import Conflict, Forbidden
from governance.forms import save_form
from governance.roles import CAMPAIGN_ANSWERERS, CAMPAIGN_ORGANISERS, CAMPAIGN_READERS
from governance.scoping import places_reached, require_any_role, scope_for, villages_for
from grids.campaigns import builder, services
from grids.campaigns.forms import (
    CHOICE_BOXES,
    CREATE_FIELDS,
    CampaignForm,
    FormStepForm,
    QuestionForm,
    TaskFilterForm,
    question_rows,
)
from grids.campaigns.models import Campaign, Task
from grids.campaigns.questionnaire import YES_NO, Form, kind_labels
from grids.campaigns.selectors import (
    campaigns_visible_to,
    filter_tasks,
    open_tasks_for,
    progress,
    summary,
    tasks_url,
    tasks_visible_to,
)
from grids.models import Grid
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
    # Only a township's organisers make the township's campaigns; a village cadre their village's.
    for_township = user.is_superuser or bool(places_reached(user, CAMPAIGN_ORGANISERS)[0])
    posted = request.method == "POST"
    form = CampaignForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        villages=villages,
        for_township=for_township,
    )
    status = 200
    if posted:
        status = 400
        if form.is_valid():
            data = form.cleaned_data

            def perform():
                values = {name: data[name] for name in CREATE_FIELDS}
                campaign = services.campaign_create(actor=user, **values)
                # No form yet (to be built question by question): straight to the builder.
                where = "campaigns:campaign-detail" if campaign.form else "campaigns:campaign-questions"
                return reverse(where, args=[campaign.pk])

            done = save_form(request, form, perform=perform, done=_("The campaign is saved as a draft."))
            if done:
                return done
    return render(request, "campaigns/form.html", {"form": form}, status=status)


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
        choices = question.all_choices()
        charts.append(
            {
                "id": f"chart-{question.name}",
                "label": question.label,
                # Drawn by static/js/charts.js as the dashboards' charts are; the bars are the
                # figures without scripts.
                "data": chart(
                    [label for _value, label in choices],
                    [{"name": _("answers"), "data": [counts.get(value, 0) for value, _label in choices]}],
                    unit=_("answers"),
                ),
                "bars": [
                    {
                        "label": label,
                        "count": counts.get(value, 0),
                        "percent": round(100 * counts.get(value, 0) / total),
                    }
                    for value, label in choices
                ],
            }
        )
    organiser = services.may_organise(user, township_id=campaign.township_id, village_id=campaign.village_id)
    stored = list(campaign.form or [])
    categories = _category_names(stored)
    return {
        "campaign": campaign,
        "questions": [
            {
                "q": q,
                "kind": kind_labels()[q.kind],
                # The condition and the check in words where the builder's picker has them.
                "relevant": builder.condition_words(stored[:index], q.relevant or ""),
                "check": builder.check_words(q.kind, q.constraint or ""),
                "findings": [
                    (q.choice_label(f.when), categories.get(f.category, f.category) if f.category else "", f)
                    for f in q.findings
                ],
            }
            for index, q in enumerate(form.questions if form else ())
        ],
        "form_source": source_words(campaign.form_source),
        "coverage": _coverage(campaign),
        "tables": [
            (by_what, _linked(campaign, by_what, progress(campaign, by=by_what, tasks=tasks)))
            for by_what in (("grid",) if campaign.village_id else ("village", "grid"))
        ],
        "tasks_url": tasks_url(campaign.pk),
        "answered": counted["answered"],
        "charts": charts,
        "may_start": organiser and campaign.state == Campaign.State.DRAFT,
        "may_edit_form": organiser and campaign.state == Campaign.State.DRAFT,
        "may_close": organiser and campaign.state == Campaign.State.STARTED,
        "token": uuid.uuid4(),
    }


def _category_names(form: list[dict]) -> dict[str, str]:
    """The matter categories a form's findings name, code → name (a retired one too)."""
    from petitions.models import MatterCategory

    codes = {f.get("category") for q in form for f in q.get("findings") or [] if f.get("category")}
    if not codes:
        return {}
    return dict(MatterCategory.objects.filter(code__in=codes).values_list("code", "name"))


def source_words(source: str) -> str:
    """Where a campaign's form came from, in words: the library's template by its title, the
    uploaded XLSForm by its file name, the builder."""
    from grids.campaigns.library import TEMPLATES

    source = source or ""
    edited = source.endswith("+builder")
    source = source.removesuffix("+builder")
    kind, _sep, name = source.partition(":")
    if kind == "template":
        template = TEMPLATES.get(name)
        words = _("From the library: %(title)s") % {"title": template.title if template else name}
    elif kind == "xlsform":
        words = _("From the uploaded XLSForm %(file)s") % {"file": name}
    elif kind == "api":
        words = _("Sent through the API")
    elif kind in ("builder", ""):
        return _("Built question by question") if source or edited else ""
    else:
        words = source
    return _("%(source)s, edited question by question") % {"source": words} if edited else words


def _coverage(campaign: Campaign) -> str:
    """Who the campaign covers, in words: its chosen places and tags, or all of its township or
    village."""
    places = [
        *(village.name for village in campaign.villages.order_by("code")),
        *(str(grid) for grid in campaign.grids.select_related("village").order_by("village__code", "number")),
        *(courtyard.name for courtyard in campaign.courtyards.order_by("pk")),
    ]
    where = "、".join(places) or _("every household of %(place)s") % {
        "place": campaign.village.name if campaign.village_id else campaign.township.name
    }
    tags = "、".join(tag.name for tag in campaign.tags.order_by("pk"))
    if tags:
        return _("%(where)s; only households with these tags: %(tags)s") % {"where": where, "tags": tags}
    return where


def _linked(campaign: Campaign, by: str, rows: list[dict]) -> list[dict]:
    """Each progress row with the task lists behind its figures."""
    for row in rows:
        place = {by: row["id"]}
        row["url"] = tasks_url(campaign.pk, **place)
        row["done_url"] = tasks_url(campaign.pk, **place, state=Task.State.DONE)
        row["overdue_url"] = tasks_url(campaign.pk, **place, overdue=1)
    return rows


@login_required
def campaign_detail(request, pk):
    user = request.user
    _require_reader(user)
    campaign = _campaign(user, pk)
    return render(request, "campaigns/detail.html", _detail_context(user, campaign))


@login_required
@require_GET
def campaign_task_list(request, pk):
    """A campaign's households as the reader sees them (tasks_visible_to), filtered by village,
    grid, state and lateness: the list behind every progress figure (the campaign's page, the
    dashboards), each row one tap from its task (read-only once answered). The households not
    answered yet come first, the nearest due day first; then the latest answers."""
    user = request.user
    _require_reader(user)
    campaign = _campaign(user, pk)
    tasks = tasks_visible_to(user).filter(campaign=campaign)
    grids = Grid.objects.filter(pk__in=tasks.values("grid_id")).select_related("village")
    form = TaskFilterForm(request.GET, grids=list(grids.order_by("village__code", "number", "pk")))
    today = timezone.localdate()
    status = 200
    if form.is_valid():
        filters = {name: value for name, value in form.cleaned_data.items() if value not in (None, "", False)}
        tasks = filter_tasks(tasks, today=today, **filters)
    else:
        filters, tasks, status = {}, tasks.none(), 400
    ordered = tasks.select_related("household", "village", "grid", "answered_by").order_by(
        F("answered_at").desc(nulls_first=True), "due_on", "village__code", "grid__number", "household__number", "pk"
    )
    page = Paginator(ordered, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "campaign": campaign,
        "form": form,
        "page": page,
        "rows": page.object_list,
        "today": today,
        "filtered": bool(filters),
        "follow_up": filters.get("follow_up", False),
        "list_url": tasks_url(campaign.pk),
    }
    return render(request, "campaigns/task_list.html", context, status=status)


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
    if campaign.isdecimal():  # one campaign's (the visit to-do links here so), as the API's ?campaign=
        tasks = tasks.filter(campaign_id=campaign)
    page = Paginator(tasks, PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "rows": page.object_list, "today": timezone.localdate(), **outbox_context(request)}
    return render(request, "campaigns/tasks.html", context)


def _answers_shown(task: Task, form: Form) -> list[tuple[str, str, object]]:
    """(label, answer, photo) for each answered question: a photo question by its photo (the
    page shows it), never by its token."""
    answers = task.answers or {}
    photos = {photo.token: photo for photo in task.photos.all()} if answers else {}
    rows = []
    for question in form.questions:
        value = answers.get(question.name)
        if not question.answerable or value in (None, "", []):
            continue
        if question.kind == "photo":
            photo = photos.get(value)
            rows.append((question.label, "" if photo else _("a photo was taken"), photo))
        else:
            rows.append((question.label, form.display(question, value), None))
    return rows


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
    task = get_object_or_404(
        tasks_visible_to(user).select_related("campaign", "household", "grid", "answered_by"), pk=pk
    )
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
        "display": _answers_shown(task, form),
        # Back to the to-do for those who answer tasks, else to the campaign's households (the
        # to-do is a 403 for a township leader reading an answer).
        "back_to_todo": answers_tasks(user) and task.state != Task.State.DONE,
        "choice_kinds": CHOICE_BOXES,
        # The phone's outbox (grids.visits): the answer is kept there until the server has it.
        **outbox_context(request),
    }
    return render(request, "campaigns/answer.html", context, status=status)


# ---------------------------------------------------------------- the form builder
#
# A draft's questions, one at a time: the list (move one up or down), a question's page (add,
# edit, delete). Checked in the contract's order: a role with no business with campaigns 403,
# a campaign out of sight 404, not its organiser 403, not a draft 409 (the page with the
# message, the questions shown but not offered for change). Every save is the whole form
# through services.campaign_set_form, once per form token, based on the version the page
# showed (another organiser's save in between is a 409, not a silent overwrite).

STEPS = {"up": -1, "down": 1, "delete": 0}


def _builder_source(campaign: Campaign) -> str:
    """Where the form came from, once the builder has changed it."""
    source = campaign.form_source
    if not source or source == "builder" or source.endswith("+builder"):
        return source or "builder"
    return f"{source[:92]}+builder"


def _builder_campaign(request, pk) -> tuple[Campaign, str | None]:
    """The campaign, and why its form cannot change (None: it can); a 403 raised here."""
    user = request.user
    _require_reader(user)
    campaign = _campaign(user, pk)
    try:
        services.check_may_set_form(campaign=campaign, actor=user)
    except Forbidden as error:
        raise PermissionDenied(str(error.message))
    except Conflict as error:
        return campaign, str(error.message)
    return campaign, None


def _builder_page(request, campaign: Campaign, *, refused: str | None = None, step_form=None, status=200):
    form = list(campaign.form or [])
    labels = kind_labels()
    rows = [
        {
            "number": number,
            "q": question,
            "kind": labels.get(question.get("kind"), question.get("kind")),
            "choices": "、".join(label for _value, label in question.get("choices") or []),
            "findings": len(question.get("findings") or []),
            # The picker's words for a condition it can make, the range or length in words.
            "relevant": builder.condition_words(form[: number - 1], question.get("relevant") or ""),
            "check": builder.check_words(question.get("kind"), question.get("constraint") or ""),
            "first": number == 1,
            "last": number == len(form),
        }
        for number, question in enumerate(form, start=1)
    ]
    if refused:
        messages.error(request, refused)
    context = {
        "campaign": campaign,
        "rows": rows,
        "editable": refused is None,
        "step_form": step_form or FormStepForm(initial={"based_on": services.form_fingerprint(form)}),
    }
    return render(request, "campaigns/builder.html", context, status=status)


def _refused(request, pk):
    """What a save the service refused shows: the 403 page, or the questions again with the
    reason (409: no longer a draft, or the form changed meanwhile)."""

    def refused(error):
        if isinstance(error, Forbidden):
            raise PermissionDenied(str(error.message))
        return _builder_page(request, _campaign(request.user, pk), refused=str(error.message), status=error.status)

    return refused


@login_required
def campaign_questions(request, pk):
    """A draft's questions in order, each to edit or move; a question to add."""
    campaign, refused = _builder_campaign(request, pk)
    return _builder_page(request, campaign, refused=refused, status=409 if refused else 200)


def _active_categories():
    from petitions.models import MatterCategory

    return MatterCategory.objects.filter(is_active=True).order_by("code")


def _answer_words(stored: dict | None) -> list[str]:
    """The wording of a stored question's answers, offered when a finding names one."""
    if stored is None or stored["kind"] not in builder.FINDING_KINDS:
        return []
    if stored["kind"] == "yes_no":
        return [label for _value, label in YES_NO]
    return [label for _value, label in stored.get("choices") or []]


@login_required
def campaign_question(request, pk, question=None):
    """Add a question (at the end) or edit one: its wording, kind, choices, condition, check
    and findings; the whole form saved, or the page again with the errors next to the fields."""
    user = request.user
    campaign, refused = _builder_campaign(request, pk)
    if refused:
        return _builder_page(request, campaign, refused=refused, status=409)
    form = list(campaign.form or [])
    if question is None:
        index, stored = len(form), None
    else:
        try:
            index = builder.position(form, question)
        except ValueError:
            raise Http404
        stored = form[index]
    earlier, others = form[:index], [q for q in form if stored is None or q["name"] != stored["name"]]
    posted = request.method == "POST"
    bound = QuestionForm(
        request.POST if posted else None,
        initial={
            **(builder.question_initial(stored, earlier) if stored else {"kind": "select_one"}),
            "based_on": services.form_fingerprint(form),
        },
        earlier=earlier,
        others=others,
        categories=_active_categories(),
        findings=len(stored.get("findings") or []) if stored else 0,
        answers=_answer_words(stored),
    )
    status = 200
    if posted:
        status = 400
        if bound.is_valid():
            data = bound.cleaned_data

            def perform():
                changed = bound.question(others)
                whole = (
                    builder.with_added(form, changed)
                    if stored is None
                    else builder.with_replaced(form, stored["name"], changed)
                )
                services.campaign_set_form(
                    campaign=campaign,
                    actor=user,
                    form=whole,
                    source=_builder_source(campaign),
                    based_on=data["based_on"],
                )
                return reverse("campaigns:campaign-questions", args=[campaign.pk])

            saved = save_form(
                request, bound, perform=perform, done=_("The form is saved."), on_refused=_refused(request, pk)
            )
            if saved:
                return saved
    context = {
        "campaign": campaign,
        "form": bound,
        "stored": stored,
        "number": index + 1,
        "delete_form": FormStepForm(initial={"based_on": services.form_fingerprint(form)}),
    }
    return render(request, "campaigns/question.html", context, status=status)


@login_required
@require_POST
def campaign_question_step(request, pk, question, action):
    """Move a question one place up or down, or delete it: the whole form saved again."""
    user = request.user
    if action not in STEPS:
        raise Http404
    campaign, refused = _builder_campaign(request, pk)
    if refused:
        return _builder_page(request, campaign, refused=refused, status=409)
    form = list(campaign.form or [])
    try:
        builder.position(form, question)
    except ValueError:
        raise Http404
    bound = FormStepForm(request.POST)
    if bound.is_valid():

        def perform():
            step = STEPS[action]
            whole = builder.with_removed(form, question) if step == 0 else builder.with_moved(form, question, step)
            services.campaign_set_form(
                campaign=campaign,
                actor=user,
                form=whole,
                source=_builder_source(campaign),
                based_on=bound.cleaned_data["based_on"],
            )
            return reverse("campaigns:campaign-questions", args=[campaign.pk])

        done = _("The question is deleted.") if action == "delete" else _("The question is moved.")
        saved = save_form(request, bound, perform=perform, done=done, on_refused=_refused(request, pk))
        if saved:
            return saved
    # The page again with the reason; its buttons based on the form as it is now.
    bound.data = bound.data.copy()
    bound.data["based_on"] = services.form_fingerprint(form)
    return _builder_page(request, campaign, step_form=bound, status=400)
