"""The scope matrix: every API endpoint and page with an object id, for every demo account
(and anonymous), against every object of that model (sampled in CI).

Generated from the URL conf and the database, so a new endpoint or page is probed without
anyone listing it; an id route whose model cannot be worked out fails the test until it is
named in PAGE_MODELS (keep it closed). Who may see an object is worked out here, from the
assignments and DESIGN.md §2, independently of governance.scoping: `allowed_ids` is an
upper bound (generous where the design is), and any 2xx on an object outside it is a leak.

CUNZHI_SCOPE_FULL=1 probes every object (make fuzz); otherwise PER_ROUTE objects out of
scope and a couple in scope for each account and route.
"""

import os
import random
import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver
from django.utils import timezone

from governance.civic.models import Activity, ActivityPhoto, Mediation, Meeting, Selection, Team
from governance.models import (
    ROLE_LEVEL,
    Assignment,
    Department,
    FinanceStatement,
    Job,
    Notification,
    Pledge,
    PledgePhoto,
    Role,
)
from grids.campaigns.models import AnswerPhoto, Campaign
from grids.campaigns.models import Task as CampaignTask
from grids.models import Area, Courtyard, Grid, Household, Resident, Tag, Township, Village
from grids.visits.models import Visit, VisitPhoto
from petitions.models import (
    CalendarDay,
    CompactArticle,
    CompactVersion,
    Deliberation,
    Matter,
    MatterCategory,
    MatterPhoto,
    MatterUserObjectPermission,
    TimeLimit,
)
from points.models import Account, Award, Board, Entry, Item, Objection, Redemption, Rule
from tests.factories import CONTRACT_ACCOUNTS

FULL = os.environ.get("CUNZHI_SCOPE_FULL") == "1"
PER_ROUTE = None if FULL else int(os.environ.get("CUNZHI_SCOPE_PER_ROUTE", "3"))
IN_SCOPE_PER_ROUTE = None if FULL else 1
UNSAFE_PER_ROUTE = None if FULL else 1
SEED = 20261204

# Pages (function views) with an object id, by URL name: the model the id names.
PAGE_MODELS = {
    "notification-read": Notification,
    "household-detail": Household,
    "household-update": Household,
    "household-move": Household,
    "resident-create": Household,
    "resident-detail": Resident,
    "resident-update": Resident,
    "resident-reveal-id-number": Resident,
    "visit-detail": Visit,
    "matter-detail": Matter,
    "matter-action": Matter,
    "matter-extra": Matter,
    "meeting-award": Deliberation,
    "entry-detail": Award,
    "entry-evidence": Award,
    "entry-action": Award,
    "account-detail": Account,
    "account-statement": Account,
    "line-reverse": Entry,
    "counter-account": Account,
    "item-restock": Item,
    "item-photo": Item,
    "board-detail": Board,
    "board-action": Board,
    "board-export": Board,
    "rule-update": Rule,
    "entry-object": Award,
    "objection-rule": Objection,
    "account-consent": Account,
    "matter-photo": MatterPhoto,
    "visit-photo": VisitPhoto,
    "village-dashboard": Village,
    "township-dashboard": Township,
    "compact-version": CompactVersion,
    "compact-version-action": CompactVersion,
    "compact-article-action": CompactArticle,
    "pledge-detail": Pledge,
    "finance-detail": FinanceStatement,
    "finance-line-add": FinanceStatement,
    "finance-line-remove": FinanceStatement,
    "finance-import": FinanceStatement,
    "finance-post": FinanceStatement,
    "finance-discard": FinanceStatement,
    "pledge-action": Pledge,
    "pledge-photo": PledgePhoto,
    # Background jobs and their files: the owner's alone.
    "job-detail": Job,
    "job-result": Job,
    "job-input": Job,
    "team-detail": Team,
    "team-member-add": Team,
    "mediation-detail": Mediation,
    "mediation-agreement": Mediation,
    "mediation-action": Mediation,
    "consultation-members": Deliberation,
    "meeting-detail": Meeting,
    "meeting-minutes": Meeting,
    "meeting-action": Meeting,
    "selection-detail": Selection,
    "selection-action": Selection,
    "activity-detail": Activity,
    "activity-action": Activity,
    "activity-photo": ActivityPhoto,
    # The district's catalogues (/manage/catalogues/): every member of staff reads them.
    "category-update": MatterCategory,
    "category-delete": MatterCategory,
    "time-limit-update": TimeLimit,
    "time-limit-delete": TimeLimit,
    "calendar-day-delete": CalendarDay,
    "tag-update": Tag,
    "tag-delete": Tag,
    "staff-detail": get_user_model(),
    "staff-action": get_user_model(),
    # Self-service administration (/manage/): assignments, 片区 and places.
    "assignment-end": Assignment,
    "area-update": Area,
    "place-grid": Grid,
    "place-grid-split": Grid,
    "place-grid-action": Grid,
    "place-courtyard": Courtyard,
    "place-courtyard-action": Courtyard,
    # Campaigns (专项排查): a campaign, and one household's task (its answers).
    "campaign-detail": Campaign,
    "campaign-action": Campaign,
    "campaign-task-list": Campaign,
    "campaign-answer": CampaignTask,
    "campaign-answer-photo": AnswerPhoto,
    "campaign-questions": Campaign,
    "campaign-question-add": Campaign,
    "campaign-question-edit": Campaign,
    "campaign-question-step": Campaign,
}
# Public pages (a village's published board and shop photos): open to everyone by design.
PUBLIC_ROUTE = re.compile(r"^(public/|api/v1/\^public/)")
# Values for the other parameters of an id route.
OTHER_PARAMS = {"action": "approve", "format": "json", "question": "q1"}

