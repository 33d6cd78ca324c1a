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
    "knox",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "drf_spectacular",
    "axes",
    "crispy_forms",
    "crispy_forms_gds",
    "registry",
    "schools_feed",
    # The project layer (ADR 0010): the demo authority, which builds on both apps (seed_demo).
    "ehe_register",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Refuses an oversized body before anything reads it (ehe_register/limits.py).
    "ehe_register.limits.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "ehe_register.sessions.AbsoluteSessionLifetimeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "registry.second_factor.SecondFactorRequiredMiddleware",
    # Parents reach the parent portal's pages and nothing else (ADR 0014).
    "registry.portal.middleware.ParentsStayInThePortalMiddleware",
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
                "ehe_register.navigation.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        # A kept connection is checked before a request uses it: after a database restart the
        # next request reconnects instead of failing (ADR 0009).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The planner's cost of a random page read, relative to a sequential one. PostgreSQL's
    # default (4) is for spinning disks; on SSD storage, as every current host has, 1.1 is the
    # usual setting. With 4 a register search by CME status or postcode district scanned all
    # 500,000 children rather than looking up the few thousand that match (ADR 0017).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c random_page_cost={float(os.environ.get('DATABASE_RANDOM_PAGE_COST', '1.1'))}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "registry.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Parents' one-time sign-in links (django-sesame; ADR 0014, registry/portal/views.py).
    "sesame.backends.ModelBackend",
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
# Argon2id, the hasher Django recommends, with its default (strong) cost; the others only read
# older hashes, which are upgraded to Argon2 at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"

# A history row's change reason holds the person's own words after the fixed reason (a merge's or
# a death's explanation, say): never cut to simple-history's default 100 characters.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
LOGOUT_REDIRECT_URL = "login"

# Lock an account and address pair out after repeated failures, and an address after more
# failures across accounts (django-axes; ehe_register/lockout.py).
LOCKOUT_ACCOUNT_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
LOCKOUT_ADDRESS_FAILURE_LIMIT = int(os.environ.get("AXES_ADDRESS_FAILURE_LIMIT", "15"))
AXES_FAILURE_LIMIT = "ehe_register.lockout.failure_limit"
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
# Locked out on an account and address pair (guessing one password), and on an address alone
# (password spraying: one guess each at many accounts from one address).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
# The client's address: REMOTE_ADDR unless the deployment says how many reverse proxies it trusts
# in front of Django; then X-Forwarded-For read from the right, skipping exactly that many.
# With 0 (the default) X-Forwarded-For is ignored, so nobody can spoof another's address.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "ehe_register.lockout.client_ip_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Sessions end after a period of inactivity and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE_SECONDS", str(60 * 60)))
SESSION_SAVE_EVERY_REQUEST = True
# ...and in any case this long after signing in, however active (ehe_register/sessions.py).
SESSION_ABSOLUTE_LIFETIME = timedelta(
    hours=float(os.environ.get("SESSION_ABSOLUTE_LIFETIME_HOURS", "10"))
)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp): scripts and styles only from our own static files, no
# inline script or style, nothing framed, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Request bodies (ehe_register/limits.py): a request larger than this is refused (413) before
# its body is read; the upload pages take up to FEED_MAX_UPLOAD_BYTES (below).
REQUEST_MAX_BODY_BYTES = int(os.environ.get("REQUEST_MAX_BODY_BYTES", str(1024 * 1024)))

