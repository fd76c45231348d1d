"""One lock by name for the length of a transaction: what two requests or workers must not do
at the same time (count, then write), where no row of its own can be locked."""

from django.db import connection


def serialise(name: str) -> None:
    """Hold `name` until the transaction ends (PostgreSQL's transaction-level advisory lock).
    The embedded SQLite of `make run` lets one writer in at a time already: nothing to take."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])
