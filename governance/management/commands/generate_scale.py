"""A district-sized data set for benchmarks: townships, villages, grids, households, residents, staff.

Then a year of activity (matters with their events, 逢十 visits, passbooks: generate_activity).
Rows are generated deterministically and written with PostgreSQL COPY (plain multi-row
INSERTs on other databases, for small test runs), one township per transaction, with a
progress line per township. ID numbers are real-shaped (valid check digit, unique),
encrypted and hashed exactly as the app does.
"""

import csv
import datetime
import functools
import io
import json
import random
import time
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from governance.models import Assignment
from grids.demo import GIVEN_FEMALE, GIVEN_MALE, SURNAMES, TAGS
from grids.idnumbers import encrypt_id_number, hash_id_number, id_check_char, mask_id_number
from grids.models import Grid, Household, Resident, Tag, Township, Village
from grids.services import name_pinyin

CODE_PREFIX = "S"  # scale townships are S001, S002 ...; the demo's codes are numeric
BIRTH_BASE = datetime.date(1930, 1, 1)
BIRTH_DAYS = 32_000  # ~88 years of birth dates
# bandit: benchmark accounts on a throw-away database.
SCALE_PASSWORD = "bench12345"  # nosec B105
HOUSEHOLD_SIZES = [1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 6]  # 3.36 people on average, as in rural 合川


@functools.lru_cache(maxsize=300_000)
def _pinyin(name: str) -> tuple[str, str]:
    return name_pinyin(name)


def scale_usernames(township: int = 1, village: int = 1, grid: int = 1) -> dict[str, str]:
    """The accounts the benchmark logs in as (one per persona)."""
    t = f"s{township:03d}"
    return {
        "township_official": f"{t}_official",
        "village_cadre": f"{t}_{village:03d}_cadre",
        "grid_worker": f"{t}_{village:03d}_{grid:02d}_grid",
    }


class Writer:
    """Append rows per table, then flush them with COPY (PostgreSQL) or INSERT (others).

    A row is given by its model and the values that matter; every other column takes the
    model field's default (an `auto_now` time, now): no column list to keep in step with the
    models, and a field added later with a default needs nothing here."""

    def __init__(self, cursor):
        self.cursor = cursor
        self.tables: dict[str, tuple[list, list[tuple]]] = {}
        self.now = timezone.now()

    def add(self, model, **values) -> None:
        table = model._meta.db_table
        if table not in self.tables:
            # The concrete fields; the primary key only where the rows give it (a
            # many-to-many row takes the sequence's).
            fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in values]
            self.tables[table] = (fields, [])
        fields, rows = self.tables[table]
        rows.append(tuple(self._value(field, values) for field in fields))

    def pending(self, model) -> int:
        return len(self.tables.get(model._meta.db_table, ((), ()))[1])

    def _value(self, field, values):
        if field.attname in values:
            return values[field.attname]
        if field.name in values:
            value = values[field.name]
            return value.pk if hasattr(value, "pk") else value
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return self.now.isoformat()
        default = field.get_default()
        return json.dumps(default) if isinstance(default, (dict, list)) else default

    def flush(self, order: list[str]) -> None:
        for table in order:
            if table not in self.tables:
                continue
            fields, rows = self.tables.pop(table)
            columns = [f.column for f in fields]
            if connection.vendor == "postgresql":
                buffer = io.StringIO()
                writer = csv.writer(buffer)
                for row in rows:
                    writer.writerow(["\\N" if v is None else v for v in row])
                buffer.seek(0)
                self.cursor.cursor.copy_expert(
                    f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
                )
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                # Table and columns are the models' own names; the values are parameters.
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # nosec B608
                self.cursor.executemany(sql, rows)