# A second factor (django-otp: an authenticator app, or backup codes) for administrators and
# staff before any page (registry/second_factor.py).
OTP_TOTP_ISSUER = "EHE and CME register"
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
    "remove-expired-feed-files": {
        "task": "schools_feed.tasks.submission_files_remove_expired_task",
        "schedule": crontab(hour=3, minute=15),
    },
    "offrolling-nightly-recompute": {
        "task": "schools_feed.tasks.offrolling_recompute_task",
        "schedule": crontab(hour=2, minute=30),
    },
    # Retrain the matching model on the LA's own register (ADR 0012); a no-op when nothing changed.
    "retrain-matching-model": {
        "task": "schools_feed.tasks.matching_model_train_task",
        "schedule": crontab(hour=4, minute=30, day_of_week="sunday"),
    },
    # Children who may be recorded twice, with the model just retrained (ADR 0012).
    "find-duplicate-children": {
        "task": "schools_feed.tasks.duplicate_children_find_task",
        "schedule": crontab(hour=5, minute=30, day_of_week="sunday"),
    },
    # Side effects whose task was lost to a broker outage or a killed worker (ADR 0009).
    "requeue-lost-feed-work": {
        "task": "schools_feed.tasks.side_effects_requeue_task",
        "schedule": 5 * 60,
    },
    # The children-not-in-school register (ADR 0016): does nothing until it commences.
    "keep-cnis-register": {
        "task": "registry.tasks.cnis_register_keep_task",
        "schedule": crontab(hour=1, minute=45),
    },
    "requeue-lost-pack-requests": {
        "task": "registry.tasks.quarterly_pack_requests_requeue_task",
        "schedule": 5 * 60,
    },
    "quarterly-pack-at-quarter-end": {
        "task": "registry.tasks.quarterly_pack_quarter_end_task",
        "schedule": crontab(hour=4, minute=0, day_of_month=1, month_of_year="1,4,7,10"),
    },
    # Close the EHE and CME episodes of children past compulsory school age
    # (docs/rules/episode-lifecycle.md §1).
    "close-episodes-over-compulsory-school-age": {
        "task": "registry.tasks.episodes_close_over_compulsory_school_age_task",
        "schedule": crontab(hour=1, minute=45),
    },
    # Anonymise the children whose records have passed the retention schedule
    # (docs/rules/data-protection.md §4).
    "apply-retention-schedule": {
        "task": "registry.tasks.retention_apply_task",
        "schedule": crontab(hour=3, minute=45),
    },
    # Then the rows of schools' returns: those of the children just anonymised, and old unlinked
    # rows.
    "anonymise-returns-past-retention": {
        "task": "schools_feed.tasks.notifications_anonymise_task",
        "schedule": crontab(hour=4, minute=15),
    },
}

# A side effect still waiting this long after it was queued was lost (the broker was down, or
# its worker died): the sweeper queues it again (ADR 0009).
SIDE_EFFECTS_RETRY_AFTER_SECONDS = int(os.environ.get("SIDE_EFFECTS_RETRY_AFTER_SECONDS", "600"))

