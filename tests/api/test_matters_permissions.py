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
from tests.api.matter_states import civil, database_state, government, village
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
# A marker: the test sends a fresh JPEG as multipart form data.
PHOTO = {"image": "<jpeg>"}
MEETING = {"kind": "meeting", "held_on": "{today}", "summary": "院坝会", "attendees": ["张三"]}

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
        {"rating": "satisfied"},
        "civil_evaluating",
        # 回访: grid staff, the courtyard's helper, cadres and the township record the answer.
        expect(SEES_CIVIL, 200),
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
    # The clock: the owner or the handler pauses it while it runs and resumes it while paused.
    ("POST", "/api/v1/matters/{matter}/pause/", PAUSE, "civil_handling", expect(SEES_CIVIL, 403, **CIVIL_OWNERS)),
    ("POST", "/api/v1/matters/{matter}/pause/", PAUSE, "civil_paused", expect(SEES_CIVIL, 403, **CIVIL_OWNERS_409)),
    ("POST", "/api/v1/matters/{matter}/pause/", PAUSE, "civil_evaluating", expect(SEES_CIVIL, 403, **CIVIL_OWNERS_409)),
    ("POST", "/api/v1/matters/{matter}/resume/", {}, "civil_paused", expect(SEES_CIVIL, 403, **CIVIL_OWNERS)),
    ("POST", "/api/v1/matters/{matter}/resume/", {}, "civil_handling", expect(SEES_CIVIL, 403, **CIVIL_OWNERS_409)),
    (
        "POST",
        "/api/v1/matters/{matter}/pause/",
        PAUSE,
        "village_classified",
        expect(SEES_VILLAGE, 403, **VILLAGE_OWNER),
    ),
    (
        "POST",
        "/api/v1/matters/{matter}/pause/",
        PAUSE,
        "government_handling",
        # The owning township official and 司法所 (the handling department); not the leader.
        expect(SEES_GOVERNMENT, 403, official=200, handler=200, handler2=200, admin=200),
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
]

MATTERS = {
    "civil_submitted": lambda mw: civil(mw, State.SUBMITTED),
    "civil_classified": lambda mw: civil(mw, State.CLASSIFIED),
    "civil_deliberating": lambda mw: civil(mw, State.DELIBERATING),
    "civil_handling": lambda mw: civil(mw, State.HANDLING),
    "civil_verifying": lambda mw: civil(mw, State.VERIFYING),
    "civil_evaluating": lambda mw: civil(mw, State.EVALUATING),
    "civil_paused": lambda mw: _paused(civil(mw, State.HANDLING), mw.users.grid1),
    "civil_rejected": lambda mw: _rejected(civil(mw, State.SUBMITTED), mw.users.cadre),
    "village_classified": lambda mw: _village(mw),
    "village_handling": lambda mw: village(mw, State.HANDLING),
    "village_verifying": lambda mw: village(mw, State.VERIFYING),
    "village_verifying_by_supervisors": lambda mw: _verified_by(mw, VillageAffairsVerifiers.SUPERVISORS),
    "village_verifying_by_township": lambda mw: _verified_by(mw, VillageAffairsVerifiers.TOWNSHIP),
    "government_handling": lambda mw: government(mw, State.HANDLING),
}


def _paused(matter, actor):
    return services.matter_pause(matter=matter, actor=actor, reason="等当事人补交材料")


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
    return "bad payload" if data == {"kind": "nonsense"} else ""


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
