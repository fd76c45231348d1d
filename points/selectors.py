"""Scoped reads of the points bank.

Passbooks are scoped like households: the township and the village through the copies
on the account row, the grid and the courtyard through the household (which may move
between grids). Proposals, redemptions and ledger entries are scoped through their
account. Lists and details use the same selector, so a row outside the caller's scope is
a 404, exactly like one that does not exist.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum, Window
from django.db.models.functions import Coalesce
from django.utils import timezone

from governance.models import ROLE_LEVEL
from governance.roles import ACCOUNT_READER_ROLES, DECIDER_ROLES, GRID_ROLES, TOWNSHIP_ROLES, VILLAGE_ROLES
from governance.scoping import scope_for
from grids.models import Grid, Household, Resident, Village
from grids.selectors import public_grid_names
from points.models import (
    Account,
    Award,
    AwardStatus,
    Board,
    BoardLine,
    BoardSide,
    BoardStatus,
    Entry,
    Item,
    Objection,
    ObjectionRuling,
    Redemption,
    Rule,
    RuleChange,
    VillagePointsSettings,
)

# The field holding each level's id, seen from an account.
_ACCOUNT_FIELDS = {
    "township": "township_id",
    "village": "village_id",
    "grid": "household__grid_id",
    "courtyard": "household__courtyard_id",
}


def account_condition(user, prefix: str = "") -> Q | None:
    """The Q selecting the accounts `user` sees (None: all of them), with field names
    prefixed for rows that reach the account through a foreign key (`account__`)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return None
    condition = Q(pk__in=[]) if not prefix else Q(**{f"{prefix}pk__in": []})
    for role, ids in scope.by_role.items():
        if role not in ACCOUNT_READER_ROLES:
            continue
        field = _ACCOUNT_FIELDS[ROLE_LEVEL[role]]
        condition |= Q(**{f"{prefix}{field}__in": sorted(ids)})
    return condition


def _scoped(queryset, user, prefix: str = ""):
    condition = account_condition(user, prefix)
    return queryset if condition is None else queryset.filter(condition)


def accounts_visible_to(user) -> QuerySet[Account]:
    """Passbooks the user sees, with the household, its grid and the village's settings."""
    queryset = Account.objects.select_related("household__grid", "household__courtyard", "village__points_settings")
    return _scoped(queryset, user)


def passbook_members_visible_to(user) -> QuerySet[Resident]:
    """The members of the households whose passbooks the user sees: who may come to the
    shop. The clerk reads people only through here, not through the household register."""
    return Resident.objects.select_related("household").filter(
        household_id__in=accounts_visible_to(user).order_by().values("household_id")
    )


def awards_visible_to(user) -> QuerySet[Award]:
    """Proposed entries (pending and decided) of the passbooks the user sees."""
    queryset = Award.objects.select_related(
        "account__household__grid",
        "rule",
        "member",
        "proposed_by",
        "decided_by",
        "entry__reversed_by",
    )
    return _scoped(queryset, user, "account__")


def objections_visible_to(user) -> QuerySet[Objection]:
    """Objections to the proposed entries the user sees."""
    queryset = Objection.objects.select_related("award__account__household", "award__rule", "raised_by", "ruled_by")
    return _scoped(queryset, user, "award__account__")


def with_pending_objections(awards: QuerySet[Award]) -> QuerySet[Award]:
    """`awards` annotated with `objections_pending`, the count of objections waiting for a ruling."""
    return awards.annotate(objections_pending=Count("objections", filter=Q(objections__ruling=ObjectionRuling.PENDING)))


def awards_waiting_for(user) -> QuerySet[Award]:
    """Pending entries the user may decide: their village's, not their own proposals."""
    scope = scope_for(user)
    pending = awards_visible_to(user).filter(status=AwardStatus.PENDING).exclude(proposed_by=user)
    if scope.is_superuser:
        return pending
    return pending.filter(village_id__in=sorted(scope.ids_for(DECIDER_ROLES)))


