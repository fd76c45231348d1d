"""财务公开: statements by period, lines by hand or from a spreadsheet, posted once, missing periods."""

import datetime
import decimal
import io
import re
import threading
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from governance import finance
from governance.errors import Conflict, Forbidden, Refused
from governance.limits import earliest_day
from governance.models import FinanceLine, FinancePeriod, FinanceStatement, VillageFinanceSettings
from tests.api.matter_states import database_state


def _last_quarter_day() -> datetime.date:
    start, _end = finance.period_bounds(FinancePeriod.QUARTER, timezone.localdate())
    return start - datetime.timedelta(days=1)


def _statement(world, day=None, period=FinancePeriod.QUARTER):
    return finance.finance_statement_create(
        user=world.users.cadre, village=world.qixing, period=period, day=day or _last_quarter_day()
    )


def _line(statement, **kwargs):
    values = {
        "direction": FinanceLine.Direction.INCOME,
        "occurred_on": statement.period_start,
        "item": "鱼塘承包费",
        "amount": decimal.Decimal("12000.00"),
        **kwargs,
    }
    return finance.LineInput(**values)


def _xlsx(rows, header=("日期", "收支", "项目", "类别", "金额", "凭证号", "备注")) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("accounts.xlsx", buffer.getvalue())


def test_period_bounds_cover_whole_months_and_quarters():
    assert finance.period_bounds("quarter", datetime.date(2027, 2, 14)) == (
        datetime.date(2027, 1, 1),
        datetime.date(2027, 3, 31),
    )
    assert finance.period_bounds("quarter", datetime.date(2027, 12, 31)) == (
        datetime.date(2027, 10, 1),
        datetime.date(2027, 12, 31),
    )
    assert finance.period_bounds("month", datetime.date(2028, 2, 10)) == (
        datetime.date(2028, 2, 1),
        datetime.date(2028, 2, 29),
    )


def _accounts_state():
    """Everything a refused change of the accounts leaves as it was (the page's form claim included)."""
    return (
        database_state(),
        list(FinanceStatement.objects.order_by("pk").values_list("pk", "period", "period_start", "status")),
        list(FinanceLine.objects.order_by("pk").values_list("pk", "statement_id", "amount")),
        list(VillageFinanceSettings.objects.order_by("pk").values()),
    )


def test_period_bounds_take_any_date_without_overflowing():
    assert finance.period_bounds("quarter", datetime.date.max) == (datetime.date(9999, 10, 1), datetime.date.max)
    assert finance.period_bounds("month", datetime.date.max) == (datetime.date(9999, 12, 1), datetime.date.max)
    assert finance.period_bounds("quarter", datetime.date.min) == (datetime.date.min, datetime.date(1, 3, 31))


def test_cadre_opens_fills_and_posts_a_statement_whose_totals_add_up(world):
    statement = _statement(world)
    finance.finance_line_add(user=world.users.cadre, statement=statement, line=_line(statement))
    finance.finance_line_add(
        user=world.users.cadre,
        statement=statement,
        line=_line(statement, direction="expense", item="路灯维修", amount=decimal.Decimal("860.50")),
    )
    finance.finance_statement_post(user=world.users.cadre, statement=statement)
    statement.refresh_from_db()
    assert statement.status == FinanceStatement.Status.POSTED and statement.posted_by == world.users.cadre
    assert finance.totals(statement) == {
        "income": decimal.Decimal("12000.00"),
        "expense": decimal.Decimal("860.50"),
        "closing": decimal.Decimal("11139.50"),
    }
    # The next period opens with the closing balance.
    following = finance.finance_statement_create(
        user=world.users.cadre, village=world.qixing, period="month", day=statement.period_end + datetime.timedelta(1)
    )
    assert following.opening_balance == decimal.Decimal("11139.50")


