"""Lodestar CRM settings, read from the environment (see README.md, "Configuration").

With nothing set, the product runs on its embedded default: SQLite under var/, a Celery broker that keeps its
queue in files under var/celery/ (no server), and a local-memory cache. Production sets DATABASE_URL,
CELERY_BROKER_URL and CACHE_URL, turns DEBUG off and supplies SECRET_KEY.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from crm.env import env_bool, env_int, env_list, env_str, parse_cache_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("LODESTAR_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# The quick start's processes (crm/management/commands/quickstart.py): DEBUG off, so users meet the styled error
# pages as in production, but served over plain HTTP on this machine, with the static files read straight from
# static/ (no collectstatic step) and the secret key that quickstart generated once into var/secret_key.
QUICKSTART = env_bool("LODESTAR_QUICKSTART", False)

_DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY if DEBUG else None)
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set to a secret value when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG or QUICKSTART else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "auditlog",
    "crm",
    "customers",
    "insights",
    "recommendations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "crm.query_params.QueryControlCharactersMiddleware",  # before anything reads request.GET
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "crm.security.AuditlogMiddleware",  # after authentication: each change is logged with who made it and from where
    "crm.sessions.SessionEndedPostMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database ------------------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'lodestar.sqlite3'}")
try:
    _database = dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0), conn_health_checks=True
    )
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL we understand: {exc}") from None
if _database["ENGINE"] == "django.db.backends.sqlite3":
    Path(_database["NAME"]).parent.mkdir(parents=True, exist_ok=True)  # a fresh clone has no var/ yet
    # The quick start runs a web server and a worker against one file: WAL lets readers and the writer
    # proceed together, and IMMEDIATE transactions make writers queue instead of failing mid-transaction.
    _database["CONN_MAX_AGE"] = 0
    _database["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# PostgreSQL: parameters bound by the server, and a statement prepared the second time a connection runs it, so
# PostgreSQL parses and plans the queries of a page once per connection instead of on every request (Django binds on
# the client and prepares nothing by default). Off behind a pooler in transaction mode that does not keep prepared
# statements (PgBouncer before 1.21, or without max_prepared_statements). A statement a connection prepared fails
# once a migration changes the type of a column it reads ("cached plan must not change result type"): processes
# are restarted after migrating, as a deploy does (README).
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
if _database["ENGINE"] == "django.db.backends.postgresql" and DATABASE_PREPARED_STATEMENTS:
    # psycopg's prepare_threshold: the runs of a statement before it is prepared (a statement run once, as most
    # one-off commands' are, is not).
    _database.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=1)
# Behind a pooler in transaction mode, Django's server-side cursors (exports and bulk reads iterate with them) do not
# survive between transactions either (Django's docs, "Transaction pooling and server-side cursors").
_database["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", False)
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache ---------------------------------------------------------------------------------------------------
# By default a folder of files, which the web server and the worker of the quick start share: a run the worker
# publishes is seen by the pages at once (a cache per process would show the old one for minutes).
CACHES = {"default": parse_cache_url(env_str("CACHE_URL", f"file://{(VAR_DIR / 'cache').resolve()}"))}
# Whether every web process sees the same cache (Redis). Sessions are kept in the cache only then: with a
# cache per process, signing out or losing a permission in one would not reach the others.
SHARED_CACHE = CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"

# Auth ----------------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in throttling (django-axes), on /login/ and /admin/login/ alike: after AXES_FAILURE_LIMIT wrong passwords
# for one username from one address, that pair is locked out for AXES_COOLOFF_MINUTES (the page says so, with
# status 429) while everyone else signs in as usual; a successful sign-in clears the count. Attempts are kept in
# the database, which every web process shares whatever the cache.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out pair before any password is checked
    # Django's ModelBackend, with a user's permissions read in one query (crm/backends.py). A session records the
    # path of the backend that signed it in: the sessions signed in by ModelBackend before it ended with the upgrade.
    "crm.backends.RoleBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "crm.security.locked_out"
AXES_VERBOSE = False
# How many reverse proxies in front of the app append to X-Forwarded-For (crm/security.py client_ip): 0, the
# default, trusts no header and takes the connection's address; n takes the address the outermost of n proxies
# saw. BEHIND_TLS_PROXY alone means one. Sign-in throttling and the audit trail read the client's address so.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 1 if env_bool("BEHIND_TLS_PROXY", False) else 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "crm.security.client_ip"
if SHARED_CACHE:
    # Sessions are read from the cache and written through to the database, so a restart signs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
LOGIN_URL = "login"
CSRF_FAILURE_VIEW = "crm.sessions.csrf_failure"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# I18N ----------------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["crm.formats"]  # dates and times as the pages write them, in admin too
DEFAULT_CURRENCY = env_str("DEFAULT_CURRENCY", "GBP")

# Static files: served by the app itself (WhiteNoise), never from a CDN.
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = QUICKSTART  # the quick start serves static/ as it is; production from collectstatic's copy
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
# Fitted models live apart from uploads, where no user can write: workers load them only after checking the
# checksum recorded with their run. Production may point this at object storage shared by every worker.
MODEL_STORAGE_DIR = Path(env_str("MODEL_STORAGE_DIR", str(VAR_DIR / "models")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "models": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": MODEL_STORAGE_DIR}},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or QUICKSTART
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024, minimum=1024)
# Files uploaded for import (admin); larger ones go through manage.py import_orders.
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_MB", 200, minimum=1) * 1024 * 1024

# REST API ------------------------------------------------------------------------------------------------
# /api/v1/ (README "API"): token or session sign-in, allow-listed filters and orderings (crm/api/), bounded pages,
# and per-user throttling counted in the cache (Redis in production, so every web process shares the count).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",  # first, so an anonymous call answers 401
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["crm.api.permissions.ModelPermissions"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "crm.api.pagination.PagePagination",
    "PAGE_SIZE": 50,
    "ORDERING_PARAM": "sort",  # the pages' name for it (customers/filters.py SortFilter)
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/minute"),
        "user": env_str("API_THROTTLE_USER", "1200/minute"),
        "token": env_str("API_THROTTLE_TOKEN", "10/minute"),  # asking for a token with a password
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lodestar CRM API",
    "DESCRIPTION": "Customers, orders, interactions and what the models publish. Sign in with a token "
    "(POST /api/v1/auth/token/) or a session; you see the customers the pages show you.",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"Channel": "customers.models.Customer.Channel"},  # customers' and orders' channel
    # Swagger UI's assets come from the app (drf-spectacular-sidecar), never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every operation documents its error answers too (400, 401, 403, 404, 429), as the API gives them.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "crm.api.schema.document_error_responses",
    ],
}

# Celery --------------------------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 55 * 60, minimum=10)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 60 * 60, minimum=CELERY_TASK_SOFT_TIME_LIMIT + 1)
CELERY_TASK_ALWAYS_EAGER = False
# A running model run or import stamps a heartbeat (crm/liveness.py); silent this long, its worker counts as lost:
# a sweep (every minute, and before any new request for that family) fails it and frees its family.
WORKER_LOST_AFTER_SECONDS = env_int("WORKER_LOST_AFTER_SECONDS", 5 * 60, minimum=2)
# Threads each process's numerical libraries may start (OpenMP in scikit-learn's gradient boosting, BLAS in numpy),
# set before they load: one by default. A worker trains in one process per core, beside PostgreSQL and the web
# server on the same cores; with more threads than cores OpenMP's threads spin waiting for each other (measured on
# the 2-core box under load: a churn scoring chunk took 6 s on one thread, 17 to 64 s on two). A dedicated worker
# machine with cores to spare may set MODEL_THREADS higher; OMP_NUM_THREADS and the like, when set, win.
MODEL_THREADS = env_int("MODEL_THREADS", 1, minimum=1)
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, str(MODEL_THREADS))
# Customers per scoring task: a run with more is scored by a Celery group spread over the workers.
SCORING_CHUNK_SIZE = env_int("SCORING_CHUNK_SIZE", 25_000, minimum=100)
# Results of runs that are no longer active are kept this long (score history, rollback), then pruned nightly;
# the latest successful runs of each family keep theirs whatever their age.
MODEL_RESULTS_RETENTION_DAYS = env_int("MODEL_RESULTS_RETENTION_DAYS", 120, minimum=1)
# ... and at most this many runs of value and churn keep theirs, the score history the profile shows (its latest 12);
# the other families keep the latest three (insights/pruning.py).
MODEL_RESULTS_KEEP_RUNS = env_int("MODEL_RESULTS_KEEP_RUNS", 12, minimum=3)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
else:
    # With acks_late, Redis re-delivers an unacknowledged task after visibility_timeout: it must exceed the
    # longest task, or a long retrain would be started a second time while the first still runs. A task whose
    # whole worker was killed comes back only then; its run was failed by the heartbeat sweep long before
    # (WORKER_LOST_AFTER_SECONDS), so the redelivery finds it failed and says so. (A killed pool process is
    # redelivered at once: the task resumes its run.) The socket timeouts keep a request from waiting on a broker
    # that does not answer: its work stays in the outbox (crm/outbox.py).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_TASK_TIME_LIMIT + 30 * 60,
        "socket_connect_timeout": 3,
        "socket_timeout": 10,
    }
    if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= WORKER_LOST_AFTER_SECONDS:
        raise ImproperlyConfigured("WORKER_LOST_AFTER_SECONDS must be shorter than CELERY_TASK_TIME_LIMIT + 1800 s.")

# Security ------------------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# A container health check or a load balancer probes the server itself, over plain HTTP (SECURE_SSL_REDIRECT).
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
if not DEBUG:
    # The quick start answers on http://127.0.0.1 only: no TLS to redirect to or to pin with HSTS.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not QUICKSTART)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not QUICKSTART)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not QUICKSTART)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if QUICKSTART else 60 * 60 * 24 * 365, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Audit trail (django-auditlog): every change to these records, from the pages, the admin or the API, with who
# made it and from where; and who opened which customer profile (customers/views/profile.py). Admins read it in
# Django admin (Audit log entries), where nobody can change it. Imports that write with SQL are recorded by their
# ImportRun instead. Password hashes are masked; timestamps that change on every save are left out.
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {"model": "customers.Customer", "m2m_fields": ["tags"], "exclude_fields": ["updated_at"]},
    "customers.Tag",
    "customers.Order",
    "customers.OrderItem",
    "customers.Interaction",
    "customers.InteractionLabel",  # staff corrections of sentiment and topic (also kept as rows of their own)
    "customers.Topic",
    {
        "model": "auth.User",
        "m2m_fields": ["groups", "user_permissions"],
        "exclude_fields": ["last_login"],
        "mask_fields": ["password"],
    },
    {"model": "auth.Group", "m2m_fields": ["permissions"]},
)
AUDITLOG_DISABLE_ON_RAW_SAVE = True  # fixtures load raw rows

# Content-Security-Policy (django-csp): scripts, styles, images and fonts come from the app's own static files only.
# No inline script or style (attribute or block) anywhere, Django admin included; data: images for the admin's
# and the charts' small icons. tests/e2e/test_csp.py loads every page under it and fails on any violation.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
