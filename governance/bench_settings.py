"""Settings of the web processes `manage.py bench_http` starts: the app's own settings, with
the bare floors routed beside it (governance.bench_urls). Nothing else differs, so what is
measured is the app as deployed."""

from governance.settings import *  # noqa: F403

ROOT_URLCONF = "governance.bench_urls"