def test_posted_statement_never_changes(world):
    statement = _statement(world)
    line = finance.finance_line_add(user=world.users.cadre, statement=statement, line=_line(statement))
    finance.finance_statement_post(user=world.users.cadre, statement=statement)
    with pytest.raises(Conflict) as added:
        finance.finance_line_add(user=world.users.cadre, statement=statement, line=_line(statement))
    assert added.value.code == "statement_posted"
    with pytest.raises(Conflict):
        finance.finance_line_remove(user=world.users.cadre, statement=statement, line_id=line.pk)
    with pytest.raises(Conflict):
        finance.finance_statement_post(user=world.users.cadre, statement=statement)
    assert FinanceLine.objects.filter(statement=statement).count() == 1


def test_a_period_is_posted_only_once_it_has_ended(world):
    statement = _statement(world, day=timezone.localdate())
    with pytest.raises(Conflict) as posted:
        finance.finance_statement_post(user=world.users.cadre, statement=statement)
    assert posted.value.code == "period_not_ended"


def test_only_the_village_cadre_keeps_its_accounts(world):
    for user in (world.users.other_cadre, world.users.official, world.users.supervisor, world.users.grid1):
        with pytest.raises(Forbidden):
            finance.finance_statement_create(user=user, village=world.qixing, period="quarter", day=_last_quarter_day())
    statement = _statement(world)
    with pytest.raises(Forbidden):
        finance.finance_line_add(user=world.users.official, statement=statement, line=_line(statement))


def test_overlapping_or_future_periods_are_refused(world):
    _statement(world)
    with pytest.raises(Refused) as taken:
        finance.finance_statement_create(
            user=world.users.cadre, village=world.qixing, period="month", day=_last_quarter_day()
        )
    assert taken.value.code == "period_taken"
    next_year = timezone.localdate() + datetime.timedelta(days=400)
    with pytest.raises(ValidationError):
        finance.finance_statement_create(user=world.users.cadre, village=world.qixing, period="month", day=next_year)


def test_a_period_long_ago_or_an_absurd_opening_balance_is_refused_on_its_field(world):
    """A typo (1926 for 2026, a balance of a trillion yuan) answers on the field; nothing is written."""
    today = timezone.localdate()
    with pytest.raises(ValidationError) as old:
        finance.finance_statement_create(
            user=world.users.cadre, village=world.qixing, period="month", day=datetime.date(today.year - 100, 6, 1)
        )
    assert "day" in old.value.message_dict
    for balance in (decimal.Decimal("1000000000000"), decimal.Decimal("-1000000000000"), decimal.Decimal("1.001")):
        with pytest.raises(ValidationError) as absurd:
            finance.finance_statement_create(
                user=world.users.cadre,
                village=world.qixing,
                period="quarter",
                day=_last_quarter_day(),
                opening_balance=balance,
            )
        assert "opening_balance" in absurd.value.message_dict
    assert not FinanceStatement.objects.exists()


def _posted_last_quarter(world) -> FinanceStatement:
    statement = _statement(world)
    finance.finance_line_add(user=world.users.cadre, statement=statement, line=_line(statement))
    return finance.finance_statement_post(user=world.users.cadre, statement=statement)


@pytest.mark.parametrize("period", ["quarter", "month"])
def test_a_period_before_the_latest_posted_statement_is_refused_on_day(world, period):
    """Opened behind the public accounts, a statement would start a second balance from zero."""
    posted = _posted_last_quarter(world)
    before = _accounts_state()
    for day in (posted.period_start - datetime.timedelta(days=1), posted.period_start - datetime.timedelta(days=200)):
        with pytest.raises(Refused) as refused:
            finance.finance_statement_create(user=world.users.cadre, village=world.qixing, period=period, day=day)
        assert (refused.value.code, refused.value.field) == ("period_before_latest", "day")
        assert posted.period_end.isoformat() in str(refused.value.message)
    assert _accounts_state() == before
    # The period after it opens, with the posted closing balance.
    following = finance.finance_statement_create(
        user=world.users.cadre, village=world.qixing, period=period, day=posted.period_end + datetime.timedelta(1)
    )
    assert following.opening_balance == decimal.Decimal("12000.00")