# The parent portal (ADR 0014). A sign-in link works once, for this many minutes; links are
# asked for at most this often per email address and per network address (a rolling window).
PORTAL_SIGN_IN_LINK_MINUTES = int(os.environ.get("PORTAL_SIGN_IN_LINK_MINUTES", "15"))
SESAME_MAX_AGE = PORTAL_SIGN_IN_LINK_MINUTES * 60
SESAME_ONE_TIME = True
PORTAL_LINK_REQUESTS_PER_ADDRESS = int(os.environ.get("PORTAL_LINK_REQUESTS_PER_ADDRESS", "3"))
PORTAL_LINK_REQUESTS_PER_IP = int(os.environ.get("PORTAL_LINK_REQUESTS_PER_IP", "20"))
PORTAL_LINK_REQUEST_WINDOW_MINUTES = int(os.environ.get("PORTAL_LINK_REQUEST_WINDOW_MINUTES", "60"))
# Rows of sign-in link requests (a hashed address and the network address) are kept this long
# for looking into abuse, then deleted by the nightly retention run.
PORTAL_LINK_REQUEST_RETENTION_DAYS = int(os.environ.get("PORTAL_LINK_REQUEST_RETENTION_DAYS", "30"))
# Parents' evidence files: the largest accepted, where they are kept (never served directly:
# only the gated download views read it), and clamd's socket ("/run/clamav/clamd.ctl" or
# "host:3310"); blank: files are kept and recorded "not scanned".
PORTAL_MAX_UPLOAD_BYTES = int(os.environ.get("PORTAL_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
PORTAL_PRIVATE_ROOT = Path(
    os.environ.get("PORTAL_PRIVATE_ROOT") or MEDIA_ROOT / "private" / "portal"
)
CLAMAV_SOCKET = os.environ.get("CLAMAV_SOCKET", "")

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
# The whole GIAS extract (all establishments, open and closed) is about 62 MB
# (docs/rules/formats.md §4.1), more than a school's return may be.
GIAS_MAX_UPLOAD_BYTES = int(os.environ.get("GIAS_MAX_UPLOAD_BYTES", str(200 * 1024 * 1024)))
# An Excel workbook is refused before it is parsed when its parts would unpack to more than this,
# or its sheet has more rows than this (schools_feed/intake/files.py).
FEED_MAX_XLSX_UNCOMPRESSED_BYTES = int(
    os.environ.get("FEED_MAX_XLSX_UNCOMPRESSED_BYTES", str(200 * 1024 * 1024))
)
FEED_MAX_XLSX_ROWS = int(os.environ.get("FEED_MAX_XLSX_ROWS", "100000"))
# Files with more rows than this are processed by a Celery worker with a progress bar.
FEED_BACKGROUND_ROWS = int(os.environ.get("FEED_BACKGROUND_ROWS", "2000"))
# A deletion date this many days ahead is accepted (a deletion planned for the coming days).
FEED_FUTURE_DELETION_MARGIN_DAYS = int(os.environ.get("FEED_FUTURE_DELETION_MARGIN_DAYS", "7"))
# Days after a home-education deletion before the EHE episode opens (the parent may change
# their mind and the school may re-admit).
FEED_EHE_GRACE_DAYS = int(os.environ.get("FEED_EHE_GRACE_DAYS", "0"))
# Days a school's uploaded file is kept (for the rejected-rows download), after which a nightly
# task removes its content; the submission record, its sha256, counts and rows stay.
FEED_FILE_RETENTION_DAYS = int(os.environ.get("FEED_FILE_RETENTION_DAYS", "90"))
# Matching thresholds (ADR 0005): link automatically at or above the upper, review between.
MATCH_AUTO_LINK_THRESHOLD = float(os.environ.get("MATCH_AUTO_LINK_THRESHOLD", "0.92"))
MATCH_REVIEW_THRESHOLD = float(os.environ.get("MATCH_REVIEW_THRESHOLD", "0.10"))
# Both thresholds are Splink match probabilities (ADR 0012). The model learns m from the returns
# of this many recent days linked to the register (with none, from the register alone).
MATCH_TRAINING_RETURNS_DAYS = int(os.environ.get("MATCH_TRAINING_RETURNS_DAYS", "365"))
# A trained version is adopted without a person only when it does no worse than the version in
# use on the returns officers decided, and there are at least this many of them (ADR 0012).
MATCH_ADOPT_MINIMUM_DECISIONS = int(os.environ.get("MATCH_ADOPT_MINIMUM_DECISIONS", "100"))
# The statutory rulebook's clocks, commencement dates and policy choices (registry/rulebook.py):
# a JSON object overriding any of its defaults, e.g. {"s437_response_days": 21}.
STATUTORY_RULES = os.environ.get("STATUTORY_RULES", "{}")

# School census days, when they differ from the usual Thursdays (first in October, third in
# January and May): ISO dates separated by commas (registry/census.py).
SCHOOL_CENSUS_DATES = env_list("SCHOOL_CENSUS_DATES", "")

# The off-rolling monitor (docs/rules/offrolling.md §9, ADR 0007). Every parameter of the method
# is here; each alert stores the values that raised it. OFFROLLING_PARAMETERS (JSON) overrides any
# of them.
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
# a school user linked to one school (manage.py create_api_client); stored hashed, expiring.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["knox.auth.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "registry.second_factor.NoSecondFactorUsers",
    ],
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
# API tokens (django-rest-knox): only a hash is stored, each expires after this many days.
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=int(os.environ.get("API_TOKEN_TTL_DAYS", "365"))),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "EHE and CME register: schools feed API",
    "VERSION": "1.0.0",
    "DESCRIPTION": (
        "How a school's management information system (MIS) sends the returns schools make to "
        "the local authority: deletion returns, new pupil returns, CME referrals, ten-day "
        "absence returns and exclusions.\n\n"
        "**Credentials.** The local authority issues one API client per school and supplier; "
        "each has a token, shown once, that expires (ask the local authority for a new one). "
        "Send it as `Authorization: Token <key>`. A client is "
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
