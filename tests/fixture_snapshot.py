"""A fixture's rows built once per test process and copied into each test that asks for them.

`world` (tests/conftest.py) is asked for by some 2,400 tests, and building it through the
services (two townships, thirteen accounts and their posts, five households of residents) costs
a few hundred queries each time. On PostgreSQL, inside a test's transaction (the `db` fixture),
`snapshotted(name, build)` builds the fixture once in a savepoint, keeps the rows the build
wrote (`COPY ... TO STDOUT`: those whose xmin is a transaction id handed out after it began)
and the objects it returned, and rolls back; every later call
with the database as it was before that build copies the same rows in (`COPY ... FROM STDIN`)
and returns a deep copy of the same objects, so the test sees exactly what the build would
have left: the same rows, ids and objects.

The copy is used only when the database looks as it did before the build (the same number of
rows and the same highest id in every table), when its day and the clock agree (the build
writes today's date into posts, and timestamps: a copy is kept for fifteen minutes and never
past midnight, Asia/Shanghai, nor across a clock moved back), and never in a transactional
test (live server, browser), where the build's on-commit callbacks would run. Otherwise the
fixture is built as before. Elsewhere (SQLite) it is always built.
"""

import copy
import datetime
import io
import itertools
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from tests import factories

MAX_AGE = datetime.timedelta(minutes=15)


@dataclass
class _Snapshot:
    before: tuple  # the database's fingerprint before the build
    day: datetime.date
    taken: datetime.datetime
    rows: list[tuple[str, str]]  # (table, the rows the build added, as COPY text)
    sequences: dict[str, str]  # table -> the sequence of its id
    value: object  # what the build returned
    counter: int  # tests.factories' counter after the build


# (name, the fingerprint before, the day) -> its copy
_snapshots: dict[tuple[str, tuple, datetime.date], _Snapshot] = {}
_tables: list[tuple[str, bool]] | None = None  # (table, whether it has an id column)


def _table_list(cursor) -> list[tuple[str, bool]]:
    global _tables
    if _tables is None:
        names = connection.introspection.table_names(cursor)
        cursor.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND column_name = 'id'"
        )
        with_id = {row[0] for row in cursor.fetchall()}
        _tables = [(name, name in with_id) for name in names]
    return _tables


def _fingerprint(cursor) -> tuple:
    """Every table's row count and highest id, in one query."""
    parts = [
        f'SELECT {i}, count(*), {"max(id)" if has_id else "NULL::bigint"} FROM "{table}"'
        for i, (table, has_id) in enumerate(_table_list(cursor))
    ]
    cursor.execute(" UNION ALL ".join(f"({part})" for part in parts) + " ORDER BY 1")
    return tuple(row[1:] for row in cursor.fetchall())


# The fingerprint of the committed database, while no transactional test has changed it since.
_committed: tuple | None = None


def committed_changed() -> None:
    """A transactional test (live server, browser) committed rows or flushed the tables."""
    global _committed
    _committed = None


def _before(cursor) -> tuple:
    """The fingerprint now. While the test's transaction has written nothing yet (no transaction
    id assigned: not even in a savepoint rolled back), that is the committed database's, read
    once until a transactional test changes it: most tests ask for `world` first."""
    global _committed
    cursor.execute("SELECT txid_current_if_assigned() IS NULL")
    if not cursor.fetchone()[0]:
        return _fingerprint(cursor)
    if _committed is None:
        _committed = _fingerprint(cursor)
    return _committed


def _next_xid(cursor) -> int:
    """A transaction id above every one that wrote a row so far. The snapshot's xmax alone is
    not: it leaves out this transaction's own savepoints still open (the test's, in which the
    `world` was copied in), so their rows would count as the build's and no copy would be kept."""
    written = " UNION ALL ".join(f'(SELECT max(xmin::text::bigint) FROM "{table}")' for table, _ in _table_list(cursor))
    cursor.execute(
        f"SELECT greatest(txid_snapshot_xmax(txid_current_snapshot()) % 4294967296, "
        f"(SELECT max(m) + 1 FROM ({written}) AS w(m)))"
    )
    return int(cursor.fetchone()[0])


