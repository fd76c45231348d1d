"""Demo 最美 selection and activity of 李湾村 (小沔镇), through the real services.

李湾村's secretary (liwan_cadre) opens this year's 最美家庭 selection,
nominates two families of grid 1, records the 道德评议会's vote and
publishes it with a points rule: one batch, which after its 公示 the
村委会主任 (liwan_director), not the proposer, approves (maker-checker).
The village's catalogue has the township's 最美家庭 rule, which needs the
certificate as evidence; the village's own selection carries none, so a
rule for it (评为村级“最美家庭”, +50, once a year, no evidence) is added
beside it, as points.demo adds 李湾村's catalogue. And the 邻里节 held in
May (the article's 坝坝宴 of the neighbours' festival) with its
participants and one photo. Idempotent: looked up by title.
"""

import datetime
import io

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from governance.civic import activities as a
from governance.civic import selections as s
from governance.civic.models import Activity, ActivityKind, Selection, SelectionKind, SelectionStatus
from grids.models import Grid, Household, Resident, Village
from points.models import Account, Award, AwardStatus, Category, Rule, VillagePointsSettings
from points.services import award_approve

LIWAN_CODE = "500117102001"
RULE_NAME = "评为村级“最美家庭”（道德评议会评选）"


def seed(log=print) -> None:
    village = Village.objects.filter(code=LIWAN_CODE).first()
    cadre = get_user_model().objects.filter(username="liwan_cadre").first()
    if village is None or cadre is None:
        log("civic selections: 李湾村 or liwan_cadre is missing; skipped")
        return
    today = timezone.localdate()
    made = [_selection(village, cadre, today), _festival(village, cadre, today)]
    log(f"civic selections: {sum(made)} new in 李湾村 (a 最美家庭 selection, a 邻里节)")


def _rule(village) -> Rule | None:
    if not Account.objects.filter(village=village).exists():
        return None  # the points bank's demo has not run: publish without points
    rule, _created = Rule.objects.get_or_create(
        village=village,
        name=RULE_NAME,
        defaults={
            "category": Category.CIVILITY,
            "points": 50,
            "requires_evidence": False,
            "cap_count": 1,
            "cap_period": "year",
            "proposer_roles": ["village_cadre"],
            "order": 35,
        },
    )
    return rule


def _selection(village, cadre, today) -> bool:
    title = f"{today.year}年度李湾村“最美家庭”"
    if Selection.objects.filter(village=village, title=title).exists():
        return False
    grid = Grid.objects.filter(village=village).order_by("number").first()
    households = list(Household.objects.filter(grid=grid).order_by("number")[:2]) if grid else []
    if len(households) < 2:
        return False
    selection = s.selection_open(
        actor=cadre,
        village=village,
        kind=SelectionKind.FAMILY,
        title=title,
        year=today.year,
        description="孝老爱亲、邻里互助、家风良好、遵守村规民约。",
    )
    reasons = ["照顾瘫痪在床的婆婆八年，操持家务无怨言", "带头拆除房前旱厕，主动调解邻里便道纠纷"]
    for household, reason in zip(households, reasons, strict=True):
        s.nomination_add(selection=selection, actor=cadre, household=household, reason=reason)
    first, second = selection.nominations.order_by("pk")
    # Decided and published just long enough ago for the batch's 公示 to be over; 李湾村's
    # 村委会主任 (not the secretary who proposed it) has approved it: +50 on the two passbooks.
    window = VillagePointsSettings.objects.filter(village=village).values_list("objection_days", flat=True).first()
    published = timezone.now() - datetime.timedelta(days=(window or 3) + 1)
    votes = {first.pk: 8, second.pk: 6}
    s.selection_decide(selection=selection, actor=cadre, entitled=9, present=8, votes=votes, now=published)
    s.selection_publish(selection=selection, actor=cadre, rule=_rule(village), now=published)
    selection.refresh_from_db()
    checker = get_user_model().objects.filter(username="liwan_director").first()
    if selection.award_batch_id and checker is not None:
        for award in Award.objects.filter(batch_id=selection.award_batch_id, status=AwardStatus.PENDING).order_by("pk"):
            award_approve(award=award, actor=checker, note="公示期满无异议")
    return selection.status == SelectionStatus.PUBLISHED


def _photo() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (196, 64, 48)).save(out, format="JPEG")
    return SimpleUploadedFile("linlijie.jpg", out.getvalue(), content_type="image/jpeg")


def _festival(village, cadre, today) -> bool:
    held_on = datetime.date(today.year, 5, 18)
    if held_on > today:
        held_on = held_on.replace(year=today.year - 1)
    title = f"{held_on.year}年李湾村邻里节"
    if Activity.objects.filter(village=village, title=title).exists():
        return False
    residents = Resident.objects.filter(village=village).exclude(
        status__in=(Resident.Status.MOVED_OUT, Resident.Status.DECEASED)
    )
    a.activity_record(
        actor=cadre,
        village=village,
        kind=ActivityKind.NEIGHBOURS_FESTIVAL,
        title=title,
        held_on=held_on,
        place="李湾村法治广场",
        description="坝坝宴、文艺表演，老兵说法营讲村规民约，表彰孝老爱亲家庭。",
        participants=list(residents.order_by("pk")[:12]),
        photos=[_photo()],
    )
    return True
