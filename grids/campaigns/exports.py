"""A campaign's answers as .xlsx: one row per answered household, one column per question, the
choices in the form's words (Chinese), over the tasks the caller may read."""

from django.utils import timezone
from django.utils.translation import gettext as _

from governance.export_limits import refuse_past_export_limit
from governance.xlsx import Sheet, workbook_bytes
from grids.campaigns.models import Campaign, Task
from grids.campaigns.questionnaire import Form

# A township's campaign (13 000 households) in one file; a district's, a village at a time.
MAX_ANSWER_ROWS = 50_000


def answers_xlsx(campaign: Campaign, tasks) -> bytes:
    """The answered tasks among `tasks` (already scoped and filtered) of the campaign."""
    rows = tasks.filter(campaign=campaign, state=Task.State.DONE).order_by("village__name", "grid__name", "id")
    refuse_past_export_limit(
        rows,
        _("%(count)s answers: at most %(limit)s in one file. Export one village at a time."),
        MAX_ANSWER_ROWS,
    )
    form = Form.from_json(campaign.form)
    questions = [q for q in form.questions if q.answerable]
    headers = [_("village"), _("grid"), _("household number"), _("head of household"), _("address"),
               _("answered at"), _("answered by"), _("follow-up")] + [q.label for q in questions]  # fmt: skip
    values = rows.select_related("village", "grid", "household", "answered_by").only(
        "answers", "answered_at", "follows_id", "village__name", "grid__name", "household__number",
        "household__head_name", "household__address", "answered_by__first_name", "answered_by__last_name",
        "answered_by__username",
    )  # fmt: skip

    photo_words = _("a photo was taken")

    def shown(question, value) -> str:
        # A photo by the fact of it: its token means nothing to the reader of the file.
        if question.kind == "photo":
            return photo_words if value else ""
        return form.display(question, value)

    def lines():
        for task in values.iterator(chunk_size=2000):
            answers = task.answers or {}
            person = task.answered_by
            yield [
                task.village.name,
                task.grid.name,
                task.household.number,
                task.household.head_name,
                task.household.address,
                timezone.localtime(task.answered_at).strftime("%Y-%m-%d %H:%M"),
                (person.get_full_name() or person.username) if person else "",
                _("yes") if task.follows_id else "",
                *[shown(q, answers.get(q.name)) for q in questions],
            ]

    return workbook_bytes(Sheet(title=campaign.title, headers=headers, rows=lines(), text_columns=(3,)))
