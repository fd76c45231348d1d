"""财务公开: a village's accounts, posted for its residents at least quarterly (monthly where the
village has decided so), under 村民委员会组织法 Art. 30.

A cadre opens a statement for a period (a month or a quarter), fills in its income and
expense lines by hand or from a spreadsheet (all rows or none), and posts it once the period
has ended. A posted statement is public (the village's board, /public/<village code>/) and
never changes: a correction is a line of a later period that says what it corrects. The
periods a village has not posted ten days after they ended are listed for its cadres and its
township (`missing_periods`).

The services lock the statement row (`select_for_update`) before they check its state, so a
line added while another cadre posts is either in the posting or refused.
"""

import calendar
import datetime
import decimal
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.errors import Conflict, Forbidden, Refused
from governance.limits import outside_records, too_early
from governance.models import FinanceLine, FinancePeriod, FinanceStatement, VillageFinanceSettings
from governance.roles import FINANCE_EDITORS, FINANCE_READERS, TOWNSHIP_ROLES
from governance.scoping import scope_for
from governance.uploads import UploadRefused, cell_text, xlsx_opened, xlsx_rows
from governance.xlsx import Sheet, workbook_bytes
from grids.models import Village

# A period is due for posting this many days after it ended.
POSTING_GRACE_DAYS = 10
# How far back the missing periods are listed.
MISSING_LOOKBACK_DAYS = 366
MAX_AMOUNT = decimal.Decimal("9999999999.99")
MAX_IMPORT_ROWS = 2000
IMPORT_COLUMNS = 10


# ---------------------------------------------------------------- periods


