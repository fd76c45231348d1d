"""Cunzhi settings: everything that varies between machines comes from the environment.

The helpers below are strict on purpose: a malformed value stops the process at start,
instead of surfacing later as a confusing runtime error.
"""

import json
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"Environment variable {name} is required.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}.") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_json(name: str, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return json.loads(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be JSON, got {value!r}.") from exc


DEBUG = env_bool("DEBUG", True)

# Development defaults only; production (DEBUG off) must set every key explicitly.
# bandit: development default only.
_DEV_SECRET = "dev-only-secret-key-change-me-in-production-0123456789"  # nosec B105
_DEV_ID_ENCRYPTION_KEY = "sa8cPTpFyOxlL5RfdBnvaW-a-cAyq4167l1ed-P_i4o="
_DEV_ID_HASH_KEY = "dev-only-id-hash-key-change-me"

SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else None)
# ID numbers (身份证号) are encrypted with their own key(s), never derived from SECRET_KEY.
# ID_ENCRYPTION_KEYS is a comma-separated list of Fernet keys, newest first: new values are
# encrypted with the first, old ones still decrypt with the rest (see `rotate_id_keys`).
ID_ENCRYPTION_KEYS = env_list("ID_ENCRYPTION_KEYS", [_DEV_ID_ENCRYPTION_KEY] if DEBUG else [])
if not ID_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("ID_ENCRYPTION_KEYS is required when DEBUG is off.")
# The look-up hash (HMAC-SHA256) key: changing it invalidates every stored hash.
ID_HASH_KEY = env_str("ID_HASH_KEY", _DEV_ID_HASH_KEY if DEBUG else None)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    "captcha",
    "csp",
    "auditlog",
    "governance",
    "grids",
    "grids.visits",
    "grids.campaigns",
    "petitions",
    "points",
    "governance.civic",
    "governance.messaging",
]

MIDDLEWARE = [
    # Pages go out compressed (a phone on a weak signal: a visit page is a fifth of its size).
    # Django's GZipMiddleware pads each response at random against BREACH, and CSRF tokens are
    # masked per response; static files are compressed ahead by whitenoise. nginx in front
    # (deploy/nginx/cunzhi.conf) leaves what is already compressed alone: this is the one gzip.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every change on record names who made it (governance.history).
    "governance.history.HistoryActorMiddleware",
    # A signed-in user's pages, the public ones included, are kept by no shared cache.
    "governance.security.SignedInPagesArePrivate",
    # A password an administrator issued is changed before anything else (governance.passwords).
    "governance.passwords.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "governance.urls"
WSGI_APPLICATION = "governance.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "governance.context_processors.navigation",
            ],
        },
    },
]

# The embedded default is a SQLite file beside manage.py; DATABASE_URL points elsewhere.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: the dashboards' grouped counts cost more than jit_above_cost at district scale,
    # and compiling them took 15 to 100 ms a query, more than running them.
    # Joins in the order the ORM writes them (the table filtered by scope first, then what a
    # row shows): a list of matters joins eight tables, and searching their orders cost
    # PostgreSQL 17-30 ms of planning to run a 0.6 ms query (0.9 ms planning with this; the
    # plans were as fast or faster: docs/bench-http.md). 0 leaves PostgreSQL's default (8).
    _join_limit = env_int("DB_JOIN_COLLAPSE_LIMIT", 1)
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off" + (
        f" -c join_collapse_limit={_join_limit}" if _join_limit else ""
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default (`make run`): two people saving at once wait for each other instead
    # of one getting "database is locked" (a 500). Write transactions take the lock when they
    # begin (IMMEDIATE), a writer waits up to 20 s, and readers don't block the writer (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out username before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "governance.passwords.MinimumLengthValidator"},  # its message in our catalogue
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# django-guardian: per-object grants (a department's group on one matter). No anonymous user.
ANONYMOUS_USER_NAME = None

