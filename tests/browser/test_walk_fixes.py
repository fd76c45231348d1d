"""What tripped a user walking issue 14's pages on a phone (360 px): the same minutes recorded
twice reloaded the long matter page at its top, the question (save it all the same?) 3,000 px
below, so it looked saved; a household's visit dates broke in two ("2026-" over "11-10")."""

import datetime

import pytest
from django.utils import timezone

from grids.models import Household
from petitions.models import Matter
from tests.browser.conftest import PHONE, screenshot

pytestmark = pytest.mark.browser

IN_VIEW = """
(selector) => {
  const el = document.querySelector(selector);
  const box = el.getBoundingClientRect();
  return {top: box.top, bottom: box.bottom, height: window.innerHeight, scrolled: window.scrollY,
          focused: document.activeElement === el};
}
"""


def _record(page, matter_pk: int, day: str) -> None:
    page.goto(f"/matters/{matter_pk}/")
    form = page.locator("form[action$='/deliberate/']").first
    form.locator("textarea[name$='summary']").fill("院坝会上双方同意晚上十点后不再施工。")
    form.locator("input[name$='held_on']").fill(day)
    form.locator("button[type=submit]").first.click()
    page.wait_for_load_state()


def test_the_same_minutes_twice_bring_the_question_into_view(demo_site):
    matter = Matter.objects.get(title="邻居夜间施工噪音扰民")
    day = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    cadre = demo_site(PHONE, "qixing_cadre", phone=True)
    _record(cadre, matter.pk, day)
    cadre.wait_for_url(f"**/matters/{matter.pk}/")
    _record(cadre, matter.pk, day)
    question = cadre.evaluate(IN_VIEW, ".same-minutes")
    assert question["scrolled"] > 0 and question["focused"], question
    assert 0 <= question["top"] < question["height"] / 2, question
    screenshot(cadre, "matter-same-minutes-phone")


DATES = """
() => [...document.querySelectorAll('.household-visits time')].map((t) => ({
  text: t.textContent, height: t.getBoundingClientRect().height, line: parseFloat(getComputedStyle(t).lineHeight),
}))
"""


def test_a_households_visit_dates_stay_on_one_line(demo_site):
    household = Household.objects.filter(village__name="七星村", visits__isnull=False).order_by("pk").first()
    cadre = demo_site(PHONE, "qixing_cadre", phone=True)
    cadre.goto(f"/households/{household.pk}/")
    dates = cadre.evaluate(DATES)
    assert dates, "the demo household has visits"
    for date in dates:
        assert date["height"] <= date["line"] + 1, date
    screenshot(cadre, "household-visits-phone")