def test_a_period_before_a_later_draft_is_refused_too(world):
    """Statements open in order: a draft's opening balance was taken without the period before it."""
    draft = _statement(world)
    before = _accounts_state()
    with pytest.raises(Refused) as refused:
        finance.finance_statement_create(
            user=world.users.cadre,
            village=world.qixing,
            period="quarter",
            day=draft.period_start - datetime.timedelta(days=1),
            opening_balance=decimal.Decimal("5"),
        )
    assert (refused.value.code, refused.value.field) == ("period_before_latest", "day")
    assert _accounts_state() == before
    # Another village's accounts do not count.
    hualong_cadre = world.users.other_cadre
    assert finance.may_edit(hualong_cadre, world.hualong.pk)
    finance.finance_statement_create(
        user=hualong_cadre, village=world.hualong, period="quarter", day=draft.period_start - datetime.timedelta(days=1)
    )


def test_an_empty_draft_is_taken_back_so_a_forgotten_period_can_be_opened(world, client):
    """Opened a quarter too late: the period before it is refused until the draft is taken back."""
    late = _statement(world)
    forgotten_day = late.period_start - datetime.timedelta(days=1)
    client.force_login(world.users.cadre)
    page = client.get(reverse("governance:finance-detail", args=[late.pk])).content.decode()
    assert reverse("governance:finance-discard", args=[late.pk]) in page and "data-confirm" in page
    # With a line it is not taken back, and nothing changes.
    line = finance.finance_line_add(user=world.users.cadre, statement=late, line=_line(late))
    before = _accounts_state()
    refused = client.post(reverse("governance:finance-discard", args=[late.pk]))
    assert refused.status_code == 409 and _accounts_state() == before
    with pytest.raises(Conflict) as conflict:
        finance.finance_statement_discard(user=world.users.cadre, statement=late)
    assert conflict.value.code == "statement_has_lines"
    finance.finance_line_remove(user=world.users.cadre, statement=late, line_id=line.pk)
    taken = client.post(reverse("governance:finance-discard", args=[late.pk]))
    assert taken.status_code == 302 and not FinanceStatement.objects.filter(pk=late.pk).exists()
    # The forgotten period opens now; then the later one again.
    first = _statement(world, day=forgotten_day)
    assert first.period_end == forgotten_day
    # The new-statement form offers the day after the latest statement.
    listing = client.get(reverse("governance:finance-list")).content.decode()
    assert f'value="{min(first.period_end + datetime.timedelta(days=1), timezone.localdate()).isoformat()}"' in listing


def test_statements_are_posted_in_order_each_opening_on_the_closing_of_the_one_before(world):
    """A month opened while the month before was still a draft took its balance so far: posting
    settles it on what the month before closed at, as posted."""
    last_month_end = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    first = _statement(world, day=last_month_end.replace(day=1) - datetime.timedelta(days=1), period="month")
    second = _statement(world, day=last_month_end, period="month")
    assert second.opening_balance == 0  # the first has no lines yet
    finance.finance_line_add(user=world.users.cadre, statement=first, line=_line(first))
    before = _accounts_state()
    with pytest.raises(Conflict) as refused:
        finance.finance_statement_post(user=world.users.cadre, statement=second)
    assert refused.value.code == "earlier_statement_draft" and _accounts_state() == before
    finance.finance_statement_post(user=world.users.cadre, statement=first)
    posted = finance.finance_statement_post(user=world.users.cadre, statement=second)
    assert posted.opening_balance == decimal.Decimal("12000.00") == finance.totals(first)["closing"]


def test_only_a_villages_first_statement_takes_a_typed_opening_balance(world):
    first = _statement(world)
    before = _accounts_state()
    with pytest.raises(Refused) as refused:
        finance.finance_statement_create(
            user=world.users.cadre,
            village=world.qixing,
            period="month",
            day=first.period_end + datetime.timedelta(days=1),
            opening_balance=decimal.Decimal("99"),
        )
    assert (refused.value.code, refused.value.field) == ("opening_follows_previous", "opening_balance")
    assert _accounts_state() == before