# The client address (governance.login.client_ip): X-Forwarded-For is believed only from these
# proxies (addresses or CIDRs, comma-separated), e.g. "127.0.0.1,10.0.0.0/8" behind nginx.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])

# django-axes locks a (username, address) pair after AXES_FAILURE_LIMIT failures, so no one can
# lock someone else's account from elsewhere; governance.login adds the per-address limit and
# the CAPTCHA for a username failing from many addresses.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "governance.login.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 30)
LOGIN_FAILURE_WINDOW_MINUTES = env_int("LOGIN_FAILURE_WINDOW_MINUTES", 10)
LOGIN_CAPTCHA_AFTER_ADDRESSES = env_int("LOGIN_CAPTCHA_AFTER_ADDRESSES", 3)
LOGIN_CAPTCHA_WINDOW_MINUTES = env_int("LOGIN_CAPTCHA_WINDOW_MINUTES", 60)
# django-simple-captcha: drawn here (Pillow), no third-party service.
CAPTCHA_LENGTH = 5
CAPTCHA_TIMEOUT = 10
CAPTCHA_IMAGE_SIZE = (150, 50)
CAPTCHA_FONT_SIZE = 32

# Every change on record (governance.history): masked fields (phones) as the pages show them.
AUDITLOG_MASK_CALLABLE = "governance.history.mask_value"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "cunzhi@localhost")

# Messages by SMS and 企业微信 (governance.messaging; README "Messages: SMS and 企业微信").
# console prints each SMS: nothing leaves the machine until a provider and its keys are set.
CUNZHI_SMS_PROVIDER = env_str("CUNZHI_SMS_PROVIDER", "console")
if CUNZHI_SMS_PROVIDER not in {"console", "aliyun", "tencent"}:
    raise ImproperlyConfigured("CUNZHI_SMS_PROVIDER must be console, aliyun or tencent.")
CUNZHI_SMS_ACCESS_KEY_ID = os.environ.get("CUNZHI_SMS_ACCESS_KEY_ID", "")
CUNZHI_SMS_ACCESS_KEY_SECRET = os.environ.get("CUNZHI_SMS_ACCESS_KEY_SECRET", "")
CUNZHI_SMS_SIGN_NAME = os.environ.get("CUNZHI_SMS_SIGN_NAME", "")
CUNZHI_SMS_SDK_APP_ID = os.environ.get("CUNZHI_SMS_SDK_APP_ID", "")  # Tencent Cloud's SmsSdkAppId
CUNZHI_SMS_REGION = env_str("CUNZHI_SMS_REGION", "ap-guangzhou")  # Tencent Cloud's region
CUNZHI_SMS_ENDPOINT = os.environ.get("CUNZHI_SMS_ENDPOINT", "")  # e.g. http://127.0.0.1:8999 in tests


# One pre-approved template per kind of message: {"supervision": {"code": "SMS_123", "params": ["title"]}}.
CUNZHI_SMS_TEMPLATES = env_json("CUNZHI_SMS_TEMPLATES", {})
if not isinstance(CUNZHI_SMS_TEMPLATES, dict) or any(
    not isinstance(t, dict) or not t.get("code") or not isinstance(t.get("params", []), list)
    for t in CUNZHI_SMS_TEMPLATES.values()
):
    raise ImproperlyConfigured('CUNZHI_SMS_TEMPLATES maps a kind to {"code": "...", "params": [...]}.')
if CUNZHI_SMS_PROVIDER != "console":
    _missing = [
        name
        for name in ("CUNZHI_SMS_ACCESS_KEY_ID", "CUNZHI_SMS_ACCESS_KEY_SECRET", "CUNZHI_SMS_SIGN_NAME")
        if not globals()[name]
    ]
    if CUNZHI_SMS_PROVIDER == "tencent" and not CUNZHI_SMS_SDK_APP_ID:
        _missing.append("CUNZHI_SMS_SDK_APP_ID")
    if "supervision" not in CUNZHI_SMS_TEMPLATES:
        _missing.append("CUNZHI_SMS_TEMPLATES (supervision)")
    if _missing:
        raise ImproperlyConfigured(f"SMS by {CUNZHI_SMS_PROVIDER} needs " + ", ".join(_missing) + ".")