# Detail links in a page's HTML, checked against the same upper bound.
PAGE_LINKS = [
    (re.compile(r'href="/households/(\d+)/'), Household),
    (re.compile(r'href="/residents/(\d+)/'), Resident),
    (re.compile(r'href="/matters/(\d+)/'), Matter),
    (re.compile(r'href="/visits/(\d+)/'), Visit),
    (re.compile(r'href="/points/accounts/(\d+)/'), Account),
    (re.compile(r'href="/points/entries/(\d+)/'), Award),
]


@dataclass
class Route:
    path: str  # the URL with {pk} (and any other parameter filled in)
    name: str
    model: type
    api: bool
    list_: bool = False


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.name or "", pattern.callback


def _fill(route: str) -> str | None:
    """The route as a path with `{pk}`: Django converters and the router's regexes."""
    route = route.replace("^", "").replace("$", "")
    route = re.sub(r"<int:pk>|\(\?P<pk>[^)]*\)", "{pk}", route)
    route = re.sub(r"\(\?P<action>([a-z_-]+)[^)]*\)", r"\1", route)  # first alternative
    for name, value in OTHER_PARAMS.items():
        route = re.sub(rf"<(?:str:|slug:)?{name}>", value, route)
    if re.search(r"<|\(\?P|\\", route):
        return None
    return "/" + route


# The history of an object (governance.history), page and API, probed for each kept kind
# whose model the oracle below knows; the other kinds (catalogues every member of staff reads,
# staff accounts) are covered by tests/governance/test_history.py.
HISTORY_KINDS = {
    "township": Township,
    "village": Village,
    "grid": Grid,
    "courtyard": Courtyard,
    "household": Household,
    "resident": Resident,
    "assignment": Assignment,
    "department": Department,
    "points-rule": Rule,
    "shop-item": Item,
}


def _history_routes(raw: str, name: str) -> list[Route]:
    api = raw.startswith("api/")
    return [
        Route("/" + raw.replace("<slug:kind>", kind).replace("<int:pk>", "{pk}"), name, model, api)
        for kind, model in HISTORY_KINDS.items()
    ]


def routes() -> tuple[list[Route], list[str]]:
    """Every id route (API and page) and every API list route; and the unmapped id routes."""
    found, unmapped, seen = [], [], set()
    for raw, name, callback in _walk(get_resolver().url_patterns):
        if "<slug:kind>/<int:pk>" in raw and name == "history":
            found += _history_routes(raw, name)
            continue
        if raw.startswith("admin/") or PUBLIC_ROUTE.match(raw) or r"\.(?P<format>" in raw:
            continue
        cls = getattr(callback, "cls", None)
        api = raw.startswith("api/")
        has_pk = "<int:pk>" in raw or "(?P<pk>" in raw
        path = _fill(raw)
        if path is None or path in seen:
            continue
        if has_pk:
            model = getattr(getattr(cls, "queryset", None), "model", None) if api else PAGE_MODELS.get(name)
            if model is None:
                unmapped.append(raw)
                continue
            seen.add(path)
            found.append(Route(path, name, model, api))
        elif api and cls is not None and name.endswith("-list") and getattr(cls, "queryset", None) is not None:
            seen.add(path)
            found.append(Route(path, name, cls.queryset.model, api, list_=True))
    return found, unmapped


