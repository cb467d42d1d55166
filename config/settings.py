"""Settings for Appeals Desk, read from the environment.

With nothing set, the app runs locally on SQLite with an embedded Celery broker.
Production sets DJANGO_DEBUG=false, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS,
DATABASE_URL and REDIS_URL.
"""

from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_required, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("APPEALS_VAR_DIR", str(BASE_DIR / "var")))
# Local state (the SQLite demo database, the file broker, uploads) lives here.
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", True)

if DEBUG:
    SECRET_KEY = env_str("DJANGO_SECRET_KEY", "local-development-only-not-a-secret")
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
else:
    SECRET_KEY = env_required("DJANGO_SECRET_KEY")
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "DJANGO_ALLOWED_HOSTS must list the host names when DJANGO_DEBUG is false."
        )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "appeals",
    "casework",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

# SQLite keeps `make run` free of set-up; PostgreSQL is what production and CI use, for
# row locks with SKIP LOCKED and partial indexes over open appeals.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'appeals.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
USE_I18N = False
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("APPEALS_MEDIA_ROOT", str(VAR_DIR / "media")))
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

# Security headers and cookies; `manage.py check --deploy` is clean with DEBUG off.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# The plan's rules (REGULATORY.md). The time zone decides which calendar day an instant
# falls on for day-counted deadlines; stored instants are always UTC.
PLAN_TIME_ZONE = env_str("PLAN_TIME_ZONE", "America/New_York")
try:
    ZoneInfo(PLAN_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"PLAN_TIME_ZONE={PLAN_TIME_ZONE!r} is not a time zone."
    ) from None
COMMERCIAL_APPEAL_LEVELS = env_int("COMMERCIAL_APPEAL_LEVELS", 1)
if COMMERCIAL_APPEAL_LEVELS not in (1, 2):
    raise ImproperlyConfigured("COMMERCIAL_APPEAL_LEVELS must be 1 or 2.")
COMMERCIAL_EFFECTUATION_DAYS = env_int("COMMERCIAL_EFFECTUATION_DAYS", 5)
MEDICAID_ACKNOWLEDGEMENT_BUSINESS_DAYS = env_int(
    "MEDICAID_ACKNOWLEDGEMENT_BUSINESS_DAYS", 5
)
COMMERCIAL_ACKNOWLEDGEMENT_BUSINESS_DAYS = env_int(
    "COMMERCIAL_ACKNOWLEDGEMENT_BUSINESS_DAYS", 5
)

# Celery. Without REDIS_URL the broker is kombu's filesystem transport under var/, so
# that `make run` needs nothing but Python.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_DIR = VAR_DIR / "broker"
# Publishing happens on commit inside a request: with Redis down it must fail within
# a second, not hang the request (appeals/receivers.py logs and moves on).
REDIS_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_TRANSPORT_OPTIONS
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "out"),
        "data_folder_out": str(CELERY_BROKER_DIR / "out"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_IGNORE_RESULT = True
# A worker child past this resident size (KiB) is replaced after its task.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 300_000
# The database is the system of record, so a missed run is simply caught up by the
# next one: each message expires before the next is due rather than piling up while
# the workers are down.
CELERY_BEAT_SCHEDULE = {
    "sweep-deadlines": {
        "task": "appeals.sweep_deadlines",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "rescore-open-appeals": {
        "task": "appeals.rescore_open_appeals",
        "schedule": env_int("APPEALS_RESCORE_SECONDS", 300),
        "options": {"expires": 280},
    },
    "refresh-deadline-checks": {
        "task": "appeals.refresh_deadline_checks",
        "schedule": 3600.0,
        "options": {"expires": 3300},
    },
    "purge-idempotency-records": {
        "task": "appeals.purge_idempotency_records",
        "schedule": 86400.0,
        "options": {"expires": 82800},
    },
}


def _database_after(url: str) -> str:
    parts = urlsplit(url)
    database = parts.path.strip("/") or "0"
    if parts.scheme not in ("redis", "rediss") or not database.isdigit():
        raise ImproperlyConfigured(
            "REDIS_URL names no database number to put the cache beside: set CACHE_URL."
        )
    return parts._replace(path=f"/{int(database) + 1}").geturl()


# The API throttle counts each key's requests here, so with several web processes the
# cache must be shared: Redis when there is one, this process's memory for the demo
# (a single process). Not the broker's database, though: cache.clear() on Redis is
# FLUSHDB, which would drop every queued task with it. By default the cache takes the
# database after the broker's; set CACHE_URL when that one is not free.
CACHE_URL = env_str("CACHE_URL") or (REDIS_URL and _database_after(REDIS_URL))
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "appeals",
            # Every API request asks the cache first: a hung Redis must cost a
            # request a second at most (the throttle then lets it through).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Integrations retry within minutes or hours, but a retry queue stuck behind an outage
# over a long weekend can replay days later: a week covers that. A request older than
# this runs afresh, and the unique external_id still stops a second appeal.
IDEMPOTENCY_KEY_RETENTION_HOURS = env_int("IDEMPOTENCY_KEY_RETENTION_HOURS", 168)
if IDEMPOTENCY_KEY_RETENTION_HOURS < 1:
    raise ImproperlyConfigured("IDEMPOTENCY_KEY_RETENTION_HOURS must be at least 1.")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Per integration key (appeals/api/throttling.py).
    "DEFAULT_THROTTLE_RATES": {
        "integration": env_str("API_THROTTLE_RATE", "1200/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Appeals Desk API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "appeals-desk@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