# The provider's rate (messages a second) that a batch (the 逢十 eve reminders) is spread under,
# how many SMS one number gets in an hour, and the quiet hours (local time) when only urgent
# 督办 go out by SMS.
CUNZHI_SMS_RATE_PER_SECOND = env_int("CUNZHI_SMS_RATE_PER_SECOND", 10)
CUNZHI_SMS_PER_PHONE_PER_HOUR = env_int("CUNZHI_SMS_PER_PHONE_PER_HOUR", 5)
CUNZHI_QUIET_HOURS = env_str("CUNZHI_QUIET_HOURS", "22:00-07:00")
try:
    _quiet_from, _quiet_to = (tuple(int(part) for part in end.split(":")) for end in CUNZHI_QUIET_HOURS.split("-"))
    CUNZHI_QUIET_FROM, CUNZHI_QUIET_TO = (_quiet_from[0], _quiet_from[1]), (_quiet_to[0], _quiet_to[1])
except (ValueError, IndexError) as exc:
    raise ImproperlyConfigured(f"CUNZHI_QUIET_HOURS must read HH:MM-HH:MM, got {CUNZHI_QUIET_HOURS!r}.") from exc
if CUNZHI_SMS_RATE_PER_SECOND < 1 or CUNZHI_SMS_PER_PHONE_PER_HOUR < 1:
    raise ImproperlyConfigured("CUNZHI_SMS_RATE_PER_SECOND and CUNZHI_SMS_PER_PHONE_PER_HOUR must be 1 or more.")
# 企业微信 application messages: off unless the corp id is set.
# The token in the URL the SMS provider calls back with replies (回复TD): /public/sms/inbound/
# <aliyun|tencent>/<token>/. Unset: no callback (a reply of TD is then not heard).
CUNZHI_SMS_INBOUND_TOKEN = os.environ.get("CUNZHI_SMS_INBOUND_TOKEN", "")
if CUNZHI_SMS_INBOUND_TOKEN and len(CUNZHI_SMS_INBOUND_TOKEN) < 24:
    raise ImproperlyConfigured("CUNZHI_SMS_INBOUND_TOKEN must be at least 24 characters (it guards the callback).")
# Where residents reach the public pages, for the links in their SMS (https://cunzhi.example.gov.cn);
# unset, an SMS carries the page's path only.
CUNZHI_PUBLIC_URL = env_str("CUNZHI_PUBLIC_URL", "").rstrip("/")
if CUNZHI_PUBLIC_URL and not CUNZHI_PUBLIC_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("CUNZHI_PUBLIC_URL must start with https:// (or http://).")
# A resident's SMS carries links (the matter's page, the stop page): a bare path is no link.
_resident_templates = any(key.startswith("resident_") for key in CUNZHI_SMS_TEMPLATES)
if CUNZHI_SMS_PROVIDER != "console" and _resident_templates and not CUNZHI_PUBLIC_URL:
    raise ImproperlyConfigured("SMS to residents need CUNZHI_PUBLIC_URL (https://…) for the links they carry.")

CUNZHI_WECOM_CORP_ID = os.environ.get("CUNZHI_WECOM_CORP_ID", "")
CUNZHI_WECOM_SECRET = os.environ.get("CUNZHI_WECOM_SECRET", "")
CUNZHI_WECOM_AGENT_ID = env_int("CUNZHI_WECOM_AGENT_ID", 0)
CUNZHI_WECOM_API_BASE = env_str("CUNZHI_WECOM_API_BASE", "https://qyapi.weixin.qq.com")
if CUNZHI_WECOM_CORP_ID and not (CUNZHI_WECOM_SECRET and CUNZHI_WECOM_AGENT_ID):
    raise ImproperlyConfigured("企业微信 needs CUNZHI_WECOM_SECRET and CUNZHI_WECOM_AGENT_ID beside the corp id.")

