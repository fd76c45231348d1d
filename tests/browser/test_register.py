"""The household register in Excel, in Chromium: a cadre sends a bad file, reads the errors
on the job's page (at a desk and on a phone), then sends a good one and sees what was
written; on a phone, the job's page shows its progress and turns into the counts by itself."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, layout_problems, screenshot
from tests.grids.test_register import family, person, xlsx

pytestmark = pytest.mark.browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _bad_rows():
    rows = family()
    rows[0]["公民身份号码"] = "500117197001020000"  # wrong check digit
    rows[1]["性别"] = "未知"
    rows[2]["人员标签"] = "不存在的标签"
    rows.append(person(household="Q-101", name="外村人", id_number="", **{"村（社区）": "化龙村"}))
    rows.append(person(household="Q-102", name="没有户主", relation="配偶", id_number="", 出生日期="1990-13-45"))
    return rows


def _send(page, rows, name):
    """Send the file; the import is a job (governance.jobs): to its page."""
    page.set_input_files("#id_file", files=[{"name": name, "mimeType": XLSX, "buffer": xlsx(rows).getvalue()}])
    page.click("#import-form button[type=submit]")
    page.wait_for_url(re.compile(r"/jobs/\d+/$"))
    page.wait_for_load_state()


def test_cadre_imports_the_register_after_fixing_errors(open_page, target):
    if target.world is None:
        pytest.skip("writes households: needs the test world, not a running demo")
    from grids.models import Household, Tag

    Tag.objects.create(code="hardship", name="困难户", is_key_group=True)
    Tag.objects.create(code="left_behind_child", name="留守儿童", is_key_group=True)

    # From the household list to the import page, as a cadre finds it.
    page = open_page(DESKTOP, target.cadre)
    page.goto("/households/")
    expect(page.locator("#household-results a.button[href='/households/export/']")).to_be_visible()
    expect(page.locator("#household-results form[action='/households/export/'] button")).to_be_visible()
    assert layout_problems(page) == []
    screenshot(page, "desktop-register-household-list")
    page.locator(".page-head a[href='/households/import/']").click()
    expect(page.locator("#import-form")).to_be_visible()
    assert layout_problems(page) == []
    screenshot(page, "desktop-register-import")

    # 1. A bad file: every error by row and column on the job's page, nothing written.
    _send(page, _bad_rows(), "七星村台账.xlsx")
    expect(page.locator(".job-status .import-refused")).to_be_visible()
    table = page.locator("#job-errors")
    expect(table).to_be_visible()
    rows = table.locator("tbody tr")
    assert rows.count() >= 6
    first = rows.first.locator("td")
    expect(first.nth(0)).to_have_text("2")
    expect(first.nth(1)).to_have_text("公民身份号码")
    assert not Household.objects.filter(number__in=["Q-100", "Q-101", "Q-102"]).exists()
    assert layout_problems(page) == []
    screenshot(page, "desktop-register-import-errors")
    page.locator(".import-refused a[href='/households/import/']").click()
    expect(page.locator("#import-form button[type=submit]")).to_be_enabled()

    # The same on a phone: the table turns into one card per error, nothing sticks out.
    phone = open_page(PHONE, target.cadre, phone=True)
    phone.goto("/households/import/")
    assert layout_problems(phone) == []
    screenshot(phone, "phone-register-import")
    _send(phone, _bad_rows(), "七星村台账.xlsx")
    expect(phone.locator("#job-errors")).to_be_visible()
    assert phone.locator("#job-errors thead").bounding_box()["height"] <= 1
    assert phone.locator("#job-errors tbody tr").first.evaluate("e => getComputedStyle(e).display") == "block"
    table_box = phone.locator("#job-errors").bounding_box()
    assert table_box["x"] + table_box["width"] <= PHONE["width"]
    assert layout_problems(phone) == []
    screenshot(phone, "phone-register-import-errors")
    phone.locator("#job-errors").screenshot(path=str(ARTIFACTS / "phone-register-error-table.png"))

    # 2. The corrected file: the counts, and the way back to the list.
    _send(page, family(), "七星村台账.xlsx")
    panel = page.locator(".result-panel")
    expect(panel).to_be_visible()
    counts = [int(n) for n in panel.locator(".counts dd").all_inner_texts()]
    assert counts == [1, 0, 0, 3, 0, 0]  # households created/updated/moved, residents created/updated/unchanged
    assert Household.objects.get(number="Q-100").members.count() == 3
    assert layout_problems(page) == []
    screenshot(page, "desktop-register-import-done")
    panel.locator("a[href='/households/']").click()
    expect(page.locator("#household-results")).to_contain_text("刘大山")


def test_import_job_page_shows_its_progress_on_a_phone_then_the_counts(open_page, target):
    """Redis is down when the file is sent: the job waits, kept; its page says so, shows the
    rows processed as the worker reports them, and turns into the counts when it is done,
    without a reload (htmx asks every 2 s)."""
    if target.world is None:
        pytest.skip("writes households: needs the test world, not a running demo")
    from governance.models import Job
    from governance.tasks import run_job
    from grids.models import Tag
    from tests.governance.test_notifications import broker

    Tag.objects.create(code="hardship", name="困难户", is_key_group=True)
    Tag.objects.create(code="left_behind_child", name="留守儿童", is_key_group=True)

    phone = open_page(PHONE, target.cadre, phone=True)
    phone.goto("/households/import/")
    with broker("redis://127.0.0.1:1/0"):  # nothing listens: the job stays queued
        _send(phone, family(), "七星村台账.xlsx")
    job = Job.objects.get()
    assert job.state == "queued"
    expect(phone.locator(".job-state")).to_be_visible()
    expect(phone.locator("progress.job-progress")).not_to_have_attribute("value", re.compile("."))
    assert layout_problems(phone) == []

    # What a worker half-way through a township's file reports (governance.jobs.Progress).
    Job.objects.filter(pk=job.pk).update(state="running", phase="checking", done=1200, total=50000)
    # 已处理 1 200 / 50 000 行 (in English until the translations are compiled).
    count = re.compile("(已处理|Processed) 1\u00a0200 / 50\u00a0000 (行|rows)")
    expect(phone.locator(".job-count")).to_have_text(count, timeout=6000)
    expect(phone.locator("progress.job-progress")).to_have_attribute("value", "1200")
    assert layout_problems(phone) == []
    screenshot(phone, "phone-job-progress")
    desktop = open_page(DESKTOP, target.cadre)
    desktop.goto(f"/jobs/{job.pk}/")
    expect(desktop.locator(".job-count")).to_be_visible()
    screenshot(desktop, "desktop-job-progress")

    # The worker takes it (as the beat sweep would queue it again) and finishes.
    Job.objects.filter(pk=job.pk).update(state="queued", phase="", done=0, total=0)
    assert run_job(job.pk) == "done"
    panel = phone.locator(".result-panel")
    expect(panel).to_be_visible(timeout=6000)
    counts = [int(n) for n in panel.locator(".counts dd").all_inner_texts()]
    assert counts == [1, 0, 0, 3, 0, 0]
    assert phone.locator("[hx-trigger]").count() == 0  # done: the page stops asking
    assert layout_problems(phone) == []
    screenshot(phone, "phone-job-done")
    desktop.goto(f"/jobs/{job.pk}/")
    screenshot(desktop, "desktop-job-done")
    desktop.goto("/jobs/")
    expect(desktop.locator(".job-list .job-done")).to_have_count(1)
    screenshot(desktop, "desktop-job-list")


def test_job_list_names_each_jobs_file_on_a_phone(open_page, target):
    """Three imports of the same kind read alike on /jobs/: each card also names its file
    (the file sent, or the file made), and a long name wraps inside the card."""
    if target.world is None:
        pytest.skip("writes jobs: needs the test world, not a running demo")
    from governance.models import Job
    from grids import job_kinds

    owner = target.world.users.cadre
    long_name = "七星村户籍台账" + "_第二次修改版" * 8 + ".xlsx"
    Job.objects.create(kind=job_kinds.IMPORT, owner=owner, state="failed", input_name=long_name)
    Job.objects.create(kind=job_kinds.EXPORT, owner=owner, state="done", result_name="户籍台账-20261207.xlsx")
    phone = open_page(PHONE, target.cadre, phone=True)
    phone.goto("/jobs/")
    expect(phone.locator(".job-list .job-file")).to_have_text(["户籍台账-20261207.xlsx", long_name])
    assert layout_problems(phone) == []
    screenshot(phone, "phone-job-list-files")
