"""Every set of roles the apps check, defined once.

A role is held at a place (governance.models.ROLE_LEVEL); these sets name who may do a kind
of thing. Whether the role reaches the object is `Scope.covers` / `Scope.condition`
(governance.scoping). An app never writes its own `GRID_ROLES | {...}`: it names a set here,
so a rule read by a page and by the API is the same rule.
"""

from governance.models import Role

# ---------------------------------------------------------------- levels

TOWNSHIP_ROLES = frozenset({Role.TOWNSHIP_LEADER, Role.TOWNSHIP_OFFICIAL})
# The township's staff sent down (力量沉底): a township official answering for a village (包村)
# and a township leader for a 片区 (包片). They see their villages as the village's cadres do,
# visit, and are reminded on the 逢十 days; the township's decisions stay with TOWNSHIP_ROLES.
SENT_DOWN_ROLES = frozenset({Role.VILLAGE_LIAISON, Role.AREA_LEADER})
# The township administrator (镇街管理员): staff accounts, assignments, places, catalogues and
# settings of one township. Reads no people, matters or visits: it keeps the books, not the work.
ADMIN_ROLES = frozenset({Role.TOWNSHIP_ADMIN})
VILLAGE_ROLES = frozenset({Role.VILLAGE_CADRE, Role.SHOP_CLERK})
GRID_ROLES = frozenset({Role.GRID_LEADER, Role.GRID_WORKER})
# The village affairs supervision committee (村务监督委员会): held at a village, beside its
# 两委, not among its staff. It sees and verifies the village's 村事 and nothing else.
SUPERVISION_ROLES = frozenset({Role.VILLAGE_SUPERVISOR})
# The people assigned to a grid or a courtyard: who walks the households (逢十 duty).
FIELD_ROLES = GRID_ROLES | {Role.COURTYARD_HELPER}
# Field staff and the village cadres who 包网格 too: who visits, records matters on a
# visit, does the 回访 and may be named to handle a civil matter.
FRONTLINE_ROLES = FIELD_ROLES | {Role.VILLAGE_CADRE}

# ---------------------------------------------------------------- people (grids)

# The roles that may read people (households, residents), matters and visits at all. The
# shop clerk keeps the village's passbooks and shop, not its register: a clerk's scope
# never reaches a personal row through `condition`/`filter`, whatever roles a caller asks
# for, so every selector built on them stays closed to the clerk. (`covers` decides what a
# role may *do* and takes its roles from the caller: the points policy lets the clerk
# redeem on a passbook the clerk's village holds.)
# The supervision committee reads no register either: it sees matters only (below).
PEOPLE_READERS = frozenset(Role) - {Role.SHOP_CLERK} - SUPERVISION_ROLES - ADMIN_ROLES
# The roles that may read matters at all: the people readers, and the supervision committee,
# whose sight is narrowed to its village's 村事 by the rule petitions registers
# (governance.scoping.register_role_rule).
MATTER_READERS = PEOPLE_READERS | SUPERVISION_ROLES
# Who gets the register's list in the menu: the department handler sees households only
# through its matters' pages (the clerk and the supervision committee not at all).
REGISTER_READERS = PEOPLE_READERS - {Role.DEPARTMENT_HANDLER}
# The village roles that see the village's people and work (counts, compliance, 逢十).
VILLAGE_STAFF = VILLAGE_ROLES & PEOPLE_READERS
# Who reads a village's own dashboard (村级驾驶舱) and monthly report: its cadres and the township
# staff sent down to it (包村, 包片); the township reads every village's through its township role.
VILLAGE_BOARD_READERS = frozenset({Role.VILLAGE_CADRE}) | SENT_DOWN_ROLES
REGISTER_EDITORS = frozenset({Role.VILLAGE_CADRE, Role.GRID_LEADER, Role.GRID_WORKER})
HOUSEHOLD_MOVERS = frozenset({Role.VILLAGE_CADRE})
# Who keeps a village's grids and courtyards (creates, renames, merges and splits them,
# grids.places): its cadres and its township's administrator (and the superuser).
PLACE_KEEPERS = frozenset({Role.VILLAGE_CADRE}) | ADMIN_ROLES
REGISTER_IMPORTERS = frozenset({Role.VILLAGE_CADRE})
ID_NUMBER_REVEALERS = frozenset({Role.VILLAGE_CADRE, Role.TOWNSHIP_OFFICIAL, Role.TOWNSHIP_LEADER})

# ---------------------------------------------------------------- visits and 逢十

VISITOR_ROLES = FRONTLINE_ROLES | SENT_DOWN_ROLES
# Whose 逢十 duty is counted and reminded.
FENGSHI_ROLES = FIELD_ROLES
# Who goes down to a whole village's grids on the 逢十 days (力量沉底): its cadres and the
# township's staff sent down to it (包村, 包片). They are reminded for their villages, walk any
# grid of them, and are counted apart from the grid staff, whose duty is one grid or courtyard.
VILLAGE_DUTY_ROLES = frozenset({Role.VILLAGE_CADRE}) | SENT_DOWN_ROLES
# Who reads the visit log: those who visit (the township's staff sent down among them), and the
# township staff who watch them.
VISIT_READERS = VISITOR_ROLES | TOWNSHIP_ROLES
# Who reads the 逢十 compliance roll-up: the township, the village staff, those on duty.
COMPLIANCE_READERS = TOWNSHIP_ROLES | SENT_DOWN_ROLES | VILLAGE_STAFF | FENGSHI_ROLES