# Celery: with REDIS_URL unset, tasks run in-process (the embedded default).
REDIS_URL = os.environ.get("REDIS_URL", "")

# The cache holds login and throttle counters: in Redis, shared by every worker, when REDIS_URL
# is set; a Redis outage falls back to process memory (governance.cache), never to an error.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "governance.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cunzhi",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
# A publish must fail fast when Redis is down: the request carries on, and the periodic
# sweep delivers what stayed unsent.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5, "max_retries": 0}
CELERY_BEAT_SCHEDULE = {
    # The outbox: messages whose task was lost, retries whose backoff is over, held ones due.
    "sweep-deliveries": {
        "task": "governance.messaging.tasks.sweep_deliveries",
        "schedule": 60.0,
    },
    "sweep-overdue-matters": {
        "task": "petitions.tasks.sweep_overdue_matters",
        "schedule": 900.0,
    },
    "prune-idempotency-records": {
        "task": "governance.tasks.prune_idempotency_records",
        "schedule": crontab(hour=3, minute=30),
    },
    # 逢十 reminders: each run sends only what is due that day, at most once per person.
    **{
        f"fengshi-{kind}": {
            "task": "grids.visits.tasks.send_fengshi_reminders",
            "schedule": crontab(hour=hour, minute=minute),
            "kwargs": {"kind": kind},
        }
        for kind, hour, minute in (("eve", 19, 0), ("morning", 7, 30), ("report", 9, 0))
    },
    # The township and district dashboards' tallies (governance.tallies), every five minutes.
    "count-tallies": {
        "task": "governance.tallies.count_tallies_task",
        "schedule": 300.0,
    },
    # Pledges past their due day and not done: flagged once each, the pledger and the cadres told.
    "flag-overdue-pledges": {
        "task": "governance.tasks.flag_overdue_pledges",
        "schedule": crontab(hour=6, minute=30),
    },
    # Background jobs (governance.jobs) the broker never took, or whose worker died.
    "sweep-jobs": {
        "task": "governance.tasks.sweep_jobs",
        "schedule": 60.0,
    },
    "prune-jobs": {
        "task": "governance.tasks.prune_jobs",
        "schedule": crontab(hour=3, minute=45),
    },
    # Last month's report (月报) of every township and village, prepared once each.
    "prepare-monthly-reports": {
        "task": "governance.reports.prepare_monthly_reports",
        "schedule": crontab(hour=6, minute=0, day_of_month=1),
    },
    # Agreed mediations: the 司法确认 window closing and the return visit due, each told once.
    "send-mediation-reminders": {
        "task": "governance.civic.tasks.send_mediation_reminders",
        "schedule": crontab(hour=8, minute=0),
    },
    # Campaigns' answers past their retention deleted (the counts stay), unclaimed photos too.
    "delete-expired-campaign-answers": {
        "task": "grids.campaigns.tasks.delete_expired_answers",
        "schedule": crontab(hour=3, minute=15),
    },
}

# Matters on time (petitions.deadlines).
MATTER_ESCALATION_GRACE_HOURS = env_int("MATTER_ESCALATION_GRACE_HOURS", 48)
MATTER_EVALUATION_DAYS = env_int("MATTER_EVALUATION_DAYS", 15)
# Tallies older than this (beat not running) are counted again by the dashboard that reads them.
TALLY_MAX_AGE = env_int("TALLY_MAX_AGE", 900)
MATTER_REOPEN_LIMIT = env_int("MATTER_REOPEN_LIMIT", 2)
# Extensions by approval (petitions.extensions): how many may be approved per matter, and how
# far one may move the deadline, in calendar days (信访: at most 30 days).
MATTER_EXTENSION_LIMIT = env_int("MATTER_EXTENSION_LIMIT", 1)
MATTER_EXTENSION_MAX_DAYS = env_int("MATTER_EXTENSION_MAX_DAYS", 30)
if MATTER_EXTENSION_LIMIT < 0 or MATTER_EXTENSION_MAX_DAYS < 1:
    raise ImproperlyConfigured("MATTER_EXTENSION_LIMIT must be 0 or more and MATTER_EXTENSION_MAX_DAYS 1 or more.")