def redemptions_visible_to(user) -> QuerySet[Redemption]:
    queryset = Redemption.objects.select_related(
        "account__household__grid", "item", "member", "clerk", "entry__reversed_by"
    )
    return _scoped(queryset, user, "account__")


def entries_visible_to(user) -> QuerySet[Entry]:
    """Ledger lines of the passbooks the user sees."""
    queryset = Entry.objects.select_related("rule", "member", "created_by", "reversed_by")
    return _scoped(queryset, user, "account__")


def _village_ids_seen(user) -> QuerySet[Village] | None:
    scope = scope_for(user)
    if scope.is_superuser:
        return None
    return scope.filter_places(Village.objects.all(), "village").values("pk")


def rules_visible_to(user) -> QuerySet[Rule]:
    """The catalogues of the villages the user sees by name."""
    villages = _village_ids_seen(user)
    queryset = Rule.objects.select_related("village", "adopted_by")
    return queryset if villages is None else queryset.filter(village_id__in=villages)


def rule_changes_of(rule: Rule) -> QuerySet[RuleChange]:
    """The changes of a rule made in the pages, newest first, with their resolutions."""
    return RuleChange.objects.filter(rule=rule).select_related("actor", "resolution").order_by("-id")


def items_visible_to(user) -> QuerySet[Item]:
    """The shops of the villages the user sees by name."""
    villages = _village_ids_seen(user)
    queryset = Item.objects.select_related("village")
    return queryset if villages is None else queryset.filter(village_id__in=villages)


def boards_visible_to(user) -> QuerySet[Board]:
    """Boards are internal until published (the black list may stay so): the village's
    cadres and clerk, its grid staff, and the township see them."""
    scope = scope_for(user)
    queryset = Board.objects.select_related("village", "compiled_by", "decided_by", "published_by")
    if scope.is_superuser:
        return queryset
    grid_villages = Grid.objects.filter(pk__in=sorted(scope.ids_for(GRID_ROLES))).values("village_id")
    return queryset.filter(
        Q(village_id__in=sorted(scope.ids_for(VILLAGE_ROLES)))
        | Q(village_id__in=grid_villages)
        | Q(village__township_id__in=sorted(scope.ids_for(TOWNSHIP_ROLES)))
    )


def board_detail_queryset(user) -> QuerySet[Board]:
    lines = BoardLine.objects.select_related("account__household__grid").order_by("side", "order", "id")
    return boards_visible_to(user).prefetch_related(Prefetch("lines", queryset=lines))


# ---------------------------------------------------------------- resolutions (村事 votes that adopt rules)


def citable_articles(village: Village, rule: Rule | None = None):
    """The articles of the village's compact in force a rule may cite, and the one it cites now
    (which a newer version may have replaced: the form shows it until it is changed)."""
    from petitions.models import CompactArticle, CompactStatus

    condition = Q(version__village=village, version__status=CompactStatus.IN_FORCE)
    if rule is not None and rule.compact_article_id:
        condition |= Q(pk=rule.compact_article_id)
    return CompactArticle.objects.filter(condition).select_related("version").order_by("-version__number", "number")


def carried_resolutions(village_id: int | None, matter_ids=None, *, standing: bool = True) -> dict[int, tuple]:
    """The village's 村事 of a category decided by the compact rule (the points rules are the
    村规民约's 积分细则: the villagers' meeting decides them) whose 七步走 vote carried
    (petitions.procedure.village_steps), as {matter id: (matter, the vote record)} newest
    first; two queries. Only these may adopt, change or retire a points rule; a carried vote
    on a road or a budget may not, nor (`standing`) one that no longer stands: the township
    returned it, the matter was re-filed under another rule (procedure.revote_due), rejected
    or withdrawn. `standing=False` keeps those (the votes that adopted the rules in the
    catalogue, as history). `matter_ids` narrows the search (a rule page's)."""
    from petitions.models import DecisionRule, Kind, Matter, State
    from petitions.procedure import VOTE_STEP, revote_due, village_steps

    matters = Matter.objects.filter(kind=Kind.VILLAGE, category__decision_rule=DecisionRule.COMPACT)
    if standing:
        matters = matters.exclude(state__in=(State.REJECTED, State.WITHDRAWN))
    matters = matters.select_related("category").prefetch_related("deliberations")
    if village_id is not None:
        matters = matters.filter(village_id=village_id)
    if matter_ids is not None:
        matters = matters.filter(pk__in=sorted(set(matter_ids)))
    found = {}
    for matter in matters.order_by("-id"):
        records = matter.deliberations.all()
        steps = village_steps(records)
        if steps["carried"] and not (standing and revote_due(matter, records)):
            found[matter.pk] = (matter, steps["latest"][VOTE_STEP])
    return found


