"""The one settings module. Every environment differs only by environment variables.

Defaults give a zero-setup run: SQLite, Celery eager, console email. Outside DEBUG a missing
SECRET_KEY stops start-up: a silent default secret in production is worse than no start-up.
See .env.example for every variable.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (see .env.example); "
            "only a DEBUG=true development run may start without one."
        )
    SECRET_KEY = "insecure-development-key-for-debug-only"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "import_export",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "axes",
    "crispy_forms",
    "crispy_forms_gds",
    "registry",
    "schools_feed",
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
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes goes last so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ehe_register.urls"
WSGI_APPLICATION = "ehe_register.wsgi.application"

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
                "registry.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "registry.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "registry:home"
LOGOUT_REDIRECT_URL = "login"

# Lock an account and address pair out after repeated failures (django-axes).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Sessions end after a period of inactivity and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE_SECONDS", str(60 * 60)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if env_bool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "ehe_register" / "static"]
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
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ehe-cme-register@localhost")

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

# Celery: with no broker URL, tasks run eagerly in-process (the zero-setup default).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "600"))
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {
    "route-home-education-after-grace": {
        "task": "schools_feed.tasks.notifications_route_due_task",
        "schedule": 60 * 60,
    },
    "expire-destination-checks": {
        "task": "schools_feed.tasks.destination_checks_expire_task",
        "schedule": 6 * 60 * 60,
    },
    "offrolling-nightly-recompute": {
        "task": "schools_feed.tasks.offrolling_recompute_task",
        "schedule": crontab(hour=2, minute=30),
    },
    "quarterly-pack-at-quarter-end": {
        "task": "registry.tasks.quarterly_pack_quarter_end_task",
        "schedule": crontab(hour=4, minute=0, day_of_month=1, month_of_year="1,4,7,10"),
    },
}

# The local authority this deployment serves (its 3-digit DfE LA code).
LOCAL_AUTHORITY_CODE = os.environ.get("LOCAL_AUTHORITY_CODE", "")
LOCAL_AUTHORITY_NAME = os.environ.get("LOCAL_AUTHORITY_NAME", "")
# The LA codes whose schools are "ours" in the GIAS import (a shared service may serve several).
LOCAL_LA_CODES = env_list("LOCAL_LA_CODES", LOCAL_AUTHORITY_CODE)
# For the DfE return's geography columns: the 9-character ONS code of the LA and its region.
LOCAL_AUTHORITY_NEW_CODE = os.environ.get("LOCAL_AUTHORITY_NEW_CODE", "")
REGION_CODE = os.environ.get("REGION_CODE", "")
REGION_NAME = os.environ.get("REGION_NAME", "")

# The schools feed (issue 3). Sizes are in bytes; days are calendar days.
FEED_MAX_UPLOAD_BYTES = int(os.environ.get("FEED_MAX_UPLOAD_BYTES", str(50 * 1024 * 1024)))
FEED_MAX_CTF_BYTES = int(os.environ.get("FEED_MAX_CTF_BYTES", str(20 * 1024 * 1024)))
# Files with more rows than this are processed by a Celery worker with a progress bar.
FEED_BACKGROUND_ROWS = int(os.environ.get("FEED_BACKGROUND_ROWS", "2000"))
# A deletion date this many days ahead is accepted (a deletion planned for the coming days).
FEED_FUTURE_DELETION_MARGIN_DAYS = int(os.environ.get("FEED_FUTURE_DELETION_MARGIN_DAYS", "7"))
# Days after a home-education deletion before the EHE episode opens (the parent may change
# their mind and the school may re-admit).
FEED_EHE_GRACE_DAYS = int(os.environ.get("FEED_EHE_GRACE_DAYS", "0"))
# Days after a destination school's expected start date before a missing new pupil return opens
# a CME enquiry "destination unconfirmed".
FEED_DESTINATION_CHECK_DAYS = int(os.environ.get("FEED_DESTINATION_CHECK_DAYS", "10"))
# Matching thresholds (ADR 0005): link automatically at or above the upper, review between.
MATCH_AUTO_LINK_THRESHOLD = float(os.environ.get("MATCH_AUTO_LINK_THRESHOLD", "0.92"))
MATCH_REVIEW_THRESHOLD = float(os.environ.get("MATCH_REVIEW_THRESHOLD", "0.55"))
# s.434A consent cases (Children's Wellbeing and Schools Act 2026) once the section commences.
FEATURE_S434A_CONSENT = env_bool("FEATURE_S434A_CONSENT", False)

# School census days, when they differ from the usual Thursdays (first in October, third in
# January and May): ISO dates separated by commas (registry/census.py).
SCHOOL_CENSUS_DATES = env_list("SCHOOL_CENSUS_DATES", "")

# The off-rolling monitor (domain.md §5.7, ADR 0007). Every parameter of the method is here; each
# alert stores the values that raised it. OFFROLLING_PARAMETERS (JSON) overrides any of them.
OFFROLLING = {
    "warning_level": 0.95,
    "alert_level": 0.998,
    # Exact binomial limits below these, the normal approximation above.
    "exact_below_denominator": 100,
    "exact_below_observed": 10,
    "overdispersion": True,
    "winsorise": 0.10,
    # R7, the small-number rule: no flag below these; "insufficient data" instead.
    "min_denominator": 30,
    "min_observed": 3,
    "r3_min_observed": 3,
    "r4_p_value": 0.05,
    "r4_min_observed": 3,
    "r5_min_relative_risk": 2.0,
    "r5_level": 0.95,
    "r5_min_group_exits": 3,
    "r6_min_cases": 1,
    "r6_after_suspension_days": 90,
    "r6_return_within_days": 183,
    "nc_years": ["R", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"],
    "academic_years": 5,
    "review_due_days": 28,
}
OFFROLLING.update(json.loads(os.environ.get("OFFROLLING_PARAMETERS") or "{}"))
# New returns recompute their school after this many seconds without another return.
OFFROLLING_DEBOUNCE_SECONDS = int(os.environ.get("OFFROLLING_DEBOUNCE_SECONDS", "300"))
# A recompute still "running" after this long is taken to have died.
OFFROLLING_RUN_TIMEOUT_MINUTES = int(os.environ.get("OFFROLLING_RUN_TIMEOUT_MINUTES", "30"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# The schools feed API for MIS suppliers (schools_feed/api.py). Token authentication only: no
# session authentication, so the API never depends on cookies or CSRF. One token per API client,
# a school user linked to one school (manage.py create_api_client).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # Per user (per address for the public schema). Counted in the cache: per process until a
    # shared cache is configured.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": os.environ.get("API_THROTTLE_RATE", "600/minute")},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "EHE and CME register: schools feed API",
    "VERSION": "1.0.0",
    "DESCRIPTION": (
        "How a school's management information system (MIS) sends the returns schools make to "
        "the local authority: deletion returns, new pupil returns, CME referrals, ten-day "
        "absence returns and exclusions.\n\n"
        "**Credentials.** The local authority issues one API client per school and supplier; "
        "each has a token, shown once. Send it as `Authorization: Token <key>`. A client is "
        "scoped to its school: it can send returns only for that school and read only that "
        "school's notifications. A client that may send for several schools (a trust's data "
        "manager) names the school in `school_urn`.\n\n"
        "**Idempotency.** Send an `Idempotency-Key` header (up to 100 characters, unique per "
        "call, for example a UUID) and retry freely: a retry with the same key returns the "
        "first result (200) and stores nothing new. The same pupil and event sent again "
        "without a key is reported as a duplicate (200, `duplicate: true`), never stored "
        "twice.\n\n"
        "**Validation** is the same as for file uploads and the web form: the request body "
        "uses the canonical field names of the return templates, dates as YYYY-MM-DD or "
        "DD/MM/YYYY. A return with errors is rejected whole (400, `errors` by field); "
        "warnings do not stop it and are returned with the receipt."
    ),
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "NotificationKindEnum": "schools_feed.models.NotificationKind",
        "NotificationStatusEnum": "schools_feed.models.NotificationStatus",
        "NotificationEventTypeEnum": "schools_feed.models.NotificationEventType",
    },
}
