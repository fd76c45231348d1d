"""Makers of village compacts (村规民约) for the tests: a draft of 七星村, proposed through a new
村事, voted on and published, filed by 渭沱镇."""

import datetime

from django.utils import timezone

from petitions import compact as c
from petitions import services as s
from petitions.models import CompactVersion, Matter

ARTICLES = [
    ("环境卫生", "房前屋后保持整洁，垃圾分类投放。"),
    ("邻里和睦", "邻里之间互谅互让，纠纷先协商、再调解。"),
    ("孝老爱亲", "赡养老人，关爱留守儿童和独居老人。"),
]


def draft(mw, articles=ARTICLES, village=None, actor=None) -> CompactVersion:
    actor = actor or mw.users.cadre
    version = c.compact_version_draft(village=village or mw.qixing, actor=actor)
    for title, text in articles:
        c.compact_article_add(version=version, actor=actor, title=title, text=text)
    return version


def proposed(mw, **draft_args) -> tuple[CompactVersion, Matter]:
    """A draft proposed through a new 村事, steps 1 to 4 recorded."""
    version = draft(mw, **draft_args)
    version = c.compact_version_propose(version=version, actor=mw.users.cadre)
    matter = version.matter
    today = timezone.localdate()
    for n in (1, 2, 3, 4):
        party = {"entitled": 30, "present": 25} if n == 4 else {}
        s.matter_deliberate(
            matter=matter, actor=mw.users.cadre, kind="step", step=n, held_on=today, summary=f"第{n}步", **party
        )
    return version, matter


VOTES = iter(range(1, 10_000))


def vote(mw, matter, *, in_favour=60, body="villagers_meeting"):
    """Step 5 (a villagers' meeting announced ten days ahead); each vote its own minutes."""
    today = timezone.localdate()
    notice = {"announced_on": today - datetime.timedelta(days=10)} if body != "representatives_meeting" else {}
    entitled = 100 if body != "representatives_meeting" else 45
    present = 90 if body != "representatives_meeting" else 40
    return s.matter_deliberate(
        matter=matter,
        actor=mw.users.cadre,
        kind="step",
        step=5,
        held_on=today,
        summary=f"表决（第{next(VOTES)}次会议）",
        body=body,
        entitled=entitled,
        present=present,
        in_favour=min(in_favour, present),
        against=present - min(in_favour, present),
        abstain=0,
        **notice,
    )


def publish(mw, matter):
    s.matter_deliberate(
        matter=matter,
        actor=mw.users.cadre,
        kind="step",
        step=6,
        held_on=timezone.localdate(),
        summary=f"决议公开（第{next(VOTES)}次）",
    )


def adopted(mw, **draft_args) -> tuple[CompactVersion, Matter]:
    """Voted by the villagers' meeting and published: awaiting filing (备案)."""
    version, matter = proposed(mw, **draft_args)
    vote(mw, matter)
    publish(mw, matter)
    version.refresh_from_db()
    return version, matter


def in_force(mw, **draft_args) -> CompactVersion:
    """Adopted and filed by the township: in force from today."""
    version, matter = adopted(mw, **draft_args)
    s.matter_record_filing(matter=matter, actor=mw.users.official, filed=True)
    version.refresh_from_db()
    return version