# ---------------------------------------------------------------- matters

# Who records a matter (on a visit, at the office, by phone; 代办 for a resident).
INTAKE_ROLES = FRONTLINE_ROLES | SENT_DOWN_ROLES
# Who watches over a 村事 from outside the 两委 that decided and carried it out: the village
# affairs supervision committee and the township. They supervise it (督办) in any open state.
VILLAGE_AFFAIRS_OVERSIGHT = SUPERVISION_ROLES | TOWNSHIP_ROLES
# Who verifies a 村事 (督), by the village's setting (petitions.models.VillageAffairsVerifiers):
# the township, the supervision committee and the township (the default), or the committee.
VILLAGE_AFFAIRS_VERIFIERS = {
    "township": TOWNSHIP_ROLES,
    "supervisors_and_township": VILLAGE_AFFAIRS_OVERSIGHT,
    "supervisors": SUPERVISION_ROLES,
}
# Who records the resident's answer on a return visit (回访), by the matter's kind: someone
# independent of the work, one level up (never the matter's handler, reporter or verifier;
# petitions.workflow checks that). Grid staff no longer record ratings. A 村事's is the
# supervision committee's or the township's.
REVISIT_ROLES_BY_KIND = {
    "civil": frozenset({Role.VILLAGE_CADRE}) | TOWNSHIP_ROLES,
    "village": VILLAGE_AFFAIRS_OVERSIGHT,
    "government": TOWNSHIP_ROLES,
}
# Anyone who records some return visit (the queue of 回访, the page's panels).
REVISIT_ROLES = frozenset().union(*REVISIT_ROLES_BY_KIND.values())
# Who decides a resident's request for a review (复查): one level above the level that
# handled it, never who handled, reported or verified it. A 民事 goes to the village cadre, or to
# the township when the cadre handled or verified it.
REVIEW_ROLES_BY_KIND = {
    "civil": frozenset({Role.VILLAGE_CADRE}) | TOWNSHIP_ROLES,
    "village": TOWNSHIP_ROLES,
    "government": frozenset({Role.TOWNSHIP_LEADER}),
}
# Whom a village cadre may name to handle a civil or village matter.
HANDLER_ROLES = FRONTLINE_ROLES

# ---------------------------------------------------------------- the village compact (村规民约)

# Who drafts and amends a version of the village's compact and proposes it for adoption.
COMPACT_EDITORS = frozenset({Role.VILLAGE_CADRE})
# Who reads a village's compact in the staff pages, drafts and history: its cadres and its
# supervision committee, and the township that files it (备案).
COMPACT_READERS = COMPACT_EDITORS | SUPERVISION_ROLES | TOWNSHIP_ROLES | SENT_DOWN_ROLES

# ---------------------------------------------------------------- points

# The roles a village may let propose points (a rule's `proposer_roles` is a subset).
DEFAULT_PROPOSER_ROLES = (Role.GRID_WORKER, Role.GRID_LEADER, Role.COURTYARD_HELPER)
PROPOSER_ROLES = frozenset({*DEFAULT_PROPOSER_ROLES, Role.VILLAGE_CADRE})
DECIDER_ROLES = frozenset({Role.VILLAGE_CADRE})
REDEEMER_ROLES = frozenset({Role.SHOP_CLERK, Role.VILLAGE_CADRE})
SHOP_KEEPER_ROLES = REDEEMER_ROLES
BOARD_ROLES = frozenset({Role.VILLAGE_CADRE})
# Who sees passbooks: the village (cadres, the shop), its grids and courtyards, the township.
ACCOUNT_READER_ROLES = frozenset({Role.VILLAGE_CADRE, Role.SHOP_CLERK, *FIELD_ROLES, *TOWNSHIP_ROLES})

# ---------------------------------------------------------------- catalogues and settings

# Who edits the district's catalogues (matter categories and their decision rules, time limits,
# the clocks' limits, the working-day calendar, tags and their visit targets): no role, the
# superuser only, who is the district's administrator (docs/administration.md). Every member
# of staff reads them; a township administrator reads them too and edits none.
DISTRICT_CATALOGUE_EDITORS = frozenset()
# Who sets a village's matter settings (who verifies its 村事, 督): the township that oversees
# the village, never the 两委 whose work is checked (maker-checker). Its cadres and its
# supervision committee read them.
MATTER_SETTINGS_EDITORS = TOWNSHIP_ROLES | ADMIN_ROLES
MATTER_SETTINGS_READERS = MATTER_SETTINGS_EDITORS | frozenset({Role.VILLAGE_CADRE}) | SUPERVISION_ROLES
# Whose menu offers the catalogues and settings overview: those who keep one (the village's
# cadres and shop clerk, the township) and the township administrator. Everyone else may still
# open it; it is not in their way.
CATALOGUE_MENU_ROLES = TOWNSHIP_ROLES | ADMIN_ROLES | VILLAGE_ROLES

