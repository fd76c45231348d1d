"""道德红黑榜: compiled from the ledger, decided by the 道德评议会, published with initials only;
and the 公示 list of proposals in their objection window."""

import json

import pytest
from django.core.exceptions import ValidationError

from points import services as s
from points.models import BoardSide, BoardStatus, VillagePointsSettings
from points.policy import PointsPermissionError, PointsStateError
from points.selectors import board_public, public_notice


def quarter_of(day):
    return day.year, (day.month - 1) // 3 + 1


@pytest.fixture
def quarter(pw):
    """Entries of this quarter (dated today): q1 earns 10, q1b earns 5 and is deducted 10 twice,
    q2 earns 1 and had a deduction reversed."""
    VillagePointsSettings.objects.filter(village=pw.qixing).update(objection_days=0)
    u = pw.users

    def approved(account, rule, actor=u.grid1, note="入户核实"):
        return s.award_approve(award=s.award_propose(actor=actor, account=account, rule=rule, note=note), actor=u.cadre)

    approved(pw.acc.q1, pw.rules.volunteer)
    approved(pw.acc.q1, pw.rules.volunteer)
    approved(pw.acc.q1b, pw.rules.volunteer)
    approved(pw.acc.q1b, pw.rules.breach, note="乱倒垃圾")
    approved(pw.acc.q1b, pw.rules.breach, note="再次乱倒垃圾")
    approved(pw.acc.q2, pw.rules.meeting, actor=u.grid2)
    wrong = approved(pw.acc.q2, pw.rules.breach, actor=u.grid2, note="误报")
    s.award_reverse(award=wrong, actor=u.cadre, reason="核实有误")
    return quarter_of(pw.today)


def lines(board, side):
    return [(line.account_id, line.points, line.reason) for line in board.lines.filter(side=side).order_by("order")]


def test_compiling_lists_top_earners_red_and_standing_deductions_black(pw, quarter):
    year, q = quarter
    board = s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=year, quarter=q)
    acc = pw.acc
    assert lines(board, BoardSide.RED) == [
        (acc.q1.pk, 10, "志愿服务 ×2"),
        (acc.q1b.pk, 5, "志愿服务"),
        (acc.q2.pk, 1, "按时参加村民会议"),
    ]
    assert lines(board, BoardSide.BLACK) == [(acc.q1b.pk, -20, "违反村规民约 ×2")]  # q2's was reversed
    assert board.lines.get(side=BoardSide.BLACK).consequence == "取消当年评先评优资格"
    assert board.status == BoardStatus.DRAFT


def test_a_draft_is_compiled_again_but_a_decided_board_is_not(pw, quarter):
    year, q = quarter
    board = s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=year, quarter=q)
    VillagePointsSettings.objects.filter(village=pw.qixing).update(red_list_size=1)
    again = s.board_compile(actor=pw.users.cadre2, village=pw.qixing, year=year, quarter=q)
    assert again.pk == board.pk and board.lines.filter(side=BoardSide.RED).count() == 1
    s.board_decide(board=board, actor=pw.users.cadre, decision="评议通过", meeting_date=pw.today)
    with pytest.raises(PointsStateError) as conflict:
        s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=year, quarter=q)
    assert conflict.value.code == "board_not_draft"


def test_only_a_cadre_of_the_village_runs_the_board(pw, quarter):
    year, q = quarter
    for persona in ("grid1", "clerk", "official", "other_cadre"):
        with pytest.raises(PointsPermissionError):
            s.board_compile(actor=getattr(pw.users, persona), village=pw.qixing, year=year, quarter=q)
    with pytest.raises(ValidationError):
        s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=year + 1, quarter=q)  # not started


def test_the_council_decides_strikes_lines_and_then_the_board_is_published(pw, quarter):
    year, q = quarter
    board = s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=year, quarter=q)
    with pytest.raises(PointsStateError) as early:
        s.board_publish(board=board, actor=pw.users.cadre)
    assert early.value.code == "board_not_decided"
    with pytest.raises(ValidationError):
        s.board_decide(board=board, actor=pw.users.cadre, decision="", meeting_date=pw.today)
    with pytest.raises(ValidationError):
        s.board_decide(board=board, actor=pw.users.cadre, decision="通过", meeting_date=pw.today, struck_lines=[99999])
    struck = board.lines.get(side=BoardSide.RED, account=pw.acc.q2)
    s.board_decide(
        board=board,
        actor=pw.users.cadre,
        decision="评议通过，王五户积分事由待核实",
        meeting_date=pw.today,
        struck_lines=[struck.pk],
    )
    assert board_public(board) is None  # not yet published
    for account in (pw.acc.q1, pw.acc.q1b):  # agreed to be named; q2 (struck anyway) did not
        s.account_consent(actor=pw.users.cadre, account=account, consent=True)
    published = s.board_publish(board=board, actor=pw.users.cadre2)
    assert published.status == BoardStatus.PUBLISHED and published.published_at
    with pytest.raises(PointsStateError):
        s.board_publish(board=board, actor=pw.users.cadre)
    public = board_public(published)
    assert [row["initials"] for row in public["red"]] == ["Z.S.", "L.S."]
    assert public["black"] is None  # internal unless the village turns publication on


def test_public_output_shows_initials_never_names_ids_or_phones(pw, quarter):
    year, q = quarter
    board = s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=year, quarter=q)
    s.board_decide(board=board, actor=pw.users.cadre, decision="通过", meeting_date=pw.today)
    board = s.board_publish(board=board, actor=pw.users.cadre)
    VillagePointsSettings.objects.filter(village=pw.qixing).update(publish_black_list=True)
    public = board_public(board)
    assert public["black"] == [
        {
            "initials": "L.S.",
            "grid": None,  # 第一网格 has fewer than 30 households: not named in public
            "points": -20,
            "reason": "违反村规民约 ×2",
            "consequence": "取消当年评先评优资格",
        }
    ]
    text = json.dumps(public, default=str, ensure_ascii=False)
    for household in (pw.households.q1, pw.households.q1b, pw.households.q2):
        secrets = [household.number, household.phone]
        for member in household.members.all():
            secrets += [member.name, member.phone, member.id_number_masked[-4:]]
        assert [secret for secret in secrets if secret and secret in text] == []


def test_the_objection_notice_lists_pending_proposals_with_initials(pw):
    pw.propose(note="在敬老院做志愿服务")
    pw.propose(account=pw.acc.q1b, days_ago=4)  # its window has closed
    notice = public_notice(pw.qixing)
    assert [(row["initials"], row["rule"], row["points"]) for row in notice] == [("Z.S.", "志愿服务", 5)]
    assert "张三" not in json.dumps(notice, default=str, ensure_ascii=False)