def _copy_out(cursor, query: str) -> str:
    out = io.StringIO()
    cursor.copy_expert(f"COPY ({query}) TO STDOUT", out)
    return out.getvalue()


def _take(build, before: tuple) -> _Snapshot | None:
    """Build in a savepoint, keep the rows it wrote and what it returned, roll back. The rows
    written are those whose xmin is a transaction id handed out after the build began (the
    savepoint's and its own savepoints'). None when the build changed or removed a row that was
    there before (a copy of what it wrote would not reproduce that)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            mark = _next_xid(cursor)
        value = build()
        counter = next(factories._counter)
        with connection.cursor() as cursor:
            tables = _table_list(cursor)
            after = _fingerprint(cursor)
            written = f"xmin::text::bigint >= {mark}"
            cursor.execute(
                " UNION ALL ".join(
                    f'(SELECT {i}, count(*) FROM "{table}" WHERE {written})' for i, (table, _) in enumerate(tables)
                )
                + " ORDER BY 1"
            )
            counts = [row[1] for row in cursor.fetchall()]
            added = []
            for (table, _has_id), (was, _), (now, _), new in zip(tables, before, after, counts, strict=True):
                if now != was + new:  # a row that was there changed or went
                    transaction.set_rollback(True)
                    return None
                if new:
                    added.append((table, _copy_out(cursor, f'SELECT * FROM "{table}" WHERE {written}')))
            cursor.execute(
                "SELECT table_name, pg_get_serial_sequence(quote_ident(table_name), 'id') "
                "FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND column_name = 'id' AND table_name = ANY(%s)",
                [[table for table, _rows in added]],
            )
            sequences = {table: sequence for table, sequence in cursor.fetchall() if sequence}
        transaction.set_rollback(True)
    return _Snapshot(
        before=before,
        day=timezone.localdate(),
        taken=timezone.now(),
        rows=added,
        sequences=sequences,
        value=value,
        counter=counter,
    )


def _fresh(snapshot: _Snapshot | None) -> bool:
    now = timezone.now()
    return (
        snapshot is not None
        and snapshot.day == timezone.localdate()
        and snapshot.taken <= now < snapshot.taken + MAX_AGE
    )


def _restore(snapshot: _Snapshot):
    """The build's rows (foreign keys are checked at the test's end, as for any row), each id sequence past
    them, the factories' counter past the build's, and a fresh copy of the build's objects."""
    with transaction.atomic(), connection.cursor() as cursor:
        for table, rows in snapshot.rows:
            cursor.copy_expert(f'COPY "{table}" FROM STDIN', io.StringIO(rows))
        for table, sequence in snapshot.sequences.items():
            cursor.execute(
                f'SELECT setval(%s, GREATEST((SELECT COALESCE(MAX(id), 1) FROM "{table}"), '
                f"(SELECT last_value FROM {sequence})))",
                [sequence],
            )
    current = next(factories._counter)
    factories._counter = itertools.count(max(current, snapshot.counter))
    return copy.deepcopy(snapshot.value)


def snapshotted(name: str, build):
    """What `build()` returns, with the rows it writes: built, or copied in from the first
    build of this process (see the module's docstring)."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return build()
    with connection.cursor() as cursor:
        before = _before(cursor)
    key = (name, before, timezone.localdate())
    snapshot = _snapshots.get(key)
    if not _fresh(snapshot):
        snapshot = _take(build, before)
        if snapshot is None:
            _snapshots.pop(key, None)
            return build()
        if len(_snapshots) > 50:  # the content types renumbered by many flushes, say
            _snapshots.clear()
        _snapshots[key] = snapshot
    return _restore(snapshot)