# ---------------------------------------------------------------- 村务公开

# Who keeps a village's accounts (财务公开): its cadres. Who reads them before they are
# posted: the cadres, the supervision committee that checks them, the township.
FINANCE_EDITORS = frozenset({Role.VILLAGE_CADRE})
FINANCE_READERS = FINANCE_EDITORS | SUPERVISION_ROLES | TOWNSHIP_ROLES | SENT_DOWN_ROLES
# Who gets the 村务 tab (the accounts, the compact, the pledges of their villages).
AFFAIRS_ROLES = FINANCE_READERS
# ---------------------------------------------------------------- pledges (提诺·亮诺·践诺·评诺)

# Who reads a village's pledges: its cadres, its supervision committee, its grid and courtyard
# staff, and its township. Not the shop clerk (the passbooks and the shop only).
PLEDGE_READERS = TOWNSHIP_ROLES | SENT_DOWN_ROLES | SUPERVISION_ROLES | FRONTLINE_ROLES
# Who proposes a pledge of their own (提诺): the cadres and the staff who 包网格/包院落.
PLEDGER_ROLES = FRONTLINE_ROLES
# Who records a pledge for a resident of the village (a party member without an account), and
# carries it out on the resident's behalf.
PLEDGE_RECORDER_ROLES = frozenset({Role.VILLAGE_CADRE})
# Who reviews (审诺) and who records the rating meeting (评诺): a village cadre of the village or
# the township; never the pledger (maker-checker), nor whoever recorded a resident's pledge.
PLEDGE_REVIEWER_ROLES = frozenset({Role.VILLAGE_CADRE}) | TOWNSHIP_ROLES
PLEDGE_RATER_ROLES = PLEDGE_REVIEWER_ROLES

# ---------------------------------------------------------------- 三治 (governance.civic)

# Who reads the councils, teams, mediations, selections and activities of their places: the
# township, the village cadres and the grid staff (the shop clerk and the supervision
# committee keep other books).
CIVIC_READERS = TOWNSHIP_ROLES | SENT_DOWN_ROLES | frozenset({Role.VILLAGE_CADRE}) | GRID_ROLES
# Who runs the village's councils (四会), keeps its teams, runs its 最美 selections: the 两委.
COUNCIL_RUNNERS = frozenset({Role.VILLAGE_CADRE})
# Who keeps a township's own teams (the 公益律师团, a township 老兵说法团).
TOWNSHIP_TEAM_KEEPERS = TOWNSHIP_ROLES
# Who records a mediation (人民调解) and its follow-up: the village cadres and grid staff of
# its village or grid, and the township for a mediation its own team held.
MEDIATION_RECORDERS = frozenset({Role.VILLAGE_CADRE}) | GRID_ROLES | TOWNSHIP_ROLES
# Who records an activity (邻里节, 孝老爱亲走访) and its participants: the frontline staff.
ACTIVITY_RECORDERS = frozenset({Role.VILLAGE_CADRE}) | GRID_ROLES
# Who nominates for a 最美 selection (staff, for residents).
NOMINATOR_ROLES = frozenset({Role.VILLAGE_CADRE}) | GRID_ROLES

# ---------------------------------------------------------------- campaigns (专项排查, grids.campaigns)

# Who makes, reviews and starts a campaign: the township for the township (or one of its
# villages), a village cadre for the village.
CAMPAIGN_ORGANISERS = TOWNSHIP_ROLES | frozenset({Role.VILLAGE_CADRE})
# Who reads a campaign and its progress: its organisers and the staff sent down to the village.
# The answers themselves are read by whoever may read the household (PEOPLE_READERS).
CAMPAIGN_READERS = CAMPAIGN_ORGANISERS | SENT_DOWN_ROLES
# Who answers a household's task: whoever visits it (the frontline and the staff sent down).
CAMPAIGN_ANSWERERS = VISITOR_ROLES

# ---------------------------------------------------------------- assignments (governance.assigning)

# Who gives whom a role, and where (the assignment pages and the API ask governance.assigning,
# which reads this): a village cadre the staff of their own village's grids and courtyards; the
# township administrator, within their township, every role but their own (a township's
# administrators are appointed by the superuser, who assigns anything).
ASSIGNABLE_BY = {
    Role.VILLAGE_CADRE: FIELD_ROLES,
    Role.TOWNSHIP_ADMIN: frozenset(Role) - ADMIN_ROLES,
}
ASSIGNER_ROLES = frozenset(ASSIGNABLE_BY)
# Who keeps a township's 片区 (their names and villages): its administrator.
AREA_KEEPERS = ADMIN_ROLES
