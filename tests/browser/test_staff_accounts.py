"""Staff accounts in Chromium: 渭沱镇's administrator (镇街管理员) opens an account at a desk and
reads its password once; the new grid worker logs in on a phone, is sent to the password page
whatever page they ask for, chooses a password and lands home. The hub, the list, the import
page and the account's page on a phone and at a desk, each without layout problems."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, check_layout

pytestmark = pytest.mark.browser
NEW_PASSWORD = "qixing-river-2026"


def _fresh(browser, base_url, viewport, *, phone=False):
    context = browser.new_context(
        viewport=viewport,
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
        locale="zh-CN",
        base_url=base_url,
    )
    context.set_default_timeout(10_000)
    return context, context.new_page()


def test_an_administrator_opens_an_account_that_changes_its_password_at_first_login(
    open_page, browser, live_server, sw
):
    admin = sw.users.weituo_admin.username

    # At a desk: the administrator's home is the hub.
    desk = open_page(DESKTOP, admin)
    expect(desk).to_have_url(f"{live_server.url}/manage/")
    expect(desk.locator(".site-nav a[href='/manage/']")).to_have_attribute("aria-current", "page")
    expect(desk.locator(".manage-cards .tile.alert .stat")).to_have_text("1")  # t_new_grid must change
    check_layout(desk, "desktop-admin-hub")

    desk.locator(".manage-cards a.button.primary").first.click()
    expect(desk).to_have_url(f"{live_server.url}/manage/staff/")
    check_layout(desk, "desktop-admin-staff-list")

    desk.locator("main a[href='/manage/staff/new/']").click()
    desk.fill("#id_name", "王小网")
    desk.fill("#id_username", "qixing_wang")
    desk.fill("#id_phone", "158 0000 5678")
    check_layout(desk, "desktop-admin-staff-new")
    with desk.expect_navigation():
        desk.locator("main form button[type=submit]").click()
    expect(desk.locator(".message.success")).to_be_visible()
    password = desk.locator("#issued-password").inner_text().strip()
    assert len(password) == 14
    check_layout(desk, "desktop-admin-staff-detail-password")
    desk.reload()
    expect(desk.locator("#issued-password")).to_have_count(0)  # shown once

    # The new grid worker, on a phone, in a browser of their own.
    context, phone = _fresh(browser, live_server.url, PHONE, phone=True)
    try:
        phone.goto("/accounts/login/")
        phone.fill("#id_username", "qixing_wang")
        phone.fill("#id_password", password)
        with phone.expect_navigation():
            phone.click("main button[type=submit]")
        expect(phone).to_have_url(f"{live_server.url}/accounts/password/")
        check_layout(phone, "phone-first-login-password")
        phone.goto("/households/")
        expect(phone).to_have_url(f"{live_server.url}/accounts/password/")
        phone.fill("#id_old_password", password)
        phone.fill("#id_new_password1", password)
        phone.fill("#id_new_password2", password)
        with phone.expect_navigation():
            phone.click("main form.form button[type=submit]")
        expect(phone.locator("#field-new_password1 .errorlist")).to_be_visible()
        check_layout(phone, "phone-first-login-same-password-refused")
        phone.fill("#id_old_password", password)
        phone.fill("#id_new_password1", NEW_PASSWORD)
        phone.fill("#id_new_password2", NEW_PASSWORD)
        with phone.expect_navigation():
            phone.click("main form.form button[type=submit]")
        expect(phone).to_have_url(f"{live_server.url}/")
        expect(phone.locator(".message.success")).to_be_visible()
        check_layout(phone, "phone-first-login-home")
    finally:
        context.close()

    # Back at the desk: the account no longer waits for its password to change.
    desk.goto("/manage/staff/?status=must_change")
    expect(desk.locator(".staff-rows h3", has_text="王小网")).to_have_count(0)


def test_the_administration_pages_on_a_phone(open_page, sw):
    page = open_page(PHONE, sw.users.weituo_admin.username, phone=True)
    check_layout(page, "phone-admin-hub")
    page.goto("/manage/staff/")
    check_layout(page, "phone-admin-staff-list")
    page.goto("/manage/staff/new/")
    check_layout(page, "phone-admin-staff-new")
    page.goto("/manage/staff/import/")
    check_layout(page, "phone-admin-staff-import")

    page.goto(f"/manage/staff/{sw.users.grid1.pk}/")
    page.locator("#action-deactivate summary").click()
    page.fill("#id_deactivate-reason", "调离网格")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("#action-deactivate button[type=submit]").click()
    expect(page.locator(".message.success")).to_be_visible()
    expect(page.locator("#action-reactivate")).to_be_visible()
    check_layout(page, "phone-admin-staff-deactivated")

    page.locator("#action-reactivate summary").click()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("#action-reactivate button[type=submit]").click()
    page.locator("#action-reset-password summary").click()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("#action-reset-password button[type=submit]").click()
    expect(page.locator("#issued-password")).to_be_visible()
    check_layout(page, "phone-admin-staff-reset")


def test_the_import_page_shows_the_errors_then_the_passwords(open_page, sw, tmp_path):
    from openpyxl import Workbook

    def write(rows, name):
        workbook = Workbook()
        workbook.active.append(["用户名", "姓名", "手机号码", "电子邮箱", "初始密码"])
        for row in rows:
            workbook.active.append(row)
        path = tmp_path / name
        workbook.save(path)
        return path

    page = open_page(DESKTOP, sw.users.weituo_admin.username)
    page.goto("/manage/staff/import/")
    page.set_input_files("#id_file", write([["t_b1", "", "123", "", ""], ["t_new_grid", "重", "", "", ""]], "bad.xlsx"))
    with page.expect_navigation():
        page.locator("#import-form button[type=submit]").click()
    expect(page.locator("#error-table tbody tr")).to_have_count(3)
    check_layout(page, "desktop-admin-import-errors")
    page.set_input_files("#id_file", write([["t_b1", "甲", "", "", ""], ["t_b2", "乙", "", "", ""]], "good.xlsx"))
    with page.expect_navigation():
        page.locator("#import-form button[type=submit]").click()
    expect(page.locator(".issued-passwords tbody tr")).to_have_count(2)
    check_layout(page, "desktop-admin-import-passwords")


def test_a_short_password_is_refused_in_chinese_and_the_account_page_assigns_the_person(open_page, sw):
    from django.utils import timezone

    from governance.models import Assignment

    page = open_page(PHONE, sw.users.weituo_admin.username, phone=True)
    page.goto("/manage/staff/new/")
    page.fill("#id_name", "短密码")
    page.fill("#id_username", "t_short")
    page.fill("#id_password", "abc")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    # Django 5.2's own message has no Chinese yet: ours has.
    expect(page.locator("#field-password .errorlist")).to_contain_text("密码长度太短")
    expect(page.locator("#field-password .errorlist")).not_to_contain_text("too short")
    expect(page.locator("#id_username")).to_have_value("t_short")
    check_layout(page, "phone-admin-staff-short-password")

    # The account's page leads to giving the person a post, the person already chosen.
    page.goto(f"/manage/staff/{sw.opened.pk}/")
    page.locator(f"main a[href='/manage/assignments/new/?user={sw.opened.pk}']").click()
    expect(page.locator("#id_user")).to_have_value(str(sw.opened.pk))
    page.select_option("#id_place", f"grid:{sw.q1.pk}")
    page.select_option("#id_role", "grid_worker")
    page.fill("#id_valid_from", timezone.localdate().isoformat())
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator(".message.success")).to_be_visible()
    post = Assignment.objects.get(user=sw.opened)

    # Its history reads in Chinese at 360 px: fields named by what they point at, no empty
    # rows, no English, and a new post's values in one column.
    page.goto(f"/history/assignment/{post.pk}/")
    fields = page.locator(".history-fields tbody th")
    expect(fields.first).to_be_visible()
    names = fields.all_inner_texts()
    assert "网格" in names and "村（社区）" in names, names
    assert not [name for name in names if name.isascii()], names
    expect(page.locator(".history-fields thead th")).to_have_count(2)
    check_layout(page, "phone-admin-post-history")

    # The account's history says yes and no, not True and False.
    page.goto(f"/history/account/{sw.opened.pk}/")
    expect(page.locator("main")).not_to_contain_text("True")
    expect(page.locator(".history-fields td", has_text="是").first).to_be_visible()
    check_layout(page, "phone-admin-account-history")