# Who may see what (upper bound), from the assignments.

# The shop clerk reads no people; the village supervision committee (村务监督委员会) reads its
# village's 村事 only (no household, resident or visit: not even those its 村事 name).
# The township administrator (镇街管理员) keeps staff, assignments and places: no people either.
PEOPLE_READERS = set(Role) - {Role.SHOP_CLERK, Role.VILLAGE_SUPERVISOR, Role.TOWNSHIP_ADMIN}
PLEDGE_READERS = set(Role) - {Role.SHOP_CLERK, Role.DEPARTMENT_HANDLER, Role.TOWNSHIP_ADMIN}
ACCOUNT_READERS = {
    Role.VILLAGE_CADRE,
    Role.SHOP_CLERK,
    Role.COURTYARD_HELPER,
    Role.GRID_LEADER,
    Role.GRID_WORKER,
    Role.TOWNSHIP_LEADER,
    Role.TOWNSHIP_OFFICIAL,
}


def _place_q(assignments, roles, fields) -> Q:
    """Rows whose place (fields: level -> lookup) one of `roles` is assigned to; a 片区 leader
    (包片) is at every village of the area."""
    condition = Q(pk__in=[])
    for a in assignments:
        if a.role not in roles:
            continue
        level = ROLE_LEVEL[a.role]
        if level == "area":
            villages = Area.villages.through.objects.filter(area_id=a.area_id).values("village_id")
            condition |= Q(**{f"{fields['village']}__in": villages})
            continue
        lookup = fields.get(level)
        if lookup:
            condition |= Q(**{lookup: getattr(a, f"{level}_id")})
    return condition


PERSON = {"township": "township_id", "village": "village_id", "grid": "grid_id"}
# The district's catalogues, one for every township: every signed-in account reads them.
SHARED_CATALOGUES = (MatterCategory, TimeLimit, CalendarDay, Tag)
# Rows of a village's own (a catalogue, the shop, boards, the compact): the lookup of their township.
VILLAGE_OWNED = {
    Item: "village__township_id",
    Rule: "village__township_id",
    Board: "village__township_id",
    CompactVersion: "township_id",
    CompactArticle: "version__township_id",
}