class Command(BaseCommand):
    help = "Generate a district-sized data set (default: 30 townships x 10 villages x 10 grids x 130 households)."

    def add_arguments(self, parser):
        parser.add_argument("--townships", type=int, default=30)
        parser.add_argument("--villages-per", type=int, default=10)
        parser.add_argument("--grids-per", type=int, default=10)
        parser.add_argument("--households-per", type=int, default=130, help="households per grid")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--no-activity",
            dest="activity",
            action="store_false",
            help="places and people only: no matters, visits or passbooks (bench adds them when missing)",
        )

    def handle(self, *args, townships, villages_per, grids_per, households_per, seed, activity, **options):
        if Township.objects.filter(code__startswith=CODE_PREFIX).exists():
            raise CommandError("A scale data set is already here (townships S001 ...). Use a fresh database.")
        started = time.monotonic()
        build = _Build(seed, villages_per, grids_per, households_per)
        for t in range(1, townships + 1):
            with transaction.atomic(), connection.cursor() as cursor:
                build.township(Writer(cursor), t)
            elapsed = time.monotonic() - started
            self.stdout.write(
                f"township {t}/{townships}: {build.households} households, {build.residents} residents "
                f"({elapsed:.0f} s)"
            )
        build.ids.reset_sequences()
        if activity:
            generate_activity(seed, self.stdout)
        vacuum_analyze(TABLE_ORDER, self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"done: {build.households} households, {build.residents} residents "
                f"in {time.monotonic() - started:.0f} s; accounts s001_official, s001_001_cadre, "
                f"s001_001_01_grid (password {SCALE_PASSWORD})"
            )
        )


def vacuum_analyze(tables: list[str], stdout) -> None:
    """VACUUM ANALYZE the whole database once the rows are in: the statistics for the
    planner, and the visibility map without which no query may use an index-only scan (a
    server without autovacuum would otherwise never set it: issue 19). VACUUM cannot run inside
    a transaction block, so it runs on the connection in autocommit, outside every atomic block;
    inside one (a test's), only ANALYZE of `tables`, with a note."""
    if connection.vendor != "postgresql":
        stdout.write(f"VACUUM ANALYZE skipped: {connection.vendor} is not PostgreSQL")
        return
    started = time.monotonic()
    if connection.in_atomic_block or not connection.get_autocommit():
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {table}")
        stdout.write("VACUUM ANALYZE skipped inside a transaction: ANALYZE only")
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    stdout.write(f"VACUUM ANALYZE ({time.monotonic() - started:.0f} s)")


class _Build:
    """The generated places, people and staff, one township at a time (deterministic for a seed)."""

    def __init__(self, seed, villages_per, grids_per, households_per):
        # bandit: benchmark data, not security.
        self.rng = random.Random(seed)  # nosec B311
        self.villages_per, self.grids_per, self.households_per = villages_per, grids_per, households_per
        self.password = make_password(SCALE_PASSWORD)
        self.tags = self._tags()
        self.ids = _IdAllocator()
        self.people = self.households = self.residents = 0

    @staticmethod
    def _tags() -> list[int]:
        if not Tag.objects.exists():
            for code, name, key in TAGS:
                Tag.objects.create(code=code, name=name, is_key_group=key)
        return list(Tag.objects.values_list("pk", flat=True))

    def township(self, w: Writer, t: int) -> None:
        township_id = self.ids.next("grids_township")
        code = f"{CODE_PREFIX}{t:03d}"
        w.add(Township, id=township_id, name=f"规模镇{t:03d}", code=code, district="合川区")
        staff = [(f"s{t:03d}_official", "township_official", township_id, None, None)]
        staff.append((f"s{t:03d}_leader", "township_leader", township_id, None, None))
        for v in range(1, self.villages_per + 1):
            village_id = self.ids.next("grids_village")
            w.add(Village, id=village_id, township_id=township_id, name=f"规模镇{t:03d}第{v}村", code=f"{code}{v:03d}")
            staff.append((f"s{t:03d}_{v:03d}_cadre", "village_cadre", township_id, village_id, None))
            for g in range(1, self.grids_per + 1):
                grid_id = self.ids.next("grids_grid")
                w.add(Grid, id=grid_id, township_id=township_id, village_id=village_id, number=g, name=f"第{g}网格")
                staff.append((f"s{t:03d}_{v:03d}_{g:02d}_grid", "grid_worker", township_id, village_id, grid_id))
                place = {"township_id": township_id, "village_id": village_id, "grid_id": grid_id}
                for h in range(1, self.households_per + 1):
                    self.household(w, place, number=f"{g:02d}-{h:04d}", address=f"第{v}村{g}组{h}号")
        for username, role, *where in staff:
            self.account(w, username, role, *where)
        w.flush(TABLE_ORDER)

    def household(self, w: Writer, place: dict, number: str, address: str) -> None:
        rng = self.rng
        household_id = self.ids.next("grids_household")
        surname = rng.choice(SURNAMES)
        size = rng.choice(HOUSEHOLD_SIZES)
        head_name = ""
        head_phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        for m in range(size):
            self.people += 1
            male = rng.random() < (0.8 if m == 0 else 0.5)
            gender = "male" if male else "female"
            pool = GIVEN_MALE if male else GIVEN_FEMALE
            name = surname + rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.6 else "")
            head_name = head_name or name
            birth, number_ = _id_for(self.people, gender)
            pinyin, initials = _pinyin(name)
            resident_id = self.ids.next("grids_resident")
            w.add(
                Resident,
                id=resident_id,
                household_id=household_id,
                name=name,
                name_pinyin=pinyin,
                name_initials=initials,
                relation_to_head="head" if m == 0 else ("spouse" if m == 1 else "child"),
                gender=gender,
                birth_date=birth,
                id_number_encrypted=encrypt_id_number(number_),
                id_number_hash=hash_id_number(number_),
                id_number_masked=mask_id_number(number_),
                phone=head_phone if m == 0 else "",
                ethnicity="汉族",
                **place,
            )
            if rng.random() < 0.04:
                w.add(Resident.tags.through, resident_id=resident_id, tag_id=rng.choice(self.tags))
            self.residents += 1
        pinyin, initials = _pinyin(head_name)
        w.add(
            Household,
            id=household_id,
            number=number,
            address=address,
            phone=head_phone,
            head_name=head_name,
            head_name_pinyin=pinyin,
            head_name_initials=initials,
            **place,
        )
        if rng.random() < 0.08:
            w.add(Household.tags.through, household_id=household_id, tag_id=rng.choice(self.tags))
        self.households += 1

    def account(self, w: Writer, username, role, township_id, village_id, grid_id) -> None:
        user_id = self.ids.next("auth_user")
        w.add(get_user_model(), id=user_id, password=self.password, username=username, first_name=username)
        w.add(
            Assignment,
            id=self.ids.next("governance_assignment"),
            user_id=user_id,
            role=role,
            township_id=township_id,
            village_id=village_id,
            grid_id=grid_id,
            valid_from="2026-01-01",
        )