def test_when_the_statements_run_into_this_period_the_list_says_when_the_next_opens(world, client):
    current = finance.finance_statement_create(
        user=world.users.cadre, village=world.qixing, period="month", day=timezone.localdate()
    )
    client.force_login(world.users.cadre)
    page = client.get(reverse("governance:finance-list")).content.decode()
    assert (current.period_end + datetime.timedelta(days=1)).isoformat() in page
    assert 'name="day"' not in page  # no form whose every day would be refused


def test_a_posted_statement_is_never_taken_back(world):
    posted = _posted_last_quarter(world)
    with pytest.raises(Conflict):
        finance.finance_statement_discard(user=world.users.cadre, statement=posted)
    assert FinanceStatement.objects.filter(pk=posted.pk, status=FinanceStatement.Status.POSTED).exists()


def test_a_period_starting_before_posting_since_is_refused_on_day(world):
    since = finance.period_bounds("quarter", _last_quarter_day())[0] + datetime.timedelta(days=1)
    VillageFinanceSettings.objects.create(village=world.qixing, period=FinancePeriod.MONTH, posting_since=since)
    before = _accounts_state()
    for period, day in [("quarter", since), ("month", since), ("month", since - datetime.timedelta(days=40))]:
        with pytest.raises(Refused) as refused:
            finance.finance_statement_create(user=world.users.cadre, village=world.qixing, period=period, day=day)
        assert (refused.value.code, refused.value.field) == ("before_posting_since", "day"), (period, day)
        assert since.isoformat() in str(refused.value.message)
    assert _accounts_state() == before
    # The first month starting on or after the day opens.
    finance.finance_statement_create(
        user=world.users.cadre, village=world.qixing, period="month", day=since + datetime.timedelta(days=31)
    )


def test_page_refuses_a_backdated_statement_next_to_the_day_and_keeps_the_input(world, client):
    posted = _posted_last_quarter(world)
    client.force_login(world.users.cadre)
    before = _accounts_state()
    backdated = (posted.period_start - datetime.timedelta(days=1)).isoformat()
    response = client.post(
        reverse("governance:finance-create"),
        {"form_token": str(uuid.uuid4()), "village": world.qixing.pk, "period": "quarter", "day": backdated},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_day_error"' in html and posted.period_end.isoformat() in html and f'value="{backdated}"' in html
    assert _accounts_state() == before


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2999-01-01"])
def test_page_refuses_a_day_far_off_on_its_field_instead_of_failing(world, client, day):
    """9999-12-31 once answered 500: the end of its quarter is past the calendar."""
    client.force_login(world.users.cadre)
    before = _accounts_state()
    for period in ("quarter", "month"):
        response = client.post(
            reverse("governance:finance-create"),
            {"form_token": str(uuid.uuid4()), "village": world.qixing.pk, "period": period, "day": day},
        )
        assert response.status_code == 400 and 'id="id_day_error"' in response.content.decode()
    assert _accounts_state() == before


def test_the_post_button_asks_before_posting(world, client):
    """Posting never comes back: the button carries the question app.js asks (data-confirm)."""
    statement = _statement(world)
    client.force_login(world.users.cadre)
    html = client.get(reverse("governance:finance-detail", args=[statement.pk])).content.decode()
    form = re.search(r'<form method="post" action="[^"]*/post/".*?</form>', html, re.S).group(0)
    assert re.search(r'<button[^>]*type="submit"[^>]*data-confirm="[^"]+"', form)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": decimal.Decimal("0")}, "amount"),
        ({"amount": decimal.Decimal("-5")}, "amount"),
        ({"amount": decimal.Decimal("1.005")}, "amount"),
        ({"item": "  "}, "item"),
        ({"direction": "gift"}, "direction"),
    ],
)
def test_bad_line_is_refused_by_field_and_nothing_is_written(world, change, field):
    statement = _statement(world)
    with pytest.raises(ValidationError) as refused:
        finance.finance_line_add(user=world.users.cadre, statement=statement, line=_line(statement, **change))
    assert field in refused.value.message_dict
    assert not FinanceLine.objects.exists()


