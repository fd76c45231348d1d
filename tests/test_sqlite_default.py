"""The embedded default database (`make run` without DATABASE_URL: SQLite) takes two people
saving at once: the second waits for the first instead of failing with "database is locked"
(a 500). Run in a child process, since the suite itself runs on DATABASE_URL."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RACE = textwrap.dedent(
    """
    import os, threading, time
    import django
    django.setup()
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE tally (n integer)")
    connection.close()
    errors = []

    def save(i):
        try:
            with transaction.atomic():  # read, think, then write: the pattern of every service
                with connection.cursor() as cursor:
                    cursor.execute("SELECT count(*) FROM tally")
                    time.sleep(0.05)
                    cursor.execute("INSERT INTO tally VALUES (%s)", [i])
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tally")
        print("saved", cursor.fetchone()[0], "errors", errors)
    """
)


def test_two_people_saving_at_once_on_the_embedded_default_both_save(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "governance.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",
        "HOME": str(tmp_path),
    }
    done = subprocess.run([sys.executable, "-c", RACE], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "saved 8 errors []"