def period_bounds(period: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """[first day, last day] of the month or quarter holding `day` (any date, even 9999-12-31)."""
    if period == FinancePeriod.MONTH:
        first_month = last_month = day.month
    else:
        first_month = 3 * ((day.month - 1) // 3) + 1
        last_month = first_month + 2
    last_day = calendar.monthrange(day.year, last_month)[1]
    return datetime.date(day.year, first_month, 1), datetime.date(day.year, last_month, last_day)


def period_label(period: str, start: datetime.date) -> str:
    if period == FinancePeriod.MONTH:
        return _("%(year)d-%(month)02d") % {"year": start.year, "month": start.month}
    return _("%(year)d Q%(quarter)d") % {"year": start.year, "quarter": (start.month - 1) // 3 + 1}


def village_period(village_id: int) -> str:
    settings = VillageFinanceSettings.objects.filter(village_id=village_id).only("period").first()
    return settings.period if settings else FinancePeriod.QUARTER


# ---------------------------------------------------------------- who


def finance_villages(user):
    """The villages whose accounts `user` reads: its cadres and supervision committee, and the
    township's staff."""
    scope = scope_for(user)
    villages = Village.objects.select_related("township").order_by("code")
    if scope.is_superuser:
        return villages
    return villages.filter(
        Q(pk__in=sorted(scope.ids_for(FINANCE_READERS - TOWNSHIP_ROLES)))
        | Q(township_id__in=sorted(scope.ids_for(TOWNSHIP_ROLES)))
    )


def statements_visible_to(user):
    return FinanceStatement.objects.filter(village__in=finance_villages(user)).select_related("village")


def may_edit(user, village_id: int) -> bool:
    scope = scope_for(user)
    return scope.is_superuser or village_id in scope.ids_for(FINANCE_EDITORS)


def _check_edit(user, village_id: int) -> None:
    if not may_edit(user, village_id):
        raise Forbidden(_("Only a cadre of this village keeps its accounts."), code="not_finance_editor")


def _check_draft(statement: FinanceStatement) -> None:
    if not statement.is_draft:
        raise Conflict(
            _("This statement is posted: it no longer changes. Put a correction in a later period."),
            code="statement_posted",
        )


# ---------------------------------------------------------------- writes


def finance_statement_create(
    *, user, village: Village, period: str, day: datetime.date, opening_balance=None, note: str = ""
) -> FinanceStatement:
    """Open the statement of the month or quarter holding `day`. Its opening balance is the
    closing balance of the village's statement before it (settled again when it is posted, see
    finance_statement_post); only a village's first statement here takes a typed one (from its
    paper accounts), or starts from zero.

    A village's statements follow one another: a period that starts on or before the end of
    the village's latest statement (posted or draft), or before the village's `posting_since`,
    is refused on `day`. Opened there, it would start a second balance beside the public one
    (from zero, or from whatever balance is typed)."""
    _check_edit(user, village.pk)
    if period not in FinancePeriod.values:
        raise ValidationError({"period": _("Choose monthly or quarterly.")})
    today = timezone.localdate()
    # Bounded before its period is computed: a day past the current period is refused as it is.
    if day > period_bounds(period, today)[1]:
        raise ValidationError({"day": _("That period has not started yet.")})
    start, end = period_bounds(period, day)
    if early := too_early(start, today):
        raise ValidationError({"day": early})
    if opening_balance is not None and (
        abs(opening_balance) > MAX_AMOUNT or opening_balance != opening_balance.quantize(decimal.Decimal("0.01"))
    ):
        raise ValidationError({"opening_balance": _("Give the opening balance in yuan with at most two decimals.")})
    with transaction.atomic():
        # Two cadres opening statements of the village at once: one waits, then sees the other's.
        Village.objects.select_for_update().get(pk=village.pk)
        statements = FinanceStatement.objects.filter(village=village)
        if statements.filter(period_start__lte=end, period_end__gte=start).exists():
            raise Refused(
                _("A statement of this village already covers part of that period."), code="period_taken", field="day"
            )
        latest = statements.order_by("-period_end").first()
        if latest is not None and start <= latest.period_end:
            raise Refused(
                _(
                    "The village's statements already run until %(day)s: open a later period. A correction "
                    "to an earlier period is a line of a later one."
                )
                % {"day": latest.period_end.isoformat()},
                code="period_before_latest",
                field="day",
            )
        since = VillageFinanceSettings.objects.filter(village=village).values_list("posting_since", flat=True).first()
        if since is not None and start < since:
            raise Refused(
                _(
                    "The village posts its accounts here from %(day)s on (its setting): open a period that "
                    "starts on or after it."
                )
                % {"day": since.isoformat()},
                code="before_posting_since",
                field="day",
            )
        if latest is not None and opening_balance is not None:
            raise Refused(
                _(
                    "The opening balance is the closing balance of the statement before it (%(period)s): leave "
                    "it empty. Only a village's first statement here takes one."
                )
                % {"period": period_label(latest.period, latest.period_start)},
                code="opening_follows_previous",
                field="opening_balance",
            )
        if opening_balance is None:
            opening_balance = totals(latest)["closing"] if latest is not None else decimal.Decimal(0)
        return FinanceStatement.objects.create(
            township_id=village.township_id,
            village=village,
            period=period,
            period_start=start,
            period_end=end,
            opening_balance=opening_balance,
            note=(note or "").strip(),
            created_by=user,
        )


def next_statement_day(village_id: int) -> datetime.date:
    """The day a village's next statement starts from: the day after its latest statement
    ends, else the first day it posts here (its setting), else a day of last month. A day
    after today: nothing can be opened before it."""
    today = timezone.localdate()
    latest = (
        FinanceStatement.objects.filter(village_id=village_id)
        .order_by("-period_end")
        .values_list("period_end", flat=True)
    ).first()
    if latest is not None:
        day = latest + datetime.timedelta(days=1)
    else:
        since = VillageFinanceSettings.objects.filter(village_id=village_id).values_list("posting_since", flat=True)
        day = since.first() or today.replace(day=1) - datetime.timedelta(days=1)
    return day


def finance_statement_discard(*, user, statement: FinanceStatement) -> None:
    """Take back a draft statement with no lines (opened for the wrong period, or before a
    period that was forgotten, which can then be opened). A posted one never changes; a draft
    with lines has them taken off first, so nothing typed goes with one click."""
    _check_edit(user, statement.village_id)
    with transaction.atomic():
        statement = _locked(statement)
        _check_draft(statement)
        if statement.lines.exists():
            raise Conflict(
                _("Take the statement's lines off first: only an empty draft is taken back."),
                code="statement_has_lines",
            )
        statement.delete()


def _locked(statement: FinanceStatement) -> FinanceStatement:
    """The statement's row, locked; a 409 when another cadre took the empty draft back meanwhile."""
    locked = FinanceStatement.objects.select_for_update().filter(pk=statement.pk).first()
    if locked is None:
        raise Conflict(
            _("This statement was taken back meanwhile (an empty draft): open its period again."),
            code="statement_taken_back",
        )
    return locked


@dataclass
class LineInput:
    direction: str
    occurred_on: datetime.date
    item: str
    amount: decimal.Decimal
    category: str = ""
    voucher: str = ""
    note: str = ""


def line_errors(line: LineInput, statement: FinanceStatement) -> dict:
    """What is wrong with a line for `statement`, by field (empty: nothing)."""
    errors = {}
    if line.direction not in FinanceLine.Direction.values:
        errors["direction"] = _("Say whether it is income or expense.")
    if not (statement.period_start <= line.occurred_on <= statement.period_end):
        errors["occurred_on"] = _("The date is outside the period, %(start)s to %(end)s.") % {
            "start": statement.period_start.isoformat(),
            "end": statement.period_end.isoformat(),
        }
    if not (line.item or "").strip():
        errors["item"] = _("Say what the income or expense was.")
    if line.amount is None or line.amount <= 0:
        errors["amount"] = _("The amount is more than zero; the direction says whether it is income or expense.")
    elif line.amount > MAX_AMOUNT or line.amount != line.amount.quantize(decimal.Decimal("0.01")):
        errors["amount"] = _("Give the amount in yuan with at most two decimals.")
    return errors


def _new_line(statement: FinanceStatement, line: LineInput) -> FinanceLine:
    return FinanceLine(
        statement=statement,
        direction=line.direction,
        occurred_on=line.occurred_on,
        item=line.item.strip()[:100],
        category=(line.category or "").strip()[:40],
        amount=line.amount,
        voucher=(line.voucher or "").strip()[:30],
        note=(line.note or "").strip()[:200],
    )


def finance_line_add(*, user, statement: FinanceStatement, line: LineInput) -> FinanceLine:
    """Add one line to a draft statement."""
    _check_edit(user, statement.village_id)
    with transaction.atomic():
        statement = _locked(statement)
        _check_draft(statement)
        errors = line_errors(line, statement)
        if errors:
            raise ValidationError(errors)
        created = _new_line(statement, line)
        created.save()
        return created


def finance_line_remove(*, user, statement: FinanceStatement, line_id: int) -> None:
    """Take a line off a draft statement (a posted one never changes)."""
    _check_edit(user, statement.village_id)
    with transaction.atomic():
        statement = _locked(statement)
        _check_draft(statement)
        FinanceLine.objects.filter(statement=statement, pk=line_id).delete()


def previous_statement(statement: FinanceStatement) -> FinanceStatement | None:
    """The village's statement just before `statement` (one query)."""
    earlier = FinanceStatement.objects.filter(village_id=statement.village_id, period_end__lt=statement.period_start)
    return earlier.order_by("-period_end").first()


def finance_statement_post(*, user, statement: FinanceStatement) -> FinanceStatement:
    """Post a draft statement once its period has ended: public from now on, never changed.
    Statements are posted in order, each opening on the closing balance of the one before as
    posted (a draft opened while the one before was still a draft took its balance so far)."""
    _check_edit(user, statement.village_id)
    with transaction.atomic():
        statement = _locked(statement)
        _check_draft(statement)
        if statement.period_end >= timezone.localdate():
            raise Conflict(
                _("The period ends on %(day)s: post its accounts once it has ended.")
                % {"day": statement.period_end.isoformat()},
                code="period_not_ended",
            )
        previous = previous_statement(statement)
        if previous is not None:
            if previous.is_draft:
                raise Conflict(
                    _(
                        "Post %(period)s first: a village's statements are posted in order, each opening on the "
                        "closing balance of the one before."
                    )
                    % {"period": period_label(previous.period, previous.period_start)},
                    code="earlier_statement_draft",
                )
            statement.opening_balance = totals(previous)["closing"]
        statement.status = FinanceStatement.Status.POSTED
        statement.posted_by, statement.posted_at = user, timezone.now()
        statement.save(update_fields=["status", "posted_by", "posted_at", "opening_balance"])
        return statement


def finance_settings_set(*, user, village: Village, period: str, posting_since: datetime.date) -> None:
    """How often the village posts (monthly or quarterly) and since when Cunzhi asks for it
    (a day of its records: not in the future, not before limits.earliest_day); who set it
    and when are kept on the row."""
    _check_edit(user, village.pk)
    if period not in FinancePeriod.values:
        raise ValidationError({"period": _("Choose monthly or quarterly.")})
    if error := outside_records(posting_since, timezone.localdate()):
        raise ValidationError({"posting_since": error})
    VillageFinanceSettings.objects.update_or_create(
        village=village,
        defaults={"period": period, "posting_since": posting_since, "changed_by": user, "changed_at": timezone.now()},
    )


# ---------------------------------------------------------------- the spreadsheet

HEADERS = {
    "occurred_on": ("日期", "date"),
    "direction": ("收支", "income or expense"),
    "item": ("项目", "item"),
    "category": ("类别", "category"),
    "amount": ("金额", "amount"),
    "voucher": ("凭证号", "voucher"),
    "note": ("备注", "note"),
}
REQUIRED = ("occurred_on", "direction", "item", "amount")
DIRECTION_WORDS = {
    "收入": FinanceLine.Direction.INCOME,
    "收": FinanceLine.Direction.INCOME,
    "income": FinanceLine.Direction.INCOME,
    "支出": FinanceLine.Direction.EXPENSE,
    "支": FinanceLine.Direction.EXPENSE,
    "expense": FinanceLine.Direction.EXPENSE,
}
COLUMN_NAMES = {
    "occurred_on": gettext_lazy("date"),
    "direction": gettext_lazy("income or expense"),
    "item": gettext_lazy("item"),
    "category": gettext_lazy("category"),
    "amount": gettext_lazy("amount"),
    "voucher": gettext_lazy("voucher number"),
    "note": gettext_lazy("note"),
}


def finance_template() -> bytes:
    """The spreadsheet a village fills in: the columns and two example rows."""
    headers = [names[0] for names in HEADERS.values()]
    rows = [
        ["2026-10-08", "收入", "村集体经营性收入（鱼塘承包费）", "经营收入", 12000, "记-001", ""],
        ["2026-10-15", "支出", "村道路灯维修材料费", "公益事业", 860.5, "记-002", "七星村 2 组"],
    ]
    return workbook_bytes(Sheet(title="财务公开", headers=headers, rows=rows, widths=[12, 10, 36, 12, 12, 10, 20]))


def _parse_day(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = cell_text(value).replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
    try:
        return datetime.date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError:
        return None


def _parse_amount(value) -> decimal.Decimal | None:
    text = cell_text(value).replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").replace("元", "")
    try:
        amount = decimal.Decimal(text)
    except decimal.InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _header_positions(row) -> dict:
    names = {}
    for key, words in HEADERS.items():
        for word in words:
            names[word.lower()] = key
    positions = {}
    for index, title in enumerate(row):
        key = names.get(cell_text(title).lower())
        if key and key not in positions:
            positions[key] = index
    return positions


def _row_error(number: int, key: str, message) -> str:
    return _("Row %(row)d, %(column)s: %(message)s") % {"row": number, "column": COLUMN_NAMES[key], "message": message}


def _read_line(number: int, values, positions: dict, statement) -> tuple[LineInput | None, list[str]]:
    cell = {key: (values[index] if index < len(values) else None) for key, index in positions.items()}
    day = _parse_day(cell.get("occurred_on"))
    direction = DIRECTION_WORDS.get(cell_text(cell.get("direction")).lower())
    amount = _parse_amount(cell.get("amount"))
    errors = []
    if day is None:
        errors.append(_row_error(number, "occurred_on", _("write the date as 2026-10-08.")))
    if direction is None:
        errors.append(_row_error(number, "direction", _("write 收入 or 支出.")))
    if amount is None:
        errors.append(_row_error(number, "amount", _("write a number of yuan.")))
    if errors:
        return None, errors
    line = LineInput(
        direction=direction,
        occurred_on=day,
        item=cell_text(cell.get("item")),
        amount=amount,
        category=cell_text(cell.get("category")),
        voucher=cell_text(cell.get("voucher")),
        note=cell_text(cell.get("note")),
    )
    return line, [_row_error(number, key, message) for key, message in line_errors(line, statement).items()]


def _lines_from(file, statement) -> list[LineInput]:
    try:
        with xlsx_opened(file) as workbook:
            rows = xlsx_rows(workbook.worksheets[0], max_rows=MAX_IMPORT_ROWS + 1, max_columns=IMPORT_COLUMNS)
            lines, errors, positions = [], [], None
            for number, values in enumerate(rows, start=1):
                if positions is None:
                    positions = _header_positions(values)
                    missing = [str(COLUMN_NAMES[key]) for key in REQUIRED if key not in positions]
                    if missing:
                        message = _("The first row lacks these columns: %(columns)s. Download the template.")
                        raise ValidationError({"file": [message % {"columns": "、".join(missing)}]})
                    continue
                if all(value in (None, "") for value in values):
                    continue
                line, row_errors = _read_line(number, values, positions, statement)
                errors.extend(row_errors)
                if line is not None and not row_errors:
                    lines.append(line)
    except UploadRefused as refused:
        raise ValidationError({"file": [str(refused.message)]}) from None
    if errors:
        raise ValidationError({"file": errors[:50]})
    if not lines:
        raise ValidationError({"file": [_("The file holds no lines below its header.")]})
    return lines


def finance_lines_import(*, user, statement: FinanceStatement, file) -> int:
    """Add every line of the spreadsheet to a draft statement, or none: a ValidationError on
    `file` lists what is wrong, by row and column (at most 50)."""
    _check_edit(user, statement.village_id)
    with transaction.atomic():
        statement = _locked(statement)
        _check_draft(statement)
        lines = _lines_from(file, statement)
        FinanceLine.objects.bulk_create([_new_line(statement, line) for line in lines])
    return len(lines)


# ---------------------------------------------------------------- reads


def totals(statement: FinanceStatement) -> dict:
    """Income, expense and the closing balance of a statement (one query)."""
    sums = statement.lines.aggregate(
        income=Sum("amount", filter=Q(direction=FinanceLine.Direction.INCOME)),
        expense=Sum("amount", filter=Q(direction=FinanceLine.Direction.EXPENSE)),
    )
    return _totals(statement, sums["income"], sums["expense"])


def _totals(statement, income, expense) -> dict:
    income, expense = income or decimal.Decimal(0), expense or decimal.Decimal(0)
    return {"income": income, "expense": expense, "closing": statement.opening_balance + income - expense}


def with_lines(statements) -> list[dict]:
    """Each statement with its lines and totals, from the lines already prefetched."""
    rows = []
    for statement in statements:
        lines = list(statement.lines.all())
        income = sum(
            (line.amount for line in lines if line.direction == FinanceLine.Direction.INCOME), decimal.Decimal(0)
        )
        expense = sum(
            (line.amount for line in lines if line.direction == FinanceLine.Direction.EXPENSE), decimal.Decimal(0)
        )
        rows.append(
            {
                "statement": statement,
                "label": period_label(statement.period, statement.period_start),
                "lines": lines,
                **_totals(statement, income, expense),
            }
        )
    return rows


def _sum(lines, direction) -> decimal.Decimal:
    return sum((line.amount for line in lines if line.direction == direction), decimal.Decimal(0))


def finance_public(village: Village, *, limit: int = 4, clean=str) -> list[dict]:
    """The village's latest posted statements, newest first, with their lines and totals;
    each line's item and note passed through `clean` (the board takes names out)."""
    statements = (
        FinanceStatement.objects.filter(village=village, status=FinanceStatement.Status.POSTED)
        .order_by("-period_start")
        .prefetch_related("lines")[:limit]
    )
    rows = with_lines(statements)
    for row in rows:
        for line in row["lines"]:
            line.item, line.note = clean(line.item), clean(line.note)
    return rows


_UNREAD = object()


def missing_periods(
    village: Village, *, today: datetime.date | None = None, statements=None, settings=_UNREAD
) -> list[dict]:
    """The periods of the last year the village has not posted, ten days after they ended:
    {"label", "start", "end", "due"} oldest first. A quarter posted month by month counts.
    `statements` and `settings` (its VillageFinanceSettings or None) are read when not given."""
    today = today or timezone.localdate()
    if settings is _UNREAD:
        settings = VillageFinanceSettings.objects.filter(village=village).first()
    period = settings.period if settings else FinancePeriod.QUARTER
    since = settings.posting_since if settings else None
    if statements is None:
        statements = FinanceStatement.objects.filter(village=village, status=FinanceStatement.Status.POSTED)
    posted = [(s.period_start, s.period_end) for s in statements if s.status == FinanceStatement.Status.POSTED]
    missing = []
    start, _end = period_bounds(period, today - datetime.timedelta(days=MISSING_LOOKBACK_DAYS))
    while True:
        start, end = period_bounds(period, start)
        due = end + datetime.timedelta(days=POSTING_GRACE_DAYS)
        if due >= today:
            break
        covered = _covered(start, end, posted)
        if not covered and (since is None or start >= since):
            missing.append({"label": period_label(period, start), "start": start, "end": end, "due": due})
        start = end + datetime.timedelta(days=1)
    return missing


def _covered(start: datetime.date, end: datetime.date, posted) -> bool:
    """Every day of [start, end] lies in a posted statement (a quarter posted as three months)."""
    day = start
    for first, last in sorted(posted):
        if first <= day <= last:
            day = last + datetime.timedelta(days=1)
            if day > end:
                return True
    return day > end