def test_line_outside_the_period_is_refused(world):
    statement = _statement(world)
    with pytest.raises(ValidationError) as refused:
        finance.finance_line_add(
            user=world.users.cadre,
            statement=statement,
            line=_line(statement, occurred_on=statement.period_end + datetime.timedelta(days=1)),
        )
    assert "occurred_on" in refused.value.message_dict


def test_spreadsheet_adds_every_row_or_none_with_errors_by_row(world):
    statement = _statement(world)
    day = statement.period_start.isoformat()
    good = [
        (day, "收入", "鱼塘承包费", "经营收入", 12000, "记-001", ""),
        (day, "支出", "路灯维修", "", "860.50", "", ""),
    ]
    bad = [*good, (day, "借", "不明", "", 10, "", ""), ("明天", "支出", "材料", "", "abc", "", "")]
    with pytest.raises(ValidationError) as refused:
        finance.finance_lines_import(user=world.users.cadre, statement=statement, file=_xlsx(bad))
    errors = refused.value.message_dict["file"]
    assert any("4" in error for error in errors) and any("5" in error for error in errors)
    assert not FinanceLine.objects.exists()
    assert finance.finance_lines_import(user=world.users.cadre, statement=statement, file=_xlsx(good)) == 2
    assert finance.totals(statement)["closing"] == decimal.Decimal("11139.50")


def test_spreadsheet_without_the_columns_or_not_xlsx_is_refused(world):
    statement = _statement(world)
    with pytest.raises(ValidationError):
        finance.finance_lines_import(
            user=world.users.cadre, statement=statement, file=_xlsx([], header=("date", "what"))
        )
    with pytest.raises(ValidationError):
        finance.finance_lines_import(
            user=world.users.cadre, statement=statement, file=SimpleUploadedFile("a.xlsx", b"not a zip")
        )
    assert not FinanceLine.objects.exists()


def test_missing_periods_follow_the_village_setting(world):
    today = timezone.localdate()
    quarters = finance.missing_periods(world.qixing, today=today)
    assert quarters and all((p["end"] - p["start"]).days > 80 for p in quarters)
    VillageFinanceSettings.objects.create(
        village=world.qixing, period=FinancePeriod.MONTH, posting_since=today - datetime.timedelta(days=100)
    )
    months = finance.missing_periods(world.qixing, today=today)
    assert 2 <= len(months) <= 4 and all(p["due"] < today for p in months)
    # Posting a quarter covers its months.
    last = months[-1]
    statement = finance.finance_statement_create(
        user=world.users.cadre, village=world.qixing, period="quarter", day=last["start"]
    )
    if statement.period_end < today:
        finance.finance_statement_post(user=world.users.cadre, statement=statement)
        assert last["label"] not in [p["label"] for p in finance.missing_periods(world.qixing, today=today)]


def test_pages_scope_and_roles(world, client):
    statement = _statement(world)
    detail = reverse("governance:finance-detail", args=[statement.pk])
    for user, status in [
        (world.users.cadre, 200),
        (world.users.supervisor, 200),
        (world.users.official, 200),
        (world.users.leader, 200),
        (world.users.other_cadre, 404),
        (world.users.other_official, 404),
        (world.users.grid1, 403),
        (world.users.clerk, 403),
        (world.users.outsider, 403),
    ]:
        client.force_login(user)
        assert client.get(detail).status_code == status, user.username
    client.force_login(world.users.official)
    response = client.post(
        reverse("governance:finance-line-add", args=[statement.pk]),
        {
            "line-form_token": str(uuid.uuid4()),
            "line-direction": "income",
            "line-occurred_on": statement.period_start,
            "line-item": "x",
            "line-amount": "5",
        },
    )
    assert response.status_code == 403 and not FinanceLine.objects.exists()