# Background jobs (governance.jobs): a job still queued after JOB_REQUEUE_SECONDS is queued
# again by the sweep; a running one without progress for JOB_STALE_SECONDS (its worker died)
# is tried again, up to JOB_MAX_ATTEMPTS in all, then marked failed. The longest silence of a
# healthy job is the import's write of 50 000 rows in one transaction (well under a minute).
JOB_REQUEUE_SECONDS = env_int("JOB_REQUEUE_SECONDS", 120)
JOB_STALE_SECONDS = env_int("JOB_STALE_SECONDS", 900)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 2)
# A user may have at most this many jobs queued or running at once: each export of a township
# holds a worker for minutes, and a reload loop must not keep everyone else's waiting.
JOB_OPEN_PER_USER = env_int("JOB_OPEN_PER_USER", 3)
# Finished jobs and their files (uploaded registers, full exports) are deleted after this many days.
JOB_KEEP_DAYS = env_int("JOB_KEEP_DAYS", 30)
if JOB_REQUEUE_SECONDS < 1 or JOB_STALE_SECONDS < 60 or JOB_MAX_ATTEMPTS < 1 or JOB_KEEP_DAYS < 1:
    raise ImproperlyConfigured(
        "JOB_REQUEUE_SECONDS must be 1 or more, JOB_STALE_SECONDS 60 or more, JOB_MAX_ATTEMPTS and "
        "JOB_KEEP_DAYS 1 or more."
    )

# How long the first answer to an Idempotency-Key request is kept for its retries.
IDEMPOTENCY_KEEP_DAYS = env_int("IDEMPOTENCY_KEEP_DAYS", 30)

# Visits and 逢十 (grids.visits.services, grids.visits.fengshi). A household with no tag target is due
# twice a year; a phone's clock may run this many minutes ahead.
VISIT_DEFAULT_EVERY_DAYS = env_int("VISIT_DEFAULT_EVERY_DAYS", 182)
VISIT_FUTURE_TOLERANCE_MINUTES = env_int("VISIT_FUTURE_TOLERANCE_MINUTES", 10)