TABLE_ORDER = [
    "grids_township",
    "grids_village",
    "grids_grid",
    "grids_household",
    "grids_resident",
    "grids_household_tags",
    "grids_resident_tags",
    "auth_user",
    "governance_assignment",
]


def _id_for(index: int, gender: str) -> tuple[str, str]:
    """A unique, valid ID number for the index-th person (unique below 16 million people)."""
    birth = BIRTH_BASE + datetime.timedelta(days=index % BIRTH_DAYS)
    seq = (index // BIRTH_DAYS) % 500 * 2 + (1 if gender == "male" else 0)
    area = 500117 + (index // (BIRTH_DAYS * 500)) % 10
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    return birth.isoformat(), first17 + id_check_char(first17)


class _IdAllocator:
    """Explicit primary keys (so residents can name their household before COPY), then sequences fixed."""

    def __init__(self):
        models = {
            "grids_township": Township,
            "grids_village": Village,
            "grids_grid": Grid,
            "grids_household": Household,
            "grids_resident": Resident,
            "auth_user": get_user_model(),
            "governance_assignment": Assignment,
        }
        self.models = models
        self.last = {}
        for table, model in models.items():
            self.last[table] = model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def next(self, table: str) -> int:
        self.last[table] += 1
        return self.last[table]

    def reset_sequences(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), list(self.models.values()))
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


# ---------------------------------------------------------------- a year of activity

ACTIVITY_PREFIX = "scale-"  # the generated matters' titles; the sweep bench's are "bench-"
DEPARTMENTS = ["司法所", "派出所", "农业服务中心", "规划建设管理环保办"]
MATTERS_PER_HOUSEHOLD = 1.3  # received over the last twelve months
VISITS_PER_GRID_DAY = (3, 8)  # households a grid worker sees on a 逢十 day
GRIDS_VISITED = 0.85  # share of grids visited on a 逢十 day
POINTS_VILLAGES = 1  # villages per township with passbooks (the others stay free for the redemption bench)
RATINGS = ["satisfied"] * 75 + ["basically_satisfied"] * 18 + ["unsatisfied"] * 7
KINDS = ["civil"] * 60 + ["village"] * 18 + ["government"] * 22
# What a matter of a given age (days since it came in) has become, with weights.
FATES_OLD = [("closed", 86), ("rejected", 5), ("withdrawn", 2), ("evaluating", 2), ("handling", 3), ("verifying", 2)]
FATES_NEW = [
    ("submitted", 8),
    ("classified", 8),
    ("deliberating", 12),
    ("handling", 30),
    ("verifying", 10),
    ("evaluating", 10),
    ("closed", 17),
    ("rejected", 3),
    ("withdrawn", 2),
]
REACHED = {  # the events a matter in this state went through, in order
    "submitted": ["submit"],
    "classified": ["submit", "classify"],
    "deliberating": ["submit", "classify", "deliberate"],
    "handling": ["submit", "classify", "handle"],
    "verifying": ["submit", "classify", "handle", "report"],
    "evaluating": ["submit", "classify", "handle", "report", "verify"],
    "closed": ["submit", "classify", "handle", "report", "verify", "evaluate"],
    "rejected": ["submit", "reject"],
    "withdrawn": ["submit", "withdraw"],
}
TO_STATE = {
    "submit": "submitted",
    "classify": "classified",
    "deliberate": "deliberating",
    "handle": "handling",
    "report": "verifying",
    "verify": "evaluating",
    "evaluate": "closed",
    "reject": "rejected",
    "withdraw": "withdrawn",
}


def generate_activity(seed: int = 2026, stdout=None) -> dict:
    """A year of work in every scale township: matters in every state with their events
    (some supervised, some sent back by a department), visits on the 逢十 days, and the
    passbooks of one village per township. Its own random stream, so the places and people
    stay exactly as `generate_scale` makes them; does nothing if the activity is there."""
    from petitions.models import Matter

    if Matter.objects.filter(title__startswith=ACTIVITY_PREFIX).exists():
        return {}
    activity = _Activity(seed)
    started = time.monotonic()
    for township in Township.objects.filter(code__startswith=CODE_PREFIX).order_by("code"):
        with transaction.atomic(), connection.cursor() as cursor:
            activity.township(Writer(cursor), township)
        if stdout:
            stdout.write(
                f"activity {township.code}: {activity.counts['matters']} matters, {activity.counts['visits']} visits "
                f"({time.monotonic() - started:.0f} s)"
            )
    activity.finish()
    return activity.counts


VISITS_PER_HOUSEHOLD_YEAR = 11  # ordinary working days a household is seen on, besides the 逢十 days
DAY_VISIT_FINGERPRINT = "scale-day"


def generate_visit_year(seed: int = 2026, stdout=None) -> int:
    """A year of everyday visits on top of the 逢十 days' (about 4.3 million at district scale,
    some 4.8 million in all): each household seen on VISITS_PER_HOUSEHOLD_YEAR working days by its
    grid's worker; then every household's last visit and next due day as the app keeps them.
    Its own random stream; does nothing if the visits are there."""
    from grids.visits.fengshi import cycles_between
    from grids.visits.models import Visit
    from grids.visits.services import households_refresh_visit_due

    if Visit.objects.filter(fingerprint=DAY_VISIT_FINGERPRINT).exists():
        return 0
    rng = random.Random(seed * 11 + 3)  # nosec B311: benchmark data
    ids = _NextIds()
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    cycles = set(cycles_between(today - datetime.timedelta(days=365), today))
    days = [
        day for n in range(1, 366) if (day := today - datetime.timedelta(days=n)).weekday() < 5 and day not in cycles
    ]
    started = time.monotonic()
    count = 0
    for township in Township.objects.filter(code__startswith=CODE_PREFIX).order_by("code"):
        workers = dict(
            Assignment.objects.filter(township=township, role="grid_worker").values_list("grid_id", "user_id")
        )
        rows = Household.objects.filter(township=township).values_list("pk", "village_id", "grid_id")
        with transaction.atomic(), connection.cursor() as cursor:
            w = Writer(cursor)
            for household_id, village_id, grid_id in rows.order_by("pk").iterator(chunk_size=5000):
                for day in rng.sample(days, VISITS_PER_HOUSEHOLD_YEAR):
                    at = datetime.datetime.combine(day, datetime.time(8), tzinfo=tz) + datetime.timedelta(
                        minutes=rng.randrange(600)
                    )
                    w.add(
                        Visit,
                        id=ids.next(Visit),
                        author_id=workers[grid_id],
                        client_uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        fingerprint=DAY_VISIT_FINGERPRINT,
                        household_id=household_id,
                        visited_at=at.isoformat(),
                        visited_on=day.isoformat(),
                        method=rng.choice(["home", "home", "sit-down", "courtyard"]),
                        met="head",
                        received_at=at.isoformat(),
                        township_id=township.pk,
                        village_id=village_id,
                        grid_id=grid_id,
                    )
                    count += 1
            w.flush(["grids_visit"])
        household_ids = list(rows.values_list("pk", flat=True))
        for start in range(0, len(household_ids), 5000):
            households_refresh_visit_due(household_ids[start : start + 5000])
        if stdout:
            stdout.write(f"visits {township.code}: {count:,} everyday visits ({time.monotonic() - started:.0f} s)")
    ids.reset_sequences()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE grids_visit")
        cursor.execute("ANALYZE grids_household")
    return count


class _Activity:
    def __init__(self, seed: int):
        from grids.visits.fengshi import cycles_between

        # bandit: benchmark data, not security.
        self.rng = random.Random(seed * 7 + 1)  # nosec B311
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.cycles = cycles_between(self.today - datetime.timedelta(days=365), self.today - datetime.timedelta(days=1))
        self.tz = timezone.get_current_timezone()
        self.ids = _NextIds()
        self.counts = dict.fromkeys(("matters", "events", "visits", "accounts", "entries"), 0)

    def township(self, w: Writer, township: Township) -> None:
        from governance.services import department_create

        departments = [department_create(township=township, name=name).pk for name in DEPARTMENTS]
        workers = dict(
            Assignment.objects.filter(township=township, role="grid_worker").values_list("grid_id", "user_id")
        )
        cadres = dict(
            Assignment.objects.filter(township=township, role="village_cadre").values_list("village_id", "user_id")
        )
        official = Assignment.objects.filter(township=township, role="township_official").values_list(
            "user_id", flat=True
        )[0]
        staff = {"workers": workers, "cadres": cadres, "official": official, "departments": departments}
        households = {}
        for grid_id, village_id, household_id in Household.objects.filter(township=township).values_list(
            "grid_id", "village_id", "pk"
        ):
            households.setdefault((grid_id, village_id), []).append(household_id)
        for (grid_id, village_id), members in sorted(households.items()):
            place = {"township_id": township.pk, "village_id": village_id, "grid_id": grid_id}
            for _n in range(round(len(members) * MATTERS_PER_HOUSEHOLD)):
                self.matter(w, place, self.rng.choice(members), staff)
            for cycle in self.cycles:
                self.visits(w, place, cycle, members, workers[grid_id])
        villages = sorted({village_id for _grid, village_id in households})[:POINTS_VILLAGES]
        for village_id in villages:
            self.passbooks(w, township.pk, village_id, cadres[village_id], workers)
        w.flush(ACTIVITY_ORDER)

    def _at(self, days_ago: float) -> datetime.datetime:
        return self.now - datetime.timedelta(days=days_ago)

    def matter(self, w: Writer, place: dict, household_id: int, staff: dict) -> None:
        from petitions.models import Matter

        rng = self.rng
        age = rng.uniform(0, 365)
        fates = FATES_OLD if age > 45 else FATES_NEW
        state = rng.choices([f for f, _w in fates], [wt for _f, wt in fates])[0]
        kind = "" if state == "submitted" else rng.choice(KINDS)
        created = self._at(age)
        matter_id = self.ids.next(Matter)
        values = {
            "id": matter_id,
            **place,
            "household_id": household_id,
            "title": f"{ACTIVITY_PREFIX}{matter_id}",
            "description": "村民反映的事项",
            "kind": kind,
            "state": state,
            "source": rng.choice(["visit", "visit", "walk_in", "public_form"]),
            "submitter_name": "村民",
            "tracking_code": f"scale{matter_id:010d}",
            "created_at": created.isoformat(),
        }
        times = self._timeline(created, REACHED[state])
        values.update(self._handling(kind, state, place, times, staff))
        if state == "evaluating":  # the resident has not answered yet; the sweep closes it after the window
            window = settings.MATTER_EVALUATION_DAYS
            values["evaluation_opened_at"] = self._at(min(age, rng.uniform(0, window - 1))).isoformat()
        if state == "closed":
            values.update(closed_at=times["evaluate"].isoformat(), rating=rng.choice(RATINGS))
        elif state in ("rejected", "withdrawn"):
            values["closed_at"] = times[REACHED[state][-1]].isoformat()
        w.add(Matter, **values)
        self.counts["matters"] += 1
        self.events(w, matter_id, kind, times, values, staff)

    def _timeline(self, created, actions: list[str]) -> dict:
        """When each action happened: a day to classify, two to assign, a report 3 to 20 days
        later (on time if within the 15-day limit), never later than now."""
        steps = {"submit": 0, "classify": 1, "deliberate": 2, "handle": 2, "reject": 1, "withdraw": 1}
        steps.update(report=self.rng.uniform(5, 22), verify=1, evaluate=self.rng.uniform(1, 6))
        times, at = {}, created
        for action in actions:
            at = min(at + datetime.timedelta(days=steps[action]), self.now - datetime.timedelta(minutes=len(times)))
            times[action] = max(at, created)
        return times

    def _handling(self, kind: str, state: str, place: dict, times: dict, staff: dict) -> dict:
        if "classify" not in times:
            return {}
        start = times["classify"]
        deadline = start + datetime.timedelta(days=15)
        values = {
            "clock_started_at": start.isoformat(),
            "deadline": deadline.isoformat(),
            "time_limit_days": 10,
            "warn_at": (start + datetime.timedelta(days=12)).isoformat(),
        }
        open_and_late = state in ("classified", "deliberating", "handling") and deadline <= self.now
        if start + datetime.timedelta(days=12) <= self.now and state in ("classified", "deliberating", "handling"):
            values["warned_at"] = values["warn_at"]
        if open_and_late:
            # Flags as the sweep leaves them (petitions.deadlines): one level per grace period.
            grace = datetime.timedelta(hours=settings.MATTER_ESCALATION_GRACE_HOURS)
            level = min(2, int((self.now - deadline) / grace))
            values.update(is_overdue=True, overdue_at=deadline.isoformat(), escalation_level=level)
        if "report" in times:
            values["first_reported_at"] = times["report"].isoformat()
        if "handle" in times:
            if kind == "government":
                values["department_id"] = self.rng.choice(staff["departments"])
                values["sign_by"] = (times["handle"] + datetime.timedelta(days=1)).isoformat()
                if self.rng.random() < 0.9 or state != "handling":
                    signed = times["handle"] + datetime.timedelta(hours=self.rng.uniform(1, 40))
                    values["signed_at"] = min(signed, self.now).isoformat()
                elif times["handle"] + datetime.timedelta(days=1) <= self.now:
                    values["sign_overdue_at"] = values["sign_by"]
            elif kind == "village":
                values["handler_id"] = staff["cadres"][place["village_id"]]
            else:
                values["handler_id"] = staff["workers"][place["grid_id"]]
        return values

    def events(self, w: Writer, matter_id: int, kind: str, times: dict, values: dict, staff: dict) -> None:
        previous = ""
        for action, at in times.items():
            payload = {"department": values["department_id"]} if action == "handle" and kind == "government" else {}
            self._event(w, matter_id, action, previous, TO_STATE[action], at, payload, staff["official"])
            previous = TO_STATE[action]
        if values.get("is_overdue") or self.rng.random() < 0.02:
            self._event(w, matter_id, "supervise", previous, previous, self.now, {"note": "督办"}, staff["official"])
        if kind == "government" and "report" in times and self.rng.random() < 0.05:
            at = times["handle"] + datetime.timedelta(hours=2)
            payload = {"department": values["department_id"], "reason": "不属本部门"}
            self._event(w, matter_id, "send_back", "handling", "deliberating", at, payload, None)

    def _event(self, w, matter_id, action, from_state, to_state, at, payload, actor_id) -> None:
        from petitions.models import MatterEvent

        w.add(
            MatterEvent,
            id=self.ids.next(MatterEvent),
            matter_id=matter_id,
            actor_id=actor_id,
            actor_label="" if actor_id else "system",
            action=action,
            from_state=from_state,
            to_state=to_state,
            payload=json.dumps(payload, ensure_ascii=False),
            created_at=at.isoformat(),
        )
        self.counts["events"] += 1

    def visits(self, w: Writer, place: dict, cycle: datetime.date, members: list[int], author_id: int) -> None:
        from grids.visits.models import Visit

        rng = self.rng
        if rng.random() >= GRIDS_VISITED:
            return
        for household_id in rng.sample(members, min(len(members), rng.randint(*VISITS_PER_GRID_DAY))):
            at = datetime.datetime.combine(cycle, datetime.time(9), tzinfo=self.tz) + datetime.timedelta(
                minutes=rng.randrange(480)
            )
            w.add(
                Visit,
                id=self.ids.next(Visit),
                author_id=author_id,
                client_uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                fingerprint="scale",
                household_id=household_id,
                visited_at=at.isoformat(),
                visited_on=cycle.isoformat(),
                method=rng.choice(["home", "sit-down"]),
                met="head",
                received_at=at.isoformat(),
                **place,
            )
            self.counts["visits"] += 1

    def passbooks(self, w: Writer, township_id: int, village_id: int, cadre_id: int, workers: dict) -> None:
        """Every household of the village opens with 100 points; a third earn an approved
        award or two over the year; a few proposals wait for the cadre."""
        from points.models import Account, Award, Entry, Rule

        rules = [
            Rule.objects.create(village_id=village_id, category=category, name=name, points=points)
            for category, name, points in (("civility", "按时参加村民会议", 1), ("public_good", "志愿服务", 5))
        ]
        proposer = next(user for grid, user in sorted(workers.items()))
        for household_id in Household.objects.filter(village_id=village_id).order_by("pk").values_list("pk", flat=True):
            account_id = self.ids.next(Account)
            balance = 100
            entries = [("opening", 100, None, self._at(365))]
            for _n in range(self.rng.choice([0, 0, 1, 2])):
                rule = self.rng.choice(rules)
                entries.append(("earn", rule.points, rule, self._at(self.rng.uniform(0, 360))))
            entries.sort(key=lambda e: e[3])
            for kind, points, rule, at in entries:
                balance += points if kind != "opening" else 0
                award_id = None
                if rule is not None:
                    award_id = self.ids.next(Award)
                    w.add(
                        Award,
                        id=award_id,
                        account_id=account_id,
                        village_id=village_id,
                        rule_id=rule.pk,
                        points=points,
                        occurred_on=timezone.localdate(at).isoformat(),
                        status="approved",
                        proposed_by_id=proposer,
                        proposed_at=at.isoformat(),
                        objection_until=at.isoformat(),
                        decided_by_id=cadre_id,
                        decided_at=at.isoformat(),
                    )
                w.add(
                    Entry,
                    id=self.ids.next(Entry),
                    account_id=account_id,
                    village_id=village_id,
                    kind=kind,
                    points=points,
                    balance_after=balance,
                    occurred_on=timezone.localdate(at).isoformat(),
                    rule_id=rule.pk if rule else None,
                    award_id=award_id,
                    created_at=at.isoformat(),
                )
                self.counts["entries"] += 1
            w.add(
                Account,
                id=account_id,
                household_id=household_id,
                township_id=township_id,
                village_id=village_id,
                balance=balance,
            )
            self.counts["accounts"] += 1

    def finish(self) -> None:
        self.ids.reset_sequences()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for table in ACTIVITY_ORDER:
                    cursor.execute(f"ANALYZE {table}")


ACTIVITY_ORDER = [
    "petitions_matter",
    "petitions_matterevent",
    "grids_visit",
    "points_account",
    "points_award",
    "points_entry",
]


class _NextIds(_IdAllocator):
    def __init__(self):
        from grids.visits.models import Visit
        from petitions.models import Matter, MatterEvent
        from points.models import Account, Award, Entry

        self.models = {m._meta.db_table: m for m in (Matter, MatterEvent, Visit, Account, Award, Entry)}
        self.last = {
            t: m.objects.order_by("-pk").values_list("pk", flat=True).first() or 0 for t, m in self.models.items()
        }

    def next(self, model) -> int:
        return super().next(model._meta.db_table)