def test_line_form_keeps_input_and_says_what_is_wrong_and_a_double_submit_adds_once(world, client):
    statement = _statement(world)
    client.force_login(world.users.cadre)
    url = reverse("governance:finance-line-add", args=[statement.pk])
    data = {
        "line-form_token": str(uuid.uuid4()),
        "line-direction": "income",
        "line-occurred_on": (statement.period_end + datetime.timedelta(days=1)).isoformat(),
        "line-item": "鱼塘承包费",
        "line-amount": "100",
    }
    refused = client.post(url, data)
    assert refused.status_code == 400 and "鱼塘承包费" in refused.content.decode()
    data["line-occurred_on"] = statement.period_start.isoformat()
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert FinanceLine.objects.filter(statement=statement).count() == 1


def test_upload_page_lists_row_errors_next_to_the_file(world, client):
    statement = _statement(world)
    client.force_login(world.users.cadre)
    response = client.post(
        reverse("governance:finance-import", args=[statement.pk]),
        {"import-form_token": str(uuid.uuid4()), "import-file": _xlsx([("x", "收入", "a", "", 1, "", "")])},
    )
    assert response.status_code == 400
    assert "field-import-file" in response.content.decode() and not FinanceLine.objects.exists()


def test_list_page_queries_stay_flat(world, client):
    client.force_login(world.users.official)
    url = reverse("governance:finance-list")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for day in (_last_quarter_day() - datetime.timedelta(days=100), _last_quarter_day()):
        statement = _statement(world, day=day)
        finance.finance_line_add(user=world.users.cadre, statement=statement, line=_line(statement))
    with CaptureQueriesContext(connection) as more:
        assert client.get(url).status_code == 200
    assert len(more) == len(few)