# Uploaded spreadsheets (governance.uploads) are bounded before and while they are read: a
# small .xlsx can unpack to gigabytes of XML or millions of blank rows.
UPLOAD_MAX_XLSX_BYTES = env_int("UPLOAD_MAX_XLSX_BYTES", 20 * 1024 * 1024)
UPLOAD_MAX_XLSX_ENTRIES = env_int("UPLOAD_MAX_XLSX_ENTRIES", 200)
UPLOAD_MAX_XLSX_XML_BYTES = env_int("UPLOAD_MAX_XLSX_XML_BYTES", 64 * 1024 * 1024)
# A sheet without a <dimension> is parsed whole by openpyxl to size it: only a small one may lack it.
UPLOAD_MAX_XLSX_UNSIZED_SHEET_BYTES = env_int("UPLOAD_MAX_XLSX_UNSIZED_SHEET_BYTES", 4 * 1024 * 1024)
UPLOAD_XLSX_SECONDS = env_int("UPLOAD_XLSX_SECONDS", 20)
# The household register import (grids.register): rows (blank ones included) and columns of
# the sheet, and ID numbers refused because someone out of the caller's scope holds them.
REGISTER_MAX_ROWS = env_int("REGISTER_MAX_ROWS", 50_000)
REGISTER_MAX_COLUMNS = env_int("REGISTER_MAX_COLUMNS", 40)
REGISTER_ID_REFUSALS_PER_FILE = env_int("REGISTER_ID_REFUSALS_PER_FILE", 5)
REGISTER_ID_REFUSALS_PER_DAY = env_int("REGISTER_ID_REFUSALS_PER_DAY", 10)

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header turns an anonymous call into a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "governance.passwords.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Bounded by DATA_UPLOAD_MAX_MEMORY_SIZE, as Django bounds its own forms (413 beyond).
    "DEFAULT_PARSER_CLASSES": [
        "governance.request_limits.BoundedJSONParser",
        "governance.request_limits.BoundedFormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "governance.api_common.IdCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "governance.api_common.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login": env_str("THROTTLE_LOGIN", "20/min"),
        "public": env_str("THROTTLE_PUBLIC", "30/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cunzhi (村治) API",
    "DESCRIPTION": "Grid-based village governance: places, people, responsibility, notifications.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several choice sets share a field name ("kind", "source"): name them once.
    "ENUM_NAME_OVERRIDES": {
        "MatterKindEnum": "petitions.models.Kind",
        "MatterSourceEnum": "petitions.models.Source",
        "IntakeSourceEnum": "petitions.models.STAFF_SOURCES",
        "DeliberationKindEnum": "petitions.serializers.DELIBERATION_KINDS",
        "EvaluationMethodEnum": "petitions.models.EvaluationMethod",
        "VisitMethodEnum": "grids.visits.models.Visit.Method",
        "PledgeStatusEnum": "governance.models.PledgeStatus",
        "ResidentStatusEnum": "grids.models.Resident.Status",
        "CouncilKindEnum": "governance.civic.models.CouncilKind",
        "MeetingStatusEnum": "governance.civic.models.MeetingStatus",
        "SelectionKindEnum": "governance.civic.models.SelectionKind",
        "SelectionStatusEnum": "governance.civic.models.SelectionStatus",
        "ActivityKindEnum": "governance.civic.models.ActivityKind",
        "TeamKindEnum": "governance.civic.models.TeamKind",
        "TeamRoleEnum": "governance.civic.models.TeamRole",
        "AssignmentRoleEnum": "governance.models.Role",
        # The matters' states kept the name they had before campaigns also had a state.
        "StateEnum": "petitions.models.State",
        "CampaignStateEnum": "grids.campaigns.models.Campaign.State",
        "CampaignTaskStateEnum": "grids.campaigns.models.Task.State",
    },
}

# Input bounds. A request body larger than DATA_UPLOAD_MAX_MEMORY_SIZE (files aside) answers
# 413 (JSON under /api/); an image is refused before decoding above these (governance.photos).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
UPLOAD_MAX_IMAGE_PIXELS = env_int("UPLOAD_MAX_IMAGE_PIXELS", 40_000_000)  # JPEG (decoded at a reduced scale)
UPLOAD_MAX_IMAGE_PIXELS_OTHER = env_int("UPLOAD_MAX_IMAGE_PIXELS_OTHER", 12_000_000)  # PNG, WebP, GIF
UPLOAD_MAX_IMAGE_FRAMES = env_int("UPLOAD_MAX_IMAGE_FRAMES", 3)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# HTTPS in production: redirect plain HTTP, and tell browsers to use nothing else (HSTS). Behind
# a TLS-terminating proxy, that proxy must set X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
# The preload flag alone submits nothing: the site owner decides at hstspreload.org.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SECURE_PROXY_SSL", not DEBUG) else None

# Content-Security-Policy (django-csp): every script and style comes from our own static files;
# no inline script, no inline style, no eval. Pictures may be data: (the favicon) and blob:
# (a photo's preview before it is sent).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# The OpenAPI schema and its interactive docs need a login unless this is on.
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
