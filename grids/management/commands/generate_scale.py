"""A district-sized data set for benchmarks: townships, villages, grids, households, residents, staff.

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

    def handle(self, *args, townships, villages_per, grids_per, households_per, seed, **options):
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
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for table in TABLE_ORDER:
                    cursor.execute(f"ANALYZE {table}")
        self.stdout.write(
            self.style.SUCCESS(
                f"done: {build.households} households, {build.residents} residents "
                f"in {time.monotonic() - started:.0f} s; accounts s001_official, s001_001_cadre, "
                f"s001_001_01_grid (password {SCALE_PASSWORD})"
            )
        )


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