def test_list_page_names_every_figure_for_a_phone(world, client):
    # On a phone each statement is a card (.finance-statements in app.css): each figure carries its name.
    statement = _statement(world)
    finance.finance_line_add(user=world.users.cadre, statement=statement, line=_line(statement))
    client.force_login(world.users.cadre)
    html = client.get(reverse("governance:finance-list")).content.decode()
    row = re.search(r'<table class="table finance-statements">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    assert row.count("data-label=") == 4 and "12000.00" in row


@pytest.mark.django_db(transaction=True)
def test_two_cadres_posting_and_adding_at_once_leave_no_line_outside_the_posting(world):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    statement = _statement(world)
    finance.finance_line_add(user=world.users.cadre, statement=statement, line=_line(statement))
    outcomes = []

    def run(action):
        from django.db import connections

        try:
            action()
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    post = threading.Thread(
        target=run, args=(lambda: finance.finance_statement_post(user=world.users.cadre, statement=statement),)
    )
    add = threading.Thread(
        target=run,
        args=(lambda: finance.finance_line_add(user=world.users.cadre, statement=statement, line=_line(statement)),),
    )
    post.start(), add.start()
    post.join(), add.join()
    statement.refresh_from_db()
    assert statement.status == FinanceStatement.Status.POSTED
    # Either the line came first (two lines, posted) or it was refused after the posting.
    assert sorted(outcomes) in (["ok", "ok"], ["conflict", "ok"])
    assert FinanceLine.objects.filter(statement=statement).count() == (2 if outcomes.count("ok") == 2 else 1)


# Every page of the accounts and the 村务 hub, for every persona: (method, name) -> statuses.
READERS = {"cadre": 200, "supervisor": 200, "official": 200, "leader": 200, "admin": 200}
FORBIDDEN = {"grid1": 403, "grid2": 403, "helper": 403, "clerk": 403, "handler": 403, "outsider": 403}
PAGE_MATRIX = {
    # The 村务 hub: the accounts' readers, and the grid and courtyard staff for their pledges.
    ("GET", "affairs"): {
        **FORBIDDEN,
        **READERS,
        "grid1": 200,
        "grid2": 200,
        "helper": 200,
        "other_cadre": 200,
        "other_official": 200,
    },
    ("GET", "finance-list"): {**FORBIDDEN, **READERS, "other_cadre": 200, "other_official": 200},
    ("GET", "finance-template"): {**FORBIDDEN, **READERS, "other_cadre": 200, "other_official": 200},
    ("GET", "finance-detail"): {**FORBIDDEN, **READERS, "other_cadre": 404, "other_official": 404},
    # Writing: the village's cadre (and the superuser); its other readers 403, strangers 404.
    ("POST", "finance-line-add"): {
        **FORBIDDEN,
        **READERS,
        "cadre": 302,
        "admin": 302,
        "supervisor": 403,
        "official": 403,
        "leader": 403,
        "other_cadre": 404,
        "other_official": 404,
    },
    ("POST", "finance-line-remove"): {
        **FORBIDDEN,
        "cadre": 302,
        "admin": 302,
        "supervisor": 403,
        "official": 403,
        "leader": 403,
        "other_cadre": 404,
        "other_official": 404,
    },
    ("POST", "finance-post"): {
        **FORBIDDEN,
        "cadre": 302,
        "admin": 302,
        "supervisor": 403,
        "official": 403,
        "leader": 403,
        "other_cadre": 404,
        "other_official": 404,
    },
    # A draft with a line is not taken back (409): only an empty one is.
    ("POST", "finance-discard"): {
        **FORBIDDEN,
        "cadre": 409,
        "admin": 409,
        "supervisor": 403,
        "official": 403,
        "leader": 403,
        "other_cadre": 404,
        "other_official": 404,
    },
    ("POST", "finance-import"): {
        **FORBIDDEN,
        "cadre": 400,
        "admin": 400,
        "supervisor": 403,
        "official": 403,
        "leader": 403,
        "other_cadre": 404,
        "other_official": 404,
    },
    # Opening a statement (the month after the existing one): a cadre of some village (for a village it
    # keeps: the form offers no other); the superuser comes after the cadre opened that month: it is taken (400).
    ("POST", "finance-create"): {
        **FORBIDDEN,
        "cadre": 302,
        "admin": 400,
        "other_cadre": 400,
        "supervisor": 403,
        "official": 403,
        "leader": 403,
        "other_official": 403,
    },
}
COVERED_URL_NAMES = {name for _method, name in PAGE_MATRIX} | {"village", "poster", "finance-settings"}


def test_cadre_sets_monthly_posting_and_others_cannot(world, client):
    url = reverse("governance:finance-settings")
    data = {
        "settings-form_token": str(uuid.uuid4()),
        "settings-village": world.qixing.pk,
        "settings-period": "month",
        "settings-posting_since": timezone.localdate().isoformat(),
    }
    for persona in ("official", "supervisor", "grid1"):
        client.force_login(getattr(world.users, persona))
        assert client.post(url, data).status_code == 403
    client.force_login(world.users.other_cadre)
    assert client.post(url, data).status_code == 400  # not a village the form offers
    assert not VillageFinanceSettings.objects.exists()
    client.force_login(world.users.cadre)
    assert client.post(url, data).status_code == 302
    assert VillageFinanceSettings.objects.get(village=world.qixing).period == "month"


def _settings_post(client, world, posting_since, period="month"):
    return client.post(
        reverse("governance:finance-settings"),
        {
            "settings-form_token": str(uuid.uuid4()),
            "settings-village": world.qixing.pk,
            "settings-period": period,
            "settings-posting_since": posting_since,
        },
    )


def test_posting_since_far_off_or_in_the_future_is_refused_and_changes_nothing(world, client):
    today = timezone.localdate()
    VillageFinanceSettings.objects.create(village=world.qixing, posting_since=today - datetime.timedelta(days=30))
    client.force_login(world.users.cadre)
    before = _accounts_state()
    too_early = earliest_day(today) - datetime.timedelta(days=1)
    for day in (datetime.date.max, datetime.date.min, too_early, today + datetime.timedelta(days=1)):
        response = _settings_post(client, world, day.isoformat())
        assert response.status_code == 400, day
        assert 'id="id_settings-posting_since_error"' in response.content.decode(), day
        with pytest.raises(ValidationError) as refused:
            finance.finance_settings_set(
                user=world.users.cadre, village=world.qixing, period="month", posting_since=day
            )
        assert "posting_since" in refused.value.message_dict
    assert _accounts_state() == before
    for day in (earliest_day(today), today):
        assert _settings_post(client, world, day.isoformat()).status_code == 302


def test_settings_record_who_changed_them_and_when(world, client):
    client.force_login(world.users.cadre)
    started = timezone.now()
    assert _settings_post(client, world, timezone.localdate().isoformat()).status_code == 302
    settings = VillageFinanceSettings.objects.get(village=world.qixing)
    assert settings.changed_by == world.users.cadre and settings.changed_at >= started
    page = client.get(reverse("governance:finance-list")).content.decode()
    assert settings.changed_by.get_full_name() in page
    client.force_login(world.users.admin)
    assert _settings_post(client, world, timezone.localdate().isoformat(), period="quarter").status_code == 302
    settings.refresh_from_db()
    assert (settings.period, settings.changed_by) == ("quarter", world.users.admin)


def test_the_admin_bounds_posting_since_and_records_who_changed_it(world, client):
    settings = VillageFinanceSettings.objects.create(
        village=world.qixing, posting_since=timezone.localdate() - datetime.timedelta(days=30)
    )
    client.force_login(world.users.admin)
    url = reverse("admin:governance_villagefinancesettings_change", args=[settings.pk])
    data = {"village": world.qixing.pk, "period": "month", "posting_since": "9999-12-31"}
    assert client.post(url, data).status_code == 200  # the form again, with the error
    settings.refresh_from_db()
    assert settings.period == "quarter" and settings.changed_by is None
    data["posting_since"] = timezone.localdate().isoformat()
    assert client.post(url, data).status_code == 302
    settings.refresh_from_db()
    assert (settings.period, settings.changed_by) == ("month", world.users.admin)


@pytest.mark.parametrize(("method", "name"), sorted(PAGE_MATRIX))
def test_every_persona_gets_its_status_on_every_accounts_page(world, client, method, name):
    for persona, status in {"anonymous": 302, **PAGE_MATRIX[(method, name)]}.items():
        statement = FinanceStatement.objects.order_by("pk").first() or _statement(world)
        if statement.status == FinanceStatement.Status.POSTED:
            FinanceStatement.objects.filter(pk=statement.pk).update(status="draft", posted_at=None, posted_by=None)
        line = FinanceLine.objects.filter(statement=statement).first() or finance.finance_line_add(
            user=world.users.cadre, statement=statement, line=_line(statement)
        )
        args = {
            "finance-detail": [statement.pk],
            "finance-line-add": [statement.pk],
            "finance-line-remove": [statement.pk, line.pk],
            "finance-post": [statement.pk],
            "finance-discard": [statement.pk],
            "finance-import": [statement.pk],
        }.get(name, [])
        url = reverse(f"governance:{name}", args=args)
        client.logout()
        if persona != "anonymous":
            client.force_login(getattr(world.users, persona))
        data = {
            "finance-line-add": {
                "line-form_token": str(uuid.uuid4()),
                "line-direction": "income",
                "line-occurred_on": statement.period_start.isoformat(),
                "line-item": "x",
                "line-amount": "5",
            },
            "finance-create": {
                "form_token": str(uuid.uuid4()),
                "village": world.qixing.pk,
                "period": "month",
                "day": (statement.period_end + datetime.timedelta(days=1)).isoformat(),
            },
            "finance-import": {"import-form_token": str(uuid.uuid4())},
        }.get(name, {})
        before = (FinanceStatement.objects.count(), FinanceLine.objects.count())
        response = client.get(url) if method == "GET" else client.post(url, data)
        assert response.status_code == status, (persona, response.status_code)
        if status in (403, 404):
            assert (FinanceStatement.objects.count(), FinanceLine.objects.count()) == before