@dataclass
class Oracle:
    user: object
    cache: dict = field(default_factory=dict)

    def __post_init__(self):
        today = timezone.localdate()
        self.assignments = (
            list(
                Assignment.objects.filter(user=self.user, valid_from__lte=today).filter(
                    Q(valid_to__isnull=True) | Q(valid_to__gte=today)
                )
            )
            if self.user
            else []
        )
        self.townships = {a.township_id for a in self.assignments}

    def allowed_ids(self, model) -> set[int] | None:
        """Ids of `model` the user may see; None: every row (superuser, shared catalogues)."""
        if self.user is not None and self.user.is_superuser:
            return None
        if model not in self.cache:
            if model in (Pledge, PledgePhoto):
                self.cache[model] = self._pledges(model)
            elif model is Job:
                self.cache[model] = self._ids(Job.objects.filter(owner=self.user)) if self.user is not None else set()
            elif model is FinanceStatement:
                self.cache[model] = self._statements()
            elif model is get_user_model():
                self.cache[model] = self._accounts() if self.user is not None else set()
            elif model in (Team, Mediation, Meeting, Selection, Activity):
                self.cache[model] = self._civic(model) if self.user is not None else set()
            elif model is Campaign:
                self.cache[model] = self._campaigns() if self.user is not None else set()
            elif model is CampaignTask:
                self.cache[model] = self._tasks() if self.user is not None else set()
            elif model is AnswerPhoto:
                tasks = self.allowed_ids(CampaignTask)
                self.cache[model] = self._ids(AnswerPhoto.objects.filter(task_id__in=tasks))
            elif model is ActivityPhoto:
                activities = self.allowed_ids(Activity)
                self.cache[model] = self._ids(ActivityPhoto.objects.filter(activity_id__in=activities))
            else:
                self.cache[model] = self._allowed(model)
        return self.cache[model]

    def _statements(self) -> set[int]:
        """A village's accounts: its cadres and supervision committee, and its township's staff."""
        a = self.assignments
        village_roles = (Role.VILLAGE_CADRE, Role.VILLAGE_SUPERVISOR, Role.VILLAGE_LIAISON)
        villages = [x.village_id for x in a if x.role in village_roles]
        townships = [x.township_id for x in a if x.role in (Role.TOWNSHIP_OFFICIAL, Role.TOWNSHIP_LEADER)]
        return self._ids(FinanceStatement.objects.filter(Q(village_id__in=villages) | Q(township_id__in=townships)))

    def _accounts(self) -> set[int]:
        """Staff accounts (/manage/staff/, /api/v1/staff/): a township administrator's are those
        opened for the township or holding or having held an assignment there, never a
        superuser's or a Django-admin staff account; no one else keeps any."""
        kept = [x.township_id for x in self.assignments if x.role == Role.TOWNSHIP_ADMIN]
        held = Assignment.objects.filter(township_id__in=kept).values("user_id")
        accounts = get_user_model().objects.filter(Q(staff_account__township_id__in=kept) | Q(pk__in=held))
        return self._ids(accounts.filter(is_superuser=False, is_staff=False))

    def _ids(self, queryset) -> set[int]:
        return set(queryset.values_list("pk", flat=True))

    def _matters(self, *, supervised: bool = True) -> set[int]:
        """The matters the user sees; with `supervised=False` without the 村事 seen only as a
        member of the supervision committee (which names no household the committee sees)."""
        a = self.assignments
        departments = [x.department_id for x in a if x.role == Role.DEPARTMENT_HANDLER]
        granted = MatterUserObjectPermission.objects.filter(user=self.user).values("content_object_id")
        condition = (
            _place_q(a, PEOPLE_READERS, {**PERSON, "courtyard": "household__courtyard_id"})
            | Q(department_id__in=departments)
            | Q(pk__in=granted)
        )
        if supervised:
            villages = [x.village_id for x in a if x.role == Role.VILLAGE_SUPERVISOR]
            condition |= Q(village_id__in=villages, kind="village")
        if self.user is not None:
            condition |= Q(handler=self.user) | Q(created_by=self.user)
        return self._ids(Matter.objects.filter(condition))

    def _pledges(self, model) -> set[int]:
        """A village's pledges: its cadres, supervision committee, grid and courtyard staff, and
        its township's leaders and officials; and the pledger's own."""
        if self.user is None:
            return set()
        township_roles = {Role.TOWNSHIP_LEADER, Role.TOWNSHIP_OFFICIAL}
        village_roles = PLEDGE_READERS - township_roles
        townships = [x.township_id for x in self.assignments if x.role in township_roles]
        villages = [x.village_id for x in self.assignments if x.role in village_roles]
        condition = Q(township_id__in=townships) | Q(village_id__in=villages) | Q(pledger_user=self.user)
        pledges = self._ids(Pledge.objects.filter(condition))
        return pledges if model is Pledge else self._ids(PledgePhoto.objects.filter(pledge_id__in=pledges))

    def _campaigns(self) -> set[int]:
        """A campaign: its township's leaders and officials; for a village's own, its cadres and
        the liaison sent down; a township's also the cadres and liaison of a village it has a
        household task in, and the grid staff of any grid it has one in."""
        a = self.assignments
        townships = [x.township_id for x in a if x.role in (Role.TOWNSHIP_LEADER, Role.TOWNSHIP_OFFICIAL)]
        villages = [x.village_id for x in a if x.role in (Role.VILLAGE_CADRE, Role.VILLAGE_LIAISON)]
        villages += list(
            Area.villages.through.objects.filter(
                area_id__in=[x.area_id for x in a if x.role == Role.AREA_LEADER]
            ).values_list("village_id", flat=True)
        )
        grids = [x.grid_id for x in a if x.role in (Role.GRID_LEADER, Role.GRID_WORKER)]
        grids += [x.courtyard.grid_id for x in a if x.role == Role.COURTYARD_HELPER]
        with_tasks = CampaignTask.objects.filter(Q(village_id__in=villages) | Q(grid_id__in=grids))
        condition = (
            Q(township_id__in=townships) | Q(village_id__in=villages) | Q(pk__in=with_tasks.values("campaign_id"))
        )
        return self._ids(Campaign.objects.filter(condition))

    def _tasks(self) -> set[int]:
        """A household's campaign answers: whoever reads the household by place (no department)."""
        fields = {**PERSON, "courtyard": "household__courtyard_id"}
        readers = PEOPLE_READERS - {Role.DEPARTMENT_HANDLER}
        return self._ids(CampaignTask.objects.filter(_place_q(self.assignments, readers, fields)))

    def _civic(self, model) -> set[int]:
        """三治's books (teams, mediations, meetings, selections, activities): a village's cadres
        and grid staff, its township's leaders and officials; a township's own team also the
        staff of its villages."""
        township_roles = {Role.TOWNSHIP_LEADER, Role.TOWNSHIP_OFFICIAL}
        village_roles = {Role.VILLAGE_CADRE, Role.VILLAGE_LIAISON, Role.GRID_LEADER, Role.GRID_WORKER}
        townships = [x.township_id for x in self.assignments if x.role in township_roles]
        villages = [x.village_id for x in self.assignments if x.role in village_roles]
        condition = Q(township_id__in=townships) | Q(village_id__in=villages)
        if model is Team:
            theirs = Village.objects.filter(pk__in=villages).values("township_id")
            condition |= Q(village__isnull=True, township_id__in=theirs)
        return self._ids(model.objects.filter(condition))

    def _allowed(self, model) -> set[int] | None:
        a = self.assignments
        if self.user is None:
            return set()
        if model in SHARED_CATALOGUES:
            return None
        if model in (Township, Village, Grid, Courtyard, Department, Area):
            field_ = "pk" if model is Township else "township_id"
            return self._ids(model.objects.filter(**{f"{field_}__in": self.townships}))
        if model is Notification:
            return self._ids(Notification.objects.filter(user=self.user))
        if model is Assignment:
            township_keepers = (Role.TOWNSHIP_LEADER, Role.TOWNSHIP_OFFICIAL, Role.TOWNSHIP_ADMIN)
            townships = [x.township_id for x in a if x.role in township_keepers]
            villages = [x.village_id for x in a if x.role == Role.VILLAGE_CADRE]
            return self._ids(
                Assignment.objects.filter(Q(user=self.user) | Q(township_id__in=townships) | Q(village_id__in=villages))
            )
        if model is Matter:
            return self._matters()
        if model in (Deliberation, MatterPhoto):
            return self._ids(model.objects.filter(matter_id__in=self._matters()))
        if model is Household:
            named = Matter.objects.filter(pk__in=self._matters(supervised=False)).values("household_id")
            return self._ids(
                Household.objects.filter(
                    _place_q(a, PEOPLE_READERS, {**PERSON, "courtyard": "courtyard_id"}) | Q(pk__in=named)
                )
            )
        if model is Resident:
            households = self.allowed_ids(Household)
            return self._ids(Resident.objects.filter(household_id__in=households))
        if model is Visit:
            condition = _place_q(a, PEOPLE_READERS - {Role.DEPARTMENT_HANDLER}, {**PERSON, "courtyard": "courtyard_id"})
            return self._ids(Visit.objects.filter(condition | Q(author=self.user)))
        if model is VisitPhoto:
            return self._ids(VisitPhoto.objects.filter(visit_id__in=self.allowed_ids(Visit)))
        if model is Account:
            fields = {**PERSON, "grid": "household__grid_id", "courtyard": "household__courtyard_id"}
            return self._ids(Account.objects.filter(_place_q(a, ACCOUNT_READERS, fields)))
        if model in (Award, Redemption, Entry, Objection):
            # An objection is seen with its proposal's passbook.
            through = "award__account_id__in" if model is Objection else "account_id__in"
            return self._ids(model.objects.filter(**{through: self.allowed_ids(Account)}))
        if model in VILLAGE_OWNED:
            # A village's catalogue, shop, boards and compact: its own staff and its township's.
            return self._ids(model.objects.filter(**{f"{VILLAGE_OWNED[model]}__in": self.townships}))
        raise LookupError(f"no scope rule for {model.__name__}: add one to tests/scope_matrix.py")


def demo_accounts():
    """One account per (role, level of place) the demo holds, the contract accounts, the
    superuser, and anonymous (None)."""
    users = list(get_user_model().objects.filter(username__in=CONTRACT_ACCOUNTS).order_by("username"))
    roles_seen = {a.role for a in Assignment.objects.filter(user__in=users)}
    for role in sorted(set(Role) - roles_seen):
        extra = Assignment.objects.filter(role=role).select_related("user").order_by("pk").first()
        if extra:
            users.append(extra.user)
    return [None, *users]


def sample(ids, k, rng) -> list[int]:
    ids = sorted(ids)
    if k is None or len(ids) <= k:
        return ids
    return sorted(rng.sample(ids, k))


def rng_for(*parts) -> random.Random:
    return random.Random(f"{SEED}:{':'.join(map(str, parts))}")
