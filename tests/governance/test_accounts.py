"""Staff accounts kept by the township administrator (镇街管理员, governance.accounts): opening
one or many (an .xlsx list, all or none), the password issued once and changed at the first
login, reset, deactivation and reactivation; who may do it (the role 403, another township's
account 404); the hub (管理) and the pages; everything on record."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token

from governance import accounts as a
from governance.errors import Conflict, Forbidden
from governance.history import history_of
from governance.models import Role, StaffAccount
from governance.passwords import MUST_CHANGE
from tests.factories import assign, make_user
from tests.staff_fixtures import xlsx

User = get_user_model()
# The pages these tests cover for tests/pages/test_permissions.py (their roles, 403 and 404 below).
COVERED_URL_NAMES = {
    "manage",
    "staff-list",
    "staff-create",
    "staff-import",
    "staff-template",
    "staff-detail",
    "staff-action",
    "password-change",
}
PASSWORD_SHAPE = re.compile(r"^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$")


def _detail(account) -> str:
    return reverse("governance:staff-detail", args=[account.pk])


def _action(account, action) -> str:
    return reverse("governance:staff-action", args=[account.pk, action])


def _form(client, url) -> dict:
    """The hidden fields (the form token) of every form on the page at `url`."""
    html = client.get(url).content.decode()
    return dict(re.findall(r'name="([\w-]*form_token)" value="([^"]+)"', html))


# ---------------------------------------------------------------- opening an account


def test_an_opened_account_has_a_readable_password_it_must_change_and_is_on_record(sw):
    staff = sw.opened.staff_account
    assert PASSWORD_SHAPE.match(sw.opened_password)
    assert sw.opened.check_password(sw.opened_password)
    assert sw.opened.is_active and sw.opened.first_name == "新网格员"
    assert staff.must_change_password and staff.township == sw.weituo and staff.created_by == sw.users.weituo_admin
    assert staff.phone == "15800001234"
    assert a.password_change_required(sw.opened)
    # The account's history shows the user's fields and its StaffAccount's together.
    fields = {name for change in history_of(sw.opened) for name, _before, _after in change.fields}
    assert gettext("username") in fields and gettext("must change the password at the next login") in fields


def test_a_typed_password_must_pass_the_validators_and_a_username_is_free_whatever_its_case(sw):
    with pytest.raises(ValidationError) as refused:
        a.staff_account_create(
            by=sw.users.weituo_admin,
            township=sw.weituo,
            account=a.NewAccount(
                username="T_NEW_GRID", name="", phone="12345", email="not-an-address", password="12345678"
            ),
        )
    assert set(refused.value.message_dict) == {"username", "name", "phone", "email", "password"}
    user, password = a.staff_account_create(
        by=sw.users.weituo_admin,
        township=sw.weituo,
        account=a.NewAccount(username="t_typed", name="自定密码", password="qixing-river-2026"),
    )
    assert password == "qixing-river-2026" and user.check_password(password)


def test_an_administrator_opens_accounts_for_their_own_township_only(sw):
    with pytest.raises(ValidationError) as refused:
        a.staff_account_create(
            by=sw.users.weituo_admin, township=sw.xiaomian, account=a.NewAccount(username="t_x", name="某")
        )
    assert "township" in refused.value.message_dict
    for persona in ("cadre", "official", "grid1", "outsider"):
        with pytest.raises(Forbidden):
            a.staff_account_create(
                by=getattr(sw.users, persona), township=sw.weituo, account=a.NewAccount(username="t_y", name="某")
            )
    assert not User.objects.filter(username__in=["t_x", "t_y"]).exists()


def test_an_administrator_keeps_the_accounts_opened_for_or_working_in_their_township(sw):
    users = sw.users
    mover = make_user("t_mover", name="调走的人")
    assign(mover, Role.GRID_WORKER, sw.q1, valid_from=timezone.localdate() - datetime.timedelta(days=400))
    mover.assignments.update(valid_to=timezone.localdate() - datetime.timedelta(days=30))
    assign(mover, Role.GRID_WORKER, sw.l1)
    second_admin = make_user("t_weituo_admin2", name="渭沱镇管理员二")
    assign(second_admin, Role.TOWNSHIP_ADMIN, sw.weituo)

    weituo = set(a.accounts_managed_by(users.weituo_admin).values_list("username", flat=True))
    assert {"t_new_grid", "t_grid1", "t_cadre", "t_official", "t_sifasuo", "t_weituo_admin"} <= weituo
    # Not who works in another township today (渭沱镇 would reset the password of, or deactivate,
    # someone 小沔镇 relies on), nor another administrator, nor the township's leader, whose
    # password would hand the caller the township's decisions (the superuser keeps those).
    assert not weituo & {
        "t_xiaomian",
        "t_outsider",
        "t_admin",
        "t_xiaomian_admin",
        "t_mover",
        "t_weituo_admin2",
        "t_leader",
    }
    # Another administrator of the township keeps what the first one opened.
    assert a.accounts_managed_by(second_admin).filter(pk=sw.opened.pk).exists()
    xiaomian = set(a.accounts_managed_by(users.xiaomian_admin).values_list("username", flat=True))
    assert "t_mover" in xiaomian and "t_new_grid" not in xiaomian
    assert not a.accounts_managed_by(users.official).exists()
    assert a.accounts_managed_by(users.admin).filter(pk=users.admin.pk).exists()


# ---------------------------------------------------------------- reset, deactivate, reactivate


def test_a_reset_issues_a_password_to_change_and_ends_sessions_and_tokens(sw, client):
    users = sw.users
    client.force_login(users.grid1)
    assert client.get("/").status_code == 200
    token = Token.objects.create(user=users.grid1)

    password = a.staff_password_reset(by=users.weituo_admin, user=users.grid1)

    users.grid1.refresh_from_db()
    assert PASSWORD_SHAPE.match(password) and users.grid1.check_password(password)
    assert not users.grid1.check_password("demo12345")
    assert users.grid1.staff_account.must_change_password  # opened for the account now, kept by 渭沱镇
    assert users.grid1.staff_account.township == sw.weituo
    assert not Token.objects.filter(pk=token.pk).exists()
    # The session logged in before the reset is over.
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_a_reset_refuses_the_own_account_a_deactivated_one_and_a_weak_typed_password(sw):
    admin = sw.users.weituo_admin
    with pytest.raises(Forbidden):
        a.staff_password_reset(by=admin, user=admin)
    with pytest.raises(ValidationError):
        a.staff_password_reset(by=admin, user=sw.opened, password="password")
    with pytest.raises(Forbidden):  # another township's account
        a.staff_password_reset(by=sw.users.xiaomian_admin, user=sw.opened)
    a.staff_account_deactivate(by=admin, user=sw.opened, reason="离职")
    with pytest.raises(Conflict):
        a.staff_password_reset(by=admin, user=sw.opened)


def test_deactivation_refuses_logins_ends_assignments_and_keeps_the_history(sw, client):
    users = sw.users
    today = timezone.localdate()
    coming = assign(users.grid1, Role.GRID_WORKER, sw.q2, valid_from=today + datetime.timedelta(days=10))
    token = Token.objects.create(user=users.grid1)
    with pytest.raises(ValidationError):
        a.staff_account_deactivate(by=users.weituo_admin, user=users.grid1, reason="  ")

    a.staff_account_deactivate(by=users.weituo_admin, user=users.grid1, reason="调离网格")

    users.grid1.refresh_from_db()
    staff = users.grid1.staff_account
    assert not users.grid1.is_active
    assert staff.deactivated_by == users.weituo_admin and staff.deactivation_reason == "调离网格"
    assert not Token.objects.filter(pk=token.pk).exists()
    first = users.grid1.assignments.get(grid=sw.q1)
    coming.refresh_from_db()
    assert first.valid_to == today and coming.valid_to == coming.valid_from
    refused = client.post(reverse("login"), {"username": "t_grid1", "password": "demo12345"})
    assert refused.status_code == 200 and not refused.wsgi_request.user.is_authenticated
    shown = [field for change in history_of(users.grid1) for field in change.fields]
    assert any(after == "调离网格" for _name, _before, after in shown)
    with pytest.raises(Conflict):
        a.staff_account_deactivate(by=users.weituo_admin, user=users.grid1, reason="again")
    with pytest.raises(Forbidden):
        a.staff_account_deactivate(by=users.weituo_admin, user=users.weituo_admin, reason="自己")


def test_reactivation_lets_the_account_log_in_with_its_assignments_still_ended(sw, client):
    users = sw.users
    a.staff_account_deactivate(by=users.weituo_admin, user=users.grid1, reason="病假")
    with pytest.raises(Conflict):
        a.staff_account_reactivate(by=users.weituo_admin, user=users.weituo_admin)

    a.staff_account_reactivate(by=users.weituo_admin, user=users.grid1)

    users.grid1.refresh_from_db()
    assert users.grid1.is_active and users.grid1.staff_account.deactivated_at is None
    login = client.post(reverse("login"), {"username": "t_grid1", "password": "demo12345"})
    assert login.status_code == 302 and login.wsgi_request.user.is_authenticated
    assert users.grid1.assignments.get().valid_to == timezone.localdate()


# ---------------------------------------------------------------- the first login


def test_a_new_account_must_change_its_password_before_any_page_or_api_call(sw, client):
    login = client.post(reverse("login"), {"username": "t_new_grid", "password": sw.opened_password})
    assert login.status_code == 302 and client.session[MUST_CHANGE]
    for url in ("/", "/households/", reverse("governance:notification-list"), "/admin/"):
        assert client.get(url)["Location"] == reverse("password-change"), url
    api = client.get("/api/v1/me/")
    assert api.status_code == 403
    assert set(api.json()) == {"detail", "code"} and api.json()["code"] == "password_change_required"
    page = client.get(reverse("password-change"))
    assert page.status_code == 200 and page.context["must_change"]

    same = client.post(
        reverse("password-change"),
        {"old_password": sw.opened_password, "new_password1": sw.opened_password, "new_password2": sw.opened_password},
    )
    assert same.status_code == 400 and "new_password1" in same.context["form"].errors

    changed = client.post(
        reverse("password-change"),
        {"old_password": sw.opened_password, "new_password1": "liangjiang-2026", "new_password2": "liangjiang-2026"},
    )
    assert changed["Location"] == reverse("governance:home")
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    sw.opened.staff_account.refresh_from_db()
    assert not sw.opened.staff_account.must_change_password
    assert history_of(sw.opened)[0].actor == "新网格员"


def test_an_account_that_must_change_its_password_can_still_log_out(sw, client):
    client.post(reverse("login"), {"username": "t_new_grid", "password": sw.opened_password})
    assert client.post(reverse("logout"))["Location"] == reverse("login")
    assert MUST_CHANGE not in client.session
    assert client.get(reverse("login")).status_code == 200


def test_anyone_may_change_their_own_password(world, client):
    client.force_login(world.users.cadre)
    assert client.get("/").status_code == 200
    changed = client.post(
        reverse("password-change"),
        {"old_password": "demo12345", "new_password1": "qixing-cadre-77", "new_password2": "qixing-cadre-77"},
    )
    assert changed.status_code == 302
    world.users.cadre.refresh_from_db()
    assert world.users.cadre.check_password("qixing-cadre-77")


# ---------------------------------------------------------------- the list in Excel


def test_the_template_has_the_chinese_header_with_the_required_columns(sw, client):
    client.force_login(sw.users.weituo_admin)
    response = client.get(reverse("governance:staff-template"))
    assert response.status_code == 200
    import io

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == ["用户名", "姓名", "手机号码", "电子邮箱", "初始密码"]


def test_an_import_opens_every_account_of_the_list(sw):
    rows = [["t_imp1", "张一", "15800000001", "", ""], ["t_imp2", "李二", "", "li@example.com", "xiaomian-2026!"]]
    opened = a.staff_accounts_import(by=sw.users.weituo_admin, township=sw.weituo, file=xlsx(rows))
    assert [(u.username, u.first_name) for u, _p in opened] == [("t_imp1", "张一"), ("t_imp2", "李二")]
    assert PASSWORD_SHAPE.match(opened[0][1]) and opened[1][1] == "xiaomian-2026!"
    assert all(u.staff_account.must_change_password and u.staff_account.township == sw.weituo for u, _p in opened)


def test_an_import_with_errors_opens_nothing_and_lists_each_by_row_and_column(sw):
    rows = [
        ["t_ok", "好人", "", "", ""],
        ["T_NEW_GRID", "", "158", "", ""],
        ["t_ok", "重复", "", "", "12345678"],
        ["bad name", "空格", "", "x@", ""],
    ]
    with pytest.raises(a.StaffImportError) as refused:
        a.staff_accounts_import(by=sw.users.weituo_admin, township=sw.weituo, file=xlsx(rows))
    found = {(e.row, e.column) for e in refused.value.errors}
    assert found == {
        (3, "用户名"),
        (3, "姓名"),
        (3, "手机号码"),
        (4, "用户名"),
        (4, "初始密码"),
        (5, "用户名"),
        (5, "电子邮箱"),
    }
    assert {e.code for e in refused.value.errors if (e.row, e.column) == (4, "用户名")} == {"duplicate_username"}
    assert not User.objects.filter(username="t_ok").exists()
    body = refused.value.as_body()
    assert body["code"] == "invalid_staff_list" and len(body["errors"]) == len(refused.value.errors) == 8


@pytest.mark.parametrize(
    ("header", "rows", "code"),
    [
        (["用户名", "姓名", "职务"], [["t_a", "某", "网格员"]], "unknown_column"),
        (["用户名", "手机号码"], [["t_a", "15800000001"]], "missing_columns"),
        (["用户名", "姓名"], [], "empty_list"),
        (["用户名", "姓名"], [["t_a", "某", "多出来"]], "unknown_column"),
    ],
)
def test_an_import_refuses_a_list_it_cannot_read_whole(sw, header, rows, code):
    with pytest.raises(a.StaffImportError) as refused:
        a.staff_accounts_import(by=sw.users.weituo_admin, township=sw.weituo, file=xlsx(rows, header=header))
    assert refused.value.code == code
    assert not User.objects.filter(username="t_a").exists()


def test_an_import_reads_a_list_with_a_title_row_a_row_number_column_and_other_words(sw):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["渭沱镇网格员名单"])
    sheet.append(["序号", "*账号", "名字", "手机"])
    sheet.append([1, "t_title", "标题行", 15800000002])
    import io

    out = io.BytesIO()
    workbook.save(out)
    opened = a.staff_accounts_import(
        by=sw.users.weituo_admin, township=sw.weituo, file=SimpleUploadedFile("list.xlsx", out.getvalue())
    )
    assert [(u.username, u.staff_account.phone) for u, _p in opened] == [("t_title", "15800000002")]


def test_an_import_refuses_a_file_that_is_not_xlsx(sw):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(a.StaffImportError) as refused:
        a.staff_accounts_import(
            by=sw.users.weituo_admin, township=sw.weituo, file=SimpleUploadedFile("list.xlsx", b"not a workbook")
        )
    assert refused.value.code == "not_xlsx"


# ---------------------------------------------------------------- the pages


PAGES = [
    ("GET", "manage"),
    ("GET", "staff-list"),
    ("GET", "staff-create"),
    ("POST", "staff-create"),
    ("GET", "staff-import"),
    ("GET", "staff-template"),
]


@pytest.mark.parametrize("persona", ["cadre", "official", "leader", "grid1", "handler", "clerk", "outsider"])
def test_the_administration_pages_are_refused_to_everyone_but_an_administrator(sw, client, persona):
    client.force_login(getattr(sw.users, persona))
    for method, name in PAGES:
        response = getattr(client, method.lower())(reverse(f"governance:{name}"))
        assert response.status_code == 403, name
        assert "403.html" in {t.name for t in response.templates}
    assert client.get(_detail(sw.opened)).status_code == 403
    assert client.post(_action(sw.opened, "deactivate"), {"deactivate-reason": "x"}).status_code == 403
    assert User.objects.get(pk=sw.opened.pk).is_active
    menu = client.get(reverse("governance:notification-list")).content.decode()
    assert f'href="{reverse("governance:manage")}"' not in menu


def test_another_townships_account_is_not_found(sw, client):
    client.force_login(sw.users.xiaomian_admin)
    assert client.get(_detail(sw.opened)).status_code == 404
    for action in ("reset-password", "deactivate", "reactivate"):
        assert client.post(_action(sw.opened, action), {f"{action}-reason": "x"}).status_code == 404
    assert client.get(_detail(sw.users.other_official)).status_code == 200


def test_the_administrators_home_is_the_hub_with_the_staff_figures(sw, client):
    client.force_login(sw.users.weituo_admin)
    assert client.get("/")["Location"] == reverse("governance:manage")
    hub = client.get(reverse("governance:manage"))
    assert hub.status_code == 200
    figures = {str(f.label): f.value for row in hub.context["rows"] for f in row["figures"]}
    assert figures[gettext("must change the password")] == 1
    assert figures[gettext("deactivated")] == 0
    assert f'href="{reverse("governance:manage")}"' in hub.content.decode()  # the navigation's 管理
    client.force_login(sw.users.admin)
    assert client.get(reverse("governance:manage")).status_code == 200
    assert client.get("/").status_code == 200


def test_the_list_searches_and_filters(sw, client):
    client.force_login(sw.users.weituo_admin)
    a.staff_account_deactivate(by=sw.users.weituo_admin, user=sw.users.grid2, reason="离职")

    def names(**query):
        page = client.get(reverse("governance:staff-list"), query)
        assert page.status_code == 200
        return {u.username for u in page.context["page"].object_list}

    assert names(q="0000 1234") == {"t_new_grid"}
    assert names(q="新网格") == {"t_new_grid"}
    assert names(status="deactivated") == {"t_grid2"}
    assert names(status="must_change") == {"t_new_grid"}
    assert "t_xiaomian" not in names()


def test_the_list_costs_the_same_queries_however_many_accounts(sw, client):
    client.force_login(sw.users.weituo_admin)
    url = reverse("governance:staff-list")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(6):
        user = make_user(f"t_more{n}", name=f"多{n}")
        assign(user, Role.GRID_WORKER, sw.q1)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_a_new_account_shows_its_password_once(sw, client):
    client.force_login(sw.users.weituo_admin)
    tokens = _form(client, reverse("governance:staff-create"))
    data = {**tokens, "name": "王网格", "username": "t_page_new", "phone": "", "email": "", "password": ""}
    created = client.post(reverse("governance:staff-create"), data)
    account = User.objects.get(username="t_page_new")
    assert created["Location"] == _detail(account)
    page = client.get(_detail(account))
    password = page.context["password"]
    assert PASSWORD_SHAPE.match(password) and password in page.content.decode()
    assert account.staff_account.must_change_password
    again = client.get(_detail(account))
    assert again.context["password"] is None and password not in again.content.decode()
    # The same form sent again opens nothing more.
    assert client.post(reverse("governance:staff-create"), data).status_code == 302
    assert User.objects.filter(username="t_page_new").count() == 1


def test_a_new_account_with_errors_comes_back_with_them(sw, client):
    client.force_login(sw.users.weituo_admin)
    tokens = _form(client, reverse("governance:staff-create"))
    data = {**tokens, "name": "王", "username": "t_new_grid", "password": "123"}
    page = client.post(reverse("governance:staff-create"), data)
    assert page.status_code == 400
    assert {"username", "password"} <= set(page.context["form"].errors)


def test_the_import_page_shows_each_password_once_or_every_error(sw, client):
    client.force_login(sw.users.weituo_admin)
    url = reverse("governance:staff-import")
    tokens = _form(client, url)
    refused = client.post(url, {**tokens, "file": xlsx([["t_p1", "", "", "", ""]])})
    assert refused.status_code == 400
    assert [(e.row, e.column) for e in refused.context["errors"]] == [(2, "姓名")]
    done = client.post(url, {**tokens, "file": xlsx([["t_p1", "张", "", "", ""], ["t_p2", "李", "", "", ""]])})
    assert done["Location"] == f"{url}?done=1"
    shown = client.get(done["Location"])
    assert [row["username"] for row in shown.context["opened"]] == ["t_p1", "t_p2"]
    assert shown.context["opened"][0]["password"] in shown.content.decode()
    assert client.get(done["Location"]).context["opened"] is None


def test_the_account_page_lists_its_assignments_and_links_its_history(sw, client):
    client.force_login(sw.users.weituo_admin)
    page = client.get(_detail(sw.users.grid1))
    html = page.content.decode()
    assignment = sw.users.grid1.assignments.get()
    assert reverse("governance:history", args=["account", sw.users.grid1.pk]) in html
    assert reverse("governance:history", args=["assignment", assignment.pk]) in html
    assert set(page.context["forms"]) == {"reset-password", "deactivate"}
    history = client.get(reverse("governance:history", args=["account", sw.opened.pk]))
    assert history.status_code == 200
    own = client.get(_detail(sw.users.weituo_admin))
    assert own.context["forms"] == {}


def test_the_pages_reset_deactivate_and_reactivate_in_the_contracts_order(sw, client):
    admin, grid1 = sw.users.weituo_admin, sw.users.grid1
    client.force_login(admin)
    tokens = _form(client, _detail(grid1))
    token = tokens["reset-password-form_token"]
    reset = client.post(_action(grid1, "reset-password"), {"reset-password-form_token": token})
    assert reset["Location"] == _detail(grid1)
    password = client.get(_detail(grid1)).context["password"]
    grid1.refresh_from_db()
    assert grid1.check_password(password)

    missing = client.post(_action(grid1, "deactivate"), {"deactivate-form_token": tokens["deactivate-form_token"]})
    assert missing.status_code == 400 and "reason" in missing.context["forms"]["deactivate"].errors
    gone = client.post(
        _action(grid1, "deactivate"),
        {"deactivate-form_token": tokens["deactivate-form_token"], "deactivate-reason": "离职"},
    )
    assert gone["Location"] == _detail(grid1)
    grid1.refresh_from_db()
    assert not grid1.is_active
    assert history_of(grid1)[0].actor == admin.first_name  # the page's request names who did it
    # Deactivating it again: the page again with the message (409), nothing written.
    again = client.post(_action(grid1, "deactivate"), {"deactivate-form_token": "0" * 32, "deactivate-reason": "again"})
    assert again.status_code == 409
    assert StaffAccount.objects.get(user=grid1).deactivation_reason == "离职"
    tokens = _form(client, _detail(grid1))
    back = client.post(_action(grid1, "reactivate"), tokens)
    assert back["Location"] == _detail(grid1)
    grid1.refresh_from_db()
    assert grid1.is_active
    # One's own account: the role's refusal (403).
    assert client.post(_action(admin, "deactivate"), {"deactivate-reason": "x"}).status_code == 403
