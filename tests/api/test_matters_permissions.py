"""The matters permission matrix: every endpoint and action, each persona's status.

Out of scope is 404, a role that may not act 403, a state that does not allow it 409,
a bad payload 400, anonymous 401 (not_authenticated). A refused request leaves the
database exactly as it was: matters, events, deliberation records, grants, notifications.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from petitions import services
from petitions.models import Kind, State, VillageAffairsVerifiers, VillageMatterSettings
from tests.api.matter_states import civil, database_state, government, village, village_voted
from tests.matrix import Case, api_login, api_problems, api_send, matrix_params, run_matrix

PERSONAS = (
    "grid1",
    "grid2",
    "leader1",
    "helper",
    "cadre",
    "clerk",
    "supervisor",
    "other_cadre",
    "official",
    "leader",
    "other_official",
    "handler",
    "handler2",
    "outsider",
    "admin",
    "anon",
)

# Who sees a 民事 of 七星村 grid 1 naming 张三's household (in the courtyard 老院子).
SEES_CIVIL = ("grid1", "leader1", "helper", "cadre", "official", "leader", "admin")  # not the shop clerk
# Who sees a 政事 of 七星村 (no grid) assigned to 司法所.
SEES_GOVERNMENT = ("cadre", "official", "leader", "admin", "handler", "handler2")


def expect(sees, default, **overrides):
    """404 for those who do not see the matter, `default` for those who do, then overrides."""
    statuses = dict.fromkeys(PERSONAS, 404)
    statuses.update(dict.fromkeys(sees, default))
    statuses["anon"] = 401
    statuses.update(overrides)
    return statuses


EVERYONE = expect(PERSONAS, 200)
# The lists: the shop clerk, whose roles read no matters, is refused (403) as on the pages;
# the supervision committee gets its village's 村事.
MATTER_LISTS = expect(PERSONAS, 200, clerk=403)
CIVIL_OWNERS = {"grid1": 200, "leader1": 200, "cadre": 200, "admin": 200}
CLASSIFIERS = {"cadre": 200, "leader1": 200, "admin": 200}

# Who sees a 村事 of 七星村 grid 1 with no household (so not 老院子's helper): its grid and
# village, the township, and 七星村's supervision committee (村务监督委员会), which sees 村事 only.
SEES_VILLAGE = ("grid1", "leader1", "cadre", "supervisor", "official", "leader", "admin")
VILLAGE_OWNER = {"cadre": 200, "admin": 200}
CIVIL_OWNERS_409 = dict.fromkeys(CIVIL_OWNERS, 409)

CLASSIFY = {"kind": "civil", "category": "environment"}
STEP_1 = {"kind": "step", "step": 1, "held_on": "{today}", "summary": "村党组织提议"}
PAUSE = {"reason": "等当事人补交材料"}
FILE = {"filed": True, "filed_on": "{today}"}
RETURN = {"filed": False, "reason": "第七条与婚姻法相抵触"}
PAUSE_REQUEST = {"pause": True, "reason": "等当事人补交材料"}
BAD_DEADLINE = {"deadline": "2001-01-01T10:00:00+08:00", "reason": "需要更多时间"}
APPROVE = {"approve": True, "reason": "情况属实，同意"}
EVALUATE = {"rating": "satisfied", "method": "phone"}
DECIDE_REVIEW = {"upheld": True, "reason": "处理结果并无不当"}
# The level above a 民事 handled by grid 1's worker: the cadre and the township (and a superuser).
ABOVE_CIVIL = {"cadre": 200, "official": 200, "leader": 200, "admin": 200}
ABOVE_CIVIL_409 = dict.fromkeys(ABOVE_CIVIL, 409)
RESUMERS = {**CIVIL_OWNERS, **ABOVE_CIVIL}
# A marker: the test sends a fresh JPEG as multipart form data.
PHOTO = {"image": "<jpeg>"}
MEETING = {"kind": "meeting", "held_on": "{today}", "summary": "院坝会", "attendees": ["张三"]}
SEND_BACK = {"reason": "不属于司法所职责，应由派出所办理"}
NO_REASON = {"reason": ""}
# 签收 and 退回: the members of the assigned department (and the superuser), nobody else.
DEPARTMENT = {"handler": 200, "handler2": 200, "admin": 200}
DEPARTMENT_409 = dict.fromkeys(DEPARTMENT, 409)

MATRIX = [
    # (method, url, payload, the matter it acts on, expected statuses)
    ("GET", "/api/v1/matter-categories/", None, None, EVERYONE),
    ("GET", "/api/v1/matters/", None, None, MATTER_LISTS),
    ("GET", "/api/v1/matters/?waiting=1", None, None, MATTER_LISTS),
    (
        "POST",
        "/api/v1/matters/",
        {
            "title": "路灯不亮",
            "description": "楼道路灯不亮",
            "grid": "{q1}",
            "household": "{hh_q1}",
            "source": "visit",
            "submitter_name": "张三",
            "submitter_phone": "15800009119",
        },
        None,
        # Roles that record matters elsewhere do not see grid 1 (400 on the field); roles
        # that record none are refused before the payload is read (403).
        expect(
            PERSONAS,
            403,
            grid1=201,
            leader1=201,
            helper=201,
            cadre=201,
            admin=201,
            grid2=400,
            other_cadre=400,
        ),
    ),
    ("GET", "/api/v1/matters/{matter}/", None, "civil_submitted", expect(SEES_CIVIL, 200)),
    ("GET", "/api/v1/matters/{matter}/events/", None, "civil_submitted", expect(SEES_CIVIL, 200)),
    ("POST", "/api/v1/matters/{matter}/classify/", CLASSIFY, "civil_submitted", expect(SEES_CIVIL, 403, **CLASSIFIERS)),
    # role before state, state before payload
    (
        "POST",
        "/api/v1/matters/{matter}/classify/",
        {"kind": "nonsense"},
        "civil_submitted",
        expect(SEES_CIVIL, 403, cadre=400, leader1=400, admin=400),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/classify/",
        {"kind": "nonsense"},
        "civil_classified",
        expect(SEES_CIVIL, 403, cadre=409, leader1=409, admin=409),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/reject/",
        {"reason": "不属实"},
        "civil_submitted",
        expect(SEES_CIVIL, 403, **CLASSIFIERS),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/withdraw/",
        {"reason": "已自行解决"},
        "civil_submitted",
        expect(SEES_CIVIL, 403, grid1=200, **CLASSIFIERS),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/reclassify/",
        {"kind": "village", "category": "village_project", "reason": "涉及全村"},
        "civil_classified",
        expect(SEES_CIVIL, 403, **CIVIL_OWNERS),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/deliberate/",
        MEETING,
        "civil_classified",
        expect(SEES_CIVIL, 403, **CIVIL_OWNERS),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/handle/",
        {"handler": "{grid1}"},
        "civil_deliberating",
        expect(SEES_CIVIL, 403, **CIVIL_OWNERS),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/report/",
        {"result": "已修好"},
        "civil_handling",
        # Only the assigned person reports, not even a superuser.
        expect(SEES_CIVIL, 403, grid1=200),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/verify/",
        {"passed": True},
        "civil_verifying",
        # A 民事 is verified by the village, never by its handler (grid1).
        expect(SEES_CIVIL, 403, cadre=200, admin=200),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/evaluate/",
        EVALUATE,
        "civil_evaluating",
        # 回访 by someone independent of the work: for a 民事 the village cadre or the township,
        # but not the cadre who verified it; grid staff no longer record ratings.
        expect(SEES_CIVIL, 403, official=200, leader=200, admin=200),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/request_review/",
        {"reason": "灯又不亮了", "method": "phone"},
        "civil_evaluating",
        # The revisitor on the resident's behalf (the resident asks by tracking code).
        expect(SEES_CIVIL, 403, official=200, leader=200, admin=200),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/request_review/",
        {"reason": "还是不行", "method": "phone"},
        "civil_evaluating_again",
        # Once per matter: a second request is a 409 (review_used).
        expect(SEES_CIVIL, 403, official=409, leader=409, admin=409),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/decide_review/",
        DECIDE_REVIEW,
        "civil_reviewing",
        # One level up: the village cadre or the township, never who handled (grid1) or verified it
        # (the cadre here: the review judges the verification too).
        expect(SEES_CIVIL, 403, official=200, leader=200, admin=200),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/decide_review/",
        DECIDE_REVIEW,
        "civil_evaluating",
        expect(SEES_CIVIL, 403, official=409, leader=409, admin=409),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/request_extension/",
        PAUSE_REQUEST,
        "civil_handling",
        # The handler while handling (a superuser is not the handler).
        expect(SEES_CIVIL, 403, grid1=200),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/request_extension/",
        PAUSE_REQUEST,
        "civil_classified",
        # Before handling, the owner.
        expect(SEES_CIVIL, 403, **CIVIL_OWNERS),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/request_extension/",
        BAD_DEADLINE,
        "civil_handling",
        expect(SEES_CIVIL, 403, grid1=400),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/request_extension/",
        PAUSE_REQUEST,
        "civil_extension_pending",
        expect(SEES_CIVIL, 403, grid1=409),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/decide_extension/",
        APPROVE,
        "civil_extension_pending",
        # The level above (who verify or supervise it), never the handler who asked.
        expect(SEES_CIVIL, 403, cadre=200, official=200, leader=200, admin=200),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/decide_extension/",
        APPROVE,
        "civil_handling",
        expect(SEES_CIVIL, 403, cadre=409, official=409, leader=409, admin=409),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/decide_extension/",
        APPROVE,
        "government_extension_pending",
        # 政事: the township (official verifies, leader supervises); not 司法所, which asked.
        expect(SEES_GOVERNMENT, 403, official=200, leader=200),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/supervise/",
        {"note": "请三日内办结"},
        "civil_classified",
        expect(SEES_CIVIL, 403, cadre=200, official=200, leader=200, admin=200),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/grant/",
        {"user": "{outsider}"},
        "civil_classified",
        expect(SEES_CIVIL, 403, **CIVIL_OWNERS),
    ),
    ("GET", "/api/v1/matters/{matter}/", None, "government_handling", expect(SEES_GOVERNMENT, 200)),
    (
        "POST",
        "/api/v1/matters/{matter}/report/",
        {"result": "已调解"},
        "government_handling",
        expect(SEES_GOVERNMENT, 403, handler=200, handler2=200, admin=200),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/supervise/",
        {"note": "请加快"},
        "government_handling",
        # Above the township official who owns a 政事: the township leader.
        expect(SEES_GOVERNMENT, 403, leader=200, admin=200),
    ),
    ("POST", "/api/v1/matters/{matter}/sign/", {}, "government_handling", expect(SEES_GOVERNMENT, 403, **DEPARTMENT)),
    ("POST", "/api/v1/matters/{matter}/sign/", {}, "government_signed", expect(SEES_GOVERNMENT, 403, **DEPARTMENT_409)),
    # A person, not a department, handles a 民事: nothing to sign for, nobody to send it back.
    ("POST", "/api/v1/matters/{matter}/sign/", {}, "civil_handling", expect(SEES_CIVIL, 403)),
    (
        "POST",
        "/api/v1/matters/{matter}/send_back/",
        SEND_BACK,
        "government_handling",
        expect(SEES_GOVERNMENT, 403, **DEPARTMENT),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/send_back/",
        NO_REASON,
        "government_handling",
        expect(SEES_GOVERNMENT, 403, handler=400, handler2=400, admin=400),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/send_back/",
        SEND_BACK,
        "government_verifying",
        expect(SEES_GOVERNMENT, 403, **DEPARTMENT_409),
    ),
    ("POST", "/api/v1/matters/{matter}/send_back/", SEND_BACK, "civil_handling", expect(SEES_CIVIL, 403)),
    # 村事 (kind=village) of 七星村 grid 1, recorded by the village cadre, no household: owned by
    # the village cadre, supervised and verified by the township.
    ("GET", "/api/v1/matters/{matter}/", None, "village_classified", expect(SEES_VILLAGE, 200)),
    (
        "POST",
        "/api/v1/matters/{matter}/deliberate/",
        STEP_1,
        "village_classified",
        expect(SEES_VILLAGE, 403, **VILLAGE_OWNER),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/reclassify/",
        {"kind": "civil", "category": "environment", "reason": "只涉及一户"},
        "village_classified",
        expect(SEES_VILLAGE, 403, **VILLAGE_OWNER),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/reject/",
        {"reason": "不属实"},
        "village_classified",
        # The classifiers (cadre, grid 1's leader) and the owner (the cadre).
        expect(SEES_VILLAGE, 403, **CLASSIFIERS),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/supervise/",
        {"note": "请按期公示"},
        "village_classified",
        # Above the village cadre who owns a 村事: the township, not the cadre (as for a 民事);
        # and the supervision committee, whose work is watching over the village's affairs.
        expect(SEES_VILLAGE, 403, supervisor=200, official=200, leader=200, admin=200),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/verify/",
        {"passed": True},
        "village_verifying",
        # The village's default: the supervision committee or the township; never the cadre
        # who handled and reported it.
        expect(SEES_VILLAGE, 403, supervisor=200, official=200, leader=200, admin=200),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/verify/",
        {"passed": True},
        "village_verifying_by_supervisors",
        # 七星村 chose "the supervision committee only": the township is refused.
        expect(SEES_VILLAGE, 403, supervisor=200, admin=200),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/verify/",
        {"passed": True},
        "village_verifying_by_township",
        # 七星村 chose "the township only": the committee is refused.
        expect(SEES_VILLAGE, 403, official=200, leader=200, admin=200),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/report/",
        {"result": "已完成"},
        "village_handling",
        # Handling is the handler's (the cadre); the committee takes no handling action.
        expect(SEES_VILLAGE, 403, cadre=200),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/handle/",
        {"handler": "{grid1}"},
        "village_classified",
        # The owner, before the deliberation has begun: the state refuses it.
        expect(SEES_VILLAGE, 403, cadre=409, admin=409),
    ),
    # The decision rules: a land adjustment whose vote carried waits for the township's approval
    # (its staff, not the village); a compact is filed (备案) or returned by the township too.
    (
        "POST",
        "/api/v1/matters/{matter}/township_approval/",
        APPROVE,
        "land_voted",
        expect(SEES_VILLAGE, 403, official=200, leader=200, admin=200),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/township_approval/",
        {"approve": True},
        "land_voted",
        expect(SEES_VILLAGE, 403, official=400, leader=400, admin=400),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/township_approval/",
        APPROVE,
        "village_classified",
        # Not a land adjustment waiting for approval: the state refuses it.
        expect(SEES_VILLAGE, 403, official=409, leader=409, admin=409),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/record_filing/",
        FILE,
        "compact_voted",
        expect(SEES_VILLAGE, 403, official=200, leader=200, admin=200),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/record_filing/",
        RETURN,
        "compact_voted",
        expect(SEES_VILLAGE, 403, official=200, leader=200, admin=200),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/record_filing/",
        {"filed": False},
        "compact_voted",
        # Returned without a reason: the input is refused.
        expect(SEES_VILLAGE, 403, official=400, leader=400, admin=400),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/record_filing/",
        {"filed": True},
        "land_voted",
        expect(SEES_VILLAGE, 403, official=409, leader=409, admin=409),
    ),
    # The clock: only the level above pauses it (the owner and the handler ask for an
    # extension); the owner, the handler or the level above resume it.
    ("POST", "/api/v1/matters/{matter}/pause/", PAUSE, "civil_handling", expect(SEES_CIVIL, 403, **ABOVE_CIVIL)),
    ("POST", "/api/v1/matters/{matter}/pause/", PAUSE, "civil_paused", expect(SEES_CIVIL, 403, **ABOVE_CIVIL_409)),
    ("POST", "/api/v1/matters/{matter}/pause/", PAUSE, "civil_evaluating", expect(SEES_CIVIL, 403, **ABOVE_CIVIL_409)),
    ("POST", "/api/v1/matters/{matter}/resume/", {}, "civil_paused", expect(SEES_CIVIL, 403, **RESUMERS)),
    (
        "POST",
        "/api/v1/matters/{matter}/resume/",
        {},
        "civil_handling",
        expect(SEES_CIVIL, 403, **dict.fromkeys(RESUMERS, 409)),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/pause/",
        PAUSE,
        "village_classified",
        # Above the village cadre who owns a 村事: the township.
        expect(SEES_VILLAGE, 403, official=200, leader=200, admin=200),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/pause/",
        PAUSE,
        "government_handling",
        # The township (the official verifies, the leader supervises); not 司法所, the handler
        # (a superuser holds the department's permission, so counts as one).
        expect(SEES_GOVERNMENT, 403, official=200, leader=200),
    ),
    # Evidence photos (multipart): whoever recorded it, its classifiers, owner or handler, while open.
    ("POST", "/api/v1/matters/{matter}/photos/", PHOTO, "civil_classified", expect(SEES_CIVIL, 403, **CIVIL_OWNERS)),
    ("POST", "/api/v1/matters/{matter}/photos/", PHOTO, "civil_rejected", expect(SEES_CIVIL, 403, **CIVIL_OWNERS_409)),
    # A 村事's grid worker sees it but neither recorded, classifies, owns nor handles it.
    ("POST", "/api/v1/matters/{matter}/photos/", PHOTO, "village_classified", expect(SEES_VILLAGE, 403, **CLASSIFIERS)),
    (
        "POST",
        "/api/v1/matters/{matter}/photos/",
        PHOTO,
        "government_handling",
        # The public recorded it: its classifier (the cadre), owner (the official) and handlers.
        expect(SEES_GOVERNMENT, 403, cadre=200, official=200, handler=200, handler2=200, admin=200),
    ),
    # The public page knows no accounts: whoever holds the code, signed in or not.
    ("GET", "/api/v1/public/matters/{code}/", None, "government_handling", dict.fromkeys(PERSONAS, 200)),
    (
        "POST",
        "/api/v1/public/matters/{code}/request_review/",
        {"reason": "灯又不亮了"},
        "civil_evaluating",
        dict.fromkeys(PERSONAS, 200),
    ),
    (
        "POST",
        "/api/v1/public/matters/{code}/request_review/",
        {"reason": "还是不行"},
        "civil_evaluating_again",
        dict.fromkeys(PERSONAS, 409),
    ),
]

MATTERS = {
    "civil_submitted": lambda mw: civil(mw, State.SUBMITTED),
    "civil_classified": lambda mw: civil(mw, State.CLASSIFIED),
    "civil_deliberating": lambda mw: civil(mw, State.DELIBERATING),
    "civil_handling": lambda mw: civil(mw, State.HANDLING),
    "civil_verifying": lambda mw: civil(mw, State.VERIFYING),
    "civil_evaluating": lambda mw: civil(mw, State.EVALUATING),
    "civil_reviewing": lambda mw: _reviewing(civil(mw, State.EVALUATING)),
    "civil_evaluating_again": lambda mw: _evaluating_again(mw, _reviewing(civil(mw, State.EVALUATING))),
    "civil_extension_pending": lambda mw: _extension(civil(mw, State.HANDLING), mw.users.grid1),
    "government_extension_pending": lambda mw: _extension(government(mw, State.HANDLING), mw.users.handler),
    "civil_paused": lambda mw: _paused(civil(mw, State.HANDLING), mw.users.cadre),
    "civil_rejected": lambda mw: _rejected(civil(mw, State.SUBMITTED), mw.users.cadre),
    "village_classified": lambda mw: _village(mw),
    "land_voted": lambda mw: village_voted(mw, "land_adjustment"),
    "compact_voted": lambda mw: village_voted(mw, "village_rules"),
    "village_handling": lambda mw: village(mw, State.HANDLING),
    "village_verifying": lambda mw: village(mw, State.VERIFYING),
    "village_verifying_by_supervisors": lambda mw: _verified_by(mw, VillageAffairsVerifiers.SUPERVISORS),
    "village_verifying_by_township": lambda mw: _verified_by(mw, VillageAffairsVerifiers.TOWNSHIP),
    "government_handling": lambda mw: government(mw, State.HANDLING),
    "government_signed": lambda mw: services.matter_sign(matter=government(mw, State.HANDLING), actor=mw.users.handler),
    "government_verifying": lambda mw: government(mw, State.VERIFYING),
}


def _paused(matter, actor):
    return services.matter_pause(matter=matter, actor=actor, reason="等当事人补交材料")


def _reviewing(matter):
    return services.matter_evaluate(matter=matter, actor=None, rating="unsatisfied", comment="灯又不亮了")


def _evaluating_again(mw, matter):
    """Reviewed, not upheld, handled again, checked: the resident's second answer is due."""
    services.matter_decide_review(matter=matter, actor=mw.users.official, upheld=False, reason="重新办理")
    services.matter_report(matter=matter, actor=mw.users.grid1, result="换了新灯")
    return services.matter_verify(matter=matter, actor=mw.users.cadre, passed=True)