# ---------------------------------------------------------------- settings and standing


def points_settings(village_id: int) -> VillagePointsSettings:
    """The village's settings, or the defaults (unsaved) when it has none."""
    row = VillagePointsSettings.objects.filter(village_id=village_id).first()
    return row or VillagePointsSettings(village_id=village_id)


def settings_of(account: Account) -> VillagePointsSettings:
    """The settings of the account's village (no query when the caller loaded the account
    with `select_related("village__points_settings")`, as accounts_visible_to does)."""
    try:
        return account.village.points_settings
    except VillagePointsSettings.DoesNotExist:
        return VillagePointsSettings(village_id=account.village_id)


@dataclass(frozen=True)
class Standing:
    """What a passbook allows: the spendable points above the threshold, and whether the
    household is below the benefit floor (no 惠民待遇 or 评优评先 until it recovers)."""

    balance: int
    spendable: int
    redeem_threshold: int
    benefit_floor: int
    below_floor: bool


def standing(account: Account, settings: VillagePointsSettings | None = None) -> Standing:
    settings = settings or settings_of(account)
    return Standing(
        balance=account.balance,
        spendable=max(0, account.balance - settings.redeem_threshold),
        redeem_threshold=settings.redeem_threshold,
        benefit_floor=settings.benefit_floor,
        below_floor=account.balance < settings.benefit_floor,
    )


def account_for_household(user, household: Household) -> Account | None:
    """The household's passbook if the user sees it (the household page shows its standing)."""
    return accounts_visible_to(user).filter(household=household).first()


def ledger_of(account: Account) -> QuerySet[Entry]:
    """The passbook's lines, newest first."""
    return (
        Entry.objects.filter(account=account)
        .select_related("rule", "member", "created_by", "reversed_by")
        .order_by("-id")
    )


# ---------------------------------------------------------------- public output


def public_initials(household: Household) -> str:
    """The head's initials (张三 → Z.S.): what public output shows instead of a name."""
    letters = (household.head_name_initials or "").upper()
    return ".".join(letters) + "." if letters else "—"


def public_notice(village: Village, now: datetime.datetime | None = None, grids: dict | None = None) -> list[dict]:
    """Proposed entries in their objection window (公示), for a public page: initials only,
    never names, ID numbers or phone numbers, and no grid name where the grid is small
    (grids.selectors.public_grid_names). Each line carries its public reference, which a
    resident quotes to object, and whether an objection holds it (`held`: no approval until
    the village rules on it). A held entry stays on the notice after its window closes, so
    the objector sees it waiting rather than gone; `open` says whether objections are still
    taken. One query."""
    now = now or timezone.now()
    held = Exists(Objection.objects.filter(award=OuterRef("pk"), ruling=ObjectionRuling.PENDING))
    rows = (
        Award.objects.filter(village=village, status=AwardStatus.PENDING)
        .annotate(held=held)
        .filter(Q(objection_until__gt=now) | Q(held=True))
        .select_related("account__household", "rule")
        .order_by("objection_until", "id")
    )
    grids = public_grid_names(village.pk) if grids is None else grids
    return [
        {
            "ref": award.public_code,
            "initials": public_initials(award.account.household),
            "grid": grids.get(award.account.household.grid_id),
            "rule": award.rule.name,
            "category": award.rule.get_category_display(),
            "points": award.points,
            "occurred_on": award.occurred_on,
            "objection_until": award.objection_until,
            "open": award.objection_until > now,
            "held": award.held,
        }
        for award in rows
    ]


