"""The seeded demo (seed_demo) for the tests that ask for it, seeded once per test process.

Seeding the demo costs 10 to 30 seconds, and some seventy tests (the scope matrix, schemathesis,
the homes and dashboards, the browser journeys) start from it. On PostgreSQL the first
`load_demo()` of a process seeds it inside a transaction, copies every table that then holds rows
(`COPY ... TO STDOUT`; the content types and permissions too, whose ids a flush by a browser test
renumbers) and the files it wrote, and rolls back; every call then loads those rows
into the caller's transaction (`COPY ... FROM STDIN`), which takes a fraction of a second and
leaves the database exactly as seeding would. Elsewhere (SQLite) it seeds as before.

A copy is kept for fifteen minutes and never past midnight (Asia/Shanghai): the demo's dates follow
from the day it is seeded on (逢十 days, deadlines, a season of visits), so a test sees a demo
seeded within minutes of it, as when each test seeded its own.
"""

import io
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

MAX_AGE_SECONDS = 900


@dataclass
class _Snapshot:
    day: object
    taken: float
    tables: list[tuple[str, str]]  # (table, its rows as COPY text), every table that holds rows
    sequences: dict[str, str]  # table -> the sequence of its id
    files: dict[str, bytes]  # path under MEDIA_ROOT -> content


_snapshot: _Snapshot | None = None
_restored = False


def _seed():
    call_command("seed_demo", force=True, stdout=io.StringIO())


def _copy_out(cursor, table: str) -> str:
    out = io.StringIO()
    cursor.copy_expert(f'COPY "{table}" TO STDOUT', out)
    return out.getvalue()


def _pristine(cursor) -> bool:
    """Whether the database holds nothing but what the migrations wrote (no place yet)."""
    cursor.execute('SELECT EXISTS (SELECT 1 FROM "grids_township")')
    return not cursor.fetchone()[0]


def _take() -> _Snapshot | None:
    """Seed inside a transaction, copy every table that then holds rows, roll back. None when
    the database already holds a test's own rows (a copy taken then would carry them along)."""
    media = Path(tempfile.mkdtemp(prefix="cunzhi-demo-media-"))
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                if not _pristine(cursor):
                    return None
            with override_settings(MEDIA_ROOT=media):
                _seed()
            with connection.cursor() as cursor:
                tables = connection.introspection.table_names(cursor)
                held = [(t, rows) for t in tables if (rows := _copy_out(cursor, t))]
                cursor.execute(
                    "SELECT table_name, pg_get_serial_sequence(quote_ident(table_name), 'id') "
                    "FROM information_schema.columns WHERE table_schema = current_schema() "
                    "AND column_name = 'id' AND table_name = ANY(%s)",
                    [[table for table, _rows in held]],
                )
                sequences = {table: sequence for table, sequence in cursor.fetchall() if sequence}
            transaction.set_rollback(True)
        files = {str(p.relative_to(media)): p.read_bytes() for p in media.rglob("*") if p.is_file()}
    finally:
        shutil.rmtree(media, ignore_errors=True)
    return _Snapshot(day=timezone.localdate(), taken=time.monotonic(), tables=held, sequences=sequences, files=files)


def _fresh(snapshot: _Snapshot | None) -> bool:
    return (
        snapshot is not None
        and snapshot.day == timezone.localdate()
        and time.monotonic() - snapshot.taken < MAX_AGE_SECONDS
    )


def _restore(snapshot: _Snapshot) -> None:
    """The seeded rows, in one transaction (the foreign keys are checked at its end), with each
    table's id sequence past its rows, and the seeded files under the current MEDIA_ROOT. The
    content types cached in this process are forgotten: their ids may be the snapshot's now."""
    global _restored
    _restored = True
    with transaction.atomic(), connection.cursor() as cursor:
        for table, _rows in snapshot.tables:
            cursor.execute(f'DELETE FROM "{table}"')
        for table, rows in snapshot.tables:
            cursor.copy_expert(f'COPY "{table}" FROM STDIN', io.StringIO(rows))
        for table, sequence in snapshot.sequences.items():
            cursor.execute(
                f'SELECT setval(%s, GREATEST((SELECT COALESCE(MAX(id), 1) FROM "{table}"), '
                f"(SELECT last_value FROM {sequence})))",
                [sequence],
            )
    ContentType.objects.clear_cache()
    from django.conf import settings

    root = Path(settings.MEDIA_ROOT)
    for name, content in snapshot.files.items():
        path = root / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)


def after_test() -> None:
    """After a test that loaded the demo: forget the content types cached during it (its
    transaction is rolled back or its tables flushed, and their ids with it)."""
    global _restored
    if _restored:
        ContentType.objects.clear_cache()
        _restored = False


def load_demo() -> None:
    """The database as `manage.py seed_demo` leaves it, for the calling test."""
    global _snapshot
    if connection.vendor != "postgresql":
        _seed()
        return
    with connection.cursor() as cursor:
        if not _pristine(cursor):  # the test's own rows first: seeding adds to them
            _seed()
            return
    if not _fresh(_snapshot):
        _snapshot = _take()
        if _snapshot is None:
            _seed()
            return
    _restore(_snapshot)