def _extension(matter, actor):
    services.matter_request_extension(matter=matter, actor=actor, pause=True, reason="等当事人补交材料")
    return matter


def _rejected(matter, actor):
    return services.matter_reject(matter=matter, actor=actor, reason="不属实")


def _village(mw):
    """A 村事 of 七星村 grid 1 recorded by the village cadre, classified (its clock running)."""
    matter = mw.staff_matter(title="风貌改造续建方案", actor=mw.users.cadre)
    return services.matter_classify(
        matter=matter, actor=mw.users.cadre, kind=Kind.VILLAGE, category=mw.categories.village_project
    )


def _verified_by(mw, setting):
    """A 村事 waiting for verification in a 七星村 that chose who verifies its 村事."""
    VillageMatterSettings.objects.create(village=mw.qixing, village_affairs_verifiers=setting)
    return village(mw, State.VERIFYING)


def _jpeg():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(out, "JPEG")
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


def _note(data) -> str:
    if data in ({"kind": "nonsense"}, NO_REASON, BAD_DEADLINE, {"approve": True}, {"filed": False}):
        return "bad payload"
    return "returned" if data == RETURN else ""


CASES = [Case(method, url, expected, data, on=on, note=_note(data)) for method, url, data, on, expected in MATRIX]


@pytest.mark.parametrize("case", matrix_params(CASES))
def test_matters_permission_matrix(mw, ids, api_client, case, settings, tmp_path):
    target = MATTERS[case.on](mw) if case.on else None
    ids = {
        **ids,
        "today": mw.today.isoformat(),
        "grid1": mw.users.grid1.pk,
        "outsider": mw.users.outsider.pk,
        "matter": target.pk if target else None,
        "code": target.tracking_code if target else None,
    }
    url, data = case.resolve(ids)
    send = api_send(api_client, case.method, url, data)
    if data == PHOTO:
        settings.MEDIA_ROOT = tmp_path

        def send():
            return api_client.post(url, {"image": _jpeg()}, format="multipart")

    run_matrix(
        case,
        personas=PERSONAS,
        login=api_login(api_client, mw.users),
        send=send,
        snapshot=database_state,
        checks=[api_problems],
    )