def board_public(board: Board, settings: VillagePointsSettings | None = None, grids: dict | None = None) -> dict | None:
    """A published board as the public sees it: initials only, no grid name where the grid
    is small; the red list names only the households that agreed to be named (the others
    are counted in `red_unnamed`); the black list only when the village has turned its
    publication on (its `settings`, read when not given). None for a board not published."""
    if board.status != BoardStatus.PUBLISHED:
        return None
    settings = settings or points_settings(board.village_id)
    lines = (
        BoardLine.objects.filter(board=board, struck=False)
        .select_related("account__household")
        .order_by("side", "order", "id")
    )
    grids = public_grid_names(board.village_id) if grids is None else grids
    red, black, red_unnamed = [], [], 0
    for line in lines:
        row = {
            "initials": public_initials(line.account.household),
            "grid": grids.get(line.account.household.grid_id),
            "points": line.points,
            "reason": line.reason,
        }
        if line.side == BoardSide.RED:
            if line.account.red_list_consent_on is None:
                red_unnamed += 1
                continue
            red.append(row)
        else:
            black.append({**row, "consequence": line.consequence})
    return {
        "village": board.village.name,
        "year": board.year,
        "quarter": board.quarter,
        "meeting_date": board.meeting_date,
        "published_at": board.published_at,
        "red": red,
        "red_unnamed": red_unnamed,
        "black": black if settings.publish_black_list else None,
    }


# ---------------------------------------------------------------- the ledger check


@dataclass
class LedgerReport:
    accounts: int = 0
    entries: int = 0
    # (account id, what is wrong), at most `limit` of them
    problems: list[tuple[int, str]] = field(default_factory=list)
    truncated: bool = False


def ledger_check(*, batch_size: int = 5000, limit: int = 1000) -> LedgerReport:
    """Accounts whose balance is not the sum of their entries, and entries whose
    balance_after is not the running sum of their account's entries up to them.

    Per batch of accounts: one aggregate query (never one per account) and one window
    query for the running sums. The ledger's order is the entries' ids: every entry of an
    account is inserted under that account's row lock, so ids grow in posting order.
    """
    report = LedgerReport()
    last = 0

    def problem(account_id: int, text: str) -> bool:
        if len(report.problems) >= limit:
            report.truncated = True
            return False
        report.problems.append((account_id, text))
        return True

    while not report.truncated:
        ids = list(Account.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        low, last = ids[0], ids[-1]
        report.accounts += len(ids)
        totals = (
            Account.objects.filter(pk__gte=low, pk__lte=last)
            .annotate(total=Coalesce(Sum("entries__points"), 0), n=Count("entries"))
            .values_list("pk", "balance", "total", "n")
            .order_by("pk")
        )
        for pk, balance, total, n in totals:
            report.entries += n
            if balance != total and not problem(pk, f"balance {balance} != sum of entries {total}"):
                break
        running = (
            Entry.objects.filter(account_id__gte=low, account_id__lte=last)
            .annotate(running=Window(Sum("points"), partition_by=[F("account_id")], order_by=F("id").asc()))
            .exclude(balance_after=F("running"))
            .values_list("account_id", "id", "balance_after", "running")
            .order_by("account_id", "id")
        )
        for account_id, entry_id, after, run in running:
            if not problem(account_id, f"entry {entry_id}: balance_after {after} != running sum {run}"):
                break
    return report


def unposted_sources() -> dict[str, int]:
    """Approved proposals without their ledger entry, redemptions without theirs (each one
    aggregate query): both mean a write went half-way."""
    return {
        "approved_without_entry": Award.objects.filter(status=AwardStatus.APPROVED, entry__isnull=True).count(),
        "entry_without_approval": Entry.objects.filter(award__isnull=False)
        .exclude(award__status=AwardStatus.APPROVED)
        .count(),
        "redemption_without_entry": Redemption.objects.filter(entry__isnull=True).count(),
    }


def households_without_account(village: Village | None = None) -> QuerySet[Household]:
    rows = Household.objects.filter(points_account__isnull=True)
    return rows if village is None else rows.filter(village=village)
