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
import random
import time

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from grids.demo import GIVEN_FEMALE, GIVEN_MALE, SURNAMES
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
    """Append rows per table, then flush them with COPY (PostgreSQL) or INSERT (others)."""

    def __init__(self, cursor):
        self.cursor = cursor
        self.tables: dict[str, tuple[list[str], list[tuple]]] = {}

    def add(self, table: str, columns: list[str], row: tuple) -> None:
        self.tables.setdefault(table, (columns, []))[1].append(row)

    def flush(self, order: list[str]) -> None:
        for table in order:
            if table not in self.tables:
                continue
            columns, rows = self.tables.pop(table)
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
                # Table and columns are this command's own constants; the values are parameters.
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
        # bandit: benchmark data, not security.
        rng = random.Random(seed)  # nosec B311
        now = timezone.now().isoformat()
        password = make_password(SCALE_PASSWORD)
        tags = list(Tag.objects.values_list("pk", flat=True))
        if not tags:
            from grids.demo import TAGS

            for code, name, key in TAGS:
                Tag.objects.create(code=code, name=name, is_key_group=key)
            tags = list(Tag.objects.values_list("pk", flat=True))
        ids = _IdAllocator()
        person_index = 0
        total_households = total_residents = 0
        for t in range(1, townships + 1):
            with transaction.atomic(), connection.cursor() as cursor:
                w = Writer(cursor)
                township_id = ids.next("grids_township")
                tcode = f"{CODE_PREFIX}{t:03d}"
                w.add(
                    "grids_township",
                    ["id", "name", "code", "district"],
                    (township_id, f"规模镇{t:03d}", tcode, "合川区"),
                )
                users = []
                users.append((f"s{t:03d}_official", "township_official", township_id, None, None))
                users.append((f"s{t:03d}_leader", "township_leader", township_id, None, None))
                for v in range(1, villages_per + 1):
                    village_id = ids.next("grids_village")
                    w.add(
                        "grids_village",
                        ["id", "township_id", "name", "code", "is_community"],
                        (village_id, township_id, f"规模镇{t:03d}第{v}村", f"{tcode}{v:03d}", False),
                    )
                    users.append((f"s{t:03d}_{v:03d}_cadre", "village_cadre", township_id, village_id, None))
                    for g in range(1, grids_per + 1):
                        grid_id = ids.next("grids_grid")
                        w.add(
                            "grids_grid",
                            ["id", "township_id", "village_id", "number", "name"],
                            (grid_id, township_id, village_id, g, f"第{g}网格"),
                        )
                        users.append(
                            (f"s{t:03d}_{v:03d}_{g:02d}_grid", "grid_worker", township_id, village_id, grid_id)
                        )
                        for h in range(1, households_per + 1):
                            household_id = ids.next("grids_household")
                            surname = rng.choice(SURNAMES)
                            members = rng.choice(HOUSEHOLD_SIZES)
                            head_name = ""
                            head_phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
                            for m in range(members):
                                person_index += 1
                                gender = (
                                    "male"
                                    if (m == 0 and rng.random() < 0.8) or (m > 0 and rng.random() < 0.5)
                                    else "female"
                                )
                                pool = GIVEN_MALE if gender == "male" else GIVEN_FEMALE
                                name = surname + rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.6 else "")
                                if m == 0:
                                    head_name = name
                                relation = "head" if m == 0 else ("spouse" if m == 1 else "child")
                                birth, number = _id_for(person_index, gender)
                                pinyin, initials = _pinyin(name)
                                resident_id = ids.next("grids_resident")
                                w.add(
                                    "grids_resident",
                                    RESIDENT_COLUMNS,
                                    (
                                        resident_id,
                                        township_id,
                                        village_id,
                                        grid_id,
                                        household_id,
                                        name,
                                        pinyin,
                                        initials,
                                        relation,
                                        gender,
                                        birth,
                                        encrypt_id_number(number),
                                        hash_id_number(number),
                                        mask_id_number(number),
                                        head_phone if m == 0 else "",
                                        "汉族",
                                        "resident",
                                        "",
                                        now,
                                        now,
                                    ),
                                )
                                if rng.random() < 0.04:
                                    w.add(
                                        "grids_resident_tags",
                                        ["resident_id", "tag_id"],
                                        (resident_id, rng.choice(tags)),
                                    )
                                total_residents += 1
                            pinyin, initials = _pinyin(head_name)
                            w.add(
                                "grids_household",
                                HOUSEHOLD_COLUMNS,
                                (
                                    household_id,
                                    township_id,
                                    village_id,
                                    grid_id,
                                    None,
                                    f"{g:02d}-{h:04d}",
                                    f"第{v}村{g}组{h}号",
                                    head_phone,
                                    head_name,
                                    pinyin,
                                    initials,
                                    "",
                                    now,
                                    now,
                                ),
                            )
                            if rng.random() < 0.08:
                                w.add(
                                    "grids_household_tags", ["household_id", "tag_id"], (household_id, rng.choice(tags))
                                )
                            total_households += 1
                for username, role, township_id_, village_id, grid_id in users:
                    user_id = ids.next("auth_user")
                    w.add(
                        "auth_user",
                        [
                            "id",
                            "password",
                            "is_superuser",
                            "username",
                            "first_name",
                            "last_name",
                            "email",
                            "is_staff",
                            "is_active",
                            "date_joined",
                        ],
                        (user_id, password, False, username, username, "", "", False, True, now),
                    )
                    w.add(
                        "governance_assignment",
                        [
                            "id",
                            "user_id",
                            "role",
                            "township_id",
                            "village_id",
                            "grid_id",
                            "courtyard_id",
                            "department_id",
                            "title",
                            "valid_from",
                            "valid_to",
                            "created_at",
                        ],
                        (
                            ids.next("governance_assignment"),
                            user_id,
                            role,
                            township_id_,
                            village_id,
                            grid_id,
                            None,
                            None,
                            "",
                            "2026-01-01",
                            None,
                            now,
                        ),
                    )
                w.flush(TABLE_ORDER)
            elapsed = time.monotonic() - started
            self.stdout.write(
                f"township {t}/{townships}: {total_households} households, {total_residents} residents "
                f"({elapsed:.0f} s)"
            )
        ids.reset_sequences()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for table in TABLE_ORDER:
                    cursor.execute(f"ANALYZE {table}")
        self.stdout.write(
            self.style.SUCCESS(
                f"done: {total_households} households, {total_residents} residents "
                f"in {time.monotonic() - started:.0f} s; accounts s001_official, s001_001_cadre, "
                f"s001_001_01_grid (password {SCALE_PASSWORD})"
            )
        )


RESIDENT_COLUMNS = [
    "id",
    "township_id",
    "village_id",
    "grid_id",
    "household_id",
    "name",
    "name_pinyin",
    "name_initials",
    "relation_to_head",
    "gender",
    "birth_date",
    "id_number_encrypted",
    "id_number_hash",
    "id_number_masked",
    "phone",
    "ethnicity",
    "status",
    "notes",
    "created_at",
    "updated_at",
]
HOUSEHOLD_COLUMNS = [
    "id",
    "township_id",
    "village_id",
    "grid_id",
    "courtyard_id",
    "number",
    "address",
    "phone",
    "head_name",
    "head_name_pinyin",
    "head_name_initials",
    "notes",
    "created_at",
    "updated_at",
]
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
        from django.contrib.auth import get_user_model

        from governance.models import Assignment

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
