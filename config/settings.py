"""Parley settings. Everything that differs between machines comes from the environment.

Mode: with neither DATABASE_URL nor REDIS_URL set, Parley runs "embedded" (SQLite file, in-memory
channel layer, a Celery worker thread and beat inside the server process). With both set it runs in the
"services" mode (PostgreSQL, Redis channel layer, Redis as Celery broker and cache).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from .env import (
    SettingError,
    check_redis_url,
    database_from_url,
    email_from_url,
    env_bool,
    env_int,
    env_str,
    fail,
)

BASE_DIR = Path(__file__).resolve().parent.parent

try:
    DEBUG = env_bool("DEBUG", False)
    DATA_DIR = Path(env_str("PARLEY_DATA_DIR") or BASE_DIR / "data")
    DATABASE_URL = env_str("DATABASE_URL")
    REDIS_URL = env_str("REDIS_URL")
    if bool(DATABASE_URL) != bool(REDIS_URL):
        missing = "REDIS_URL" if DATABASE_URL else "DATABASE_URL"
        raise SettingError(
            f"{missing} is not set: the services mode needs both DATABASE_URL and REDIS_URL "
            "(unset both for the embedded mode)."
        )
    PARLEY_MODE = "services" if DATABASE_URL else "embedded"
    if PARLEY_MODE == "services":
        DATABASES = {"default": database_from_url(DATABASE_URL)}
        check_redis_url(REDIS_URL)
    SECRET_KEY = env_str("SECRET_KEY")
    if not SECRET_KEY:
        if not DEBUG:
            raise SettingError("SECRET_KEY is not set (required when DEBUG is off).")
        SECRET_KEY = "parley-insecure-development-key-do-not-use-in-production-0123456789"
    PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    if not PUBLIC_BASE_URL.startswith(("http://", "https://")):
        raise SettingError("PUBLIC_BASE_URL must start with http:// or https://.")
    VOICE_NOTE_MAX_SECONDS = env_int("VOICE_NOTE_MAX_SECONDS", 300)
    if not 1 <= VOICE_NOTE_MAX_SECONDS <= 3600:
        raise SettingError("VOICE_NOTE_MAX_SECONDS must be between 1 and 3600 seconds.")
    # How long a delivery attempt holds its message (renewed before each part): a worker that dies mid-send
    # leaves a claim that expires after this, and the message is sent again by the next attempt.
    DELIVERY_CLAIM_SECONDS = env_int("DELIVERY_CLAIM_SECONDS", 60)
    if not 1 <= DELIVERY_CLAIM_SECONDS <= 3600:
        raise SettingError("DELIVERY_CLAIM_SECONDS must be between 1 and 3600 seconds.")
    LOG_LEVEL = env_str("LOG_LEVEL", "WARNING").upper()
    if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise SettingError(f"LOG_LEVEL={LOG_LEVEL!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL.")
    ALLOW_PRIVATE_WEBHOOKS = env_bool("ALLOW_PRIVATE_WEBHOOKS", False)
    # The inbound statement is a prepared statement (inbox.services.receiving_pg); 0 for a pooler that cannot
    # keep them between transactions (pgbouncer < 1.21 in transaction mode).
    DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
    # Email (invitations, password resets): SMTP from EMAIL_URL. Without it the embedded demo (DEBUG on)
    # prints emails to the console log, so the invitation link shows there; anything else uses the
    # standard local SMTP relay (localhost:25), never a development backend in production.
    _default_email = "console://" if DEBUG and PARLEY_MODE == "embedded" else "smtp://localhost:25"
    MAILERS = {"default": email_from_url(env_str("EMAIL_URL") or _default_email)}
    DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Parley <parley@localhost>")
except SettingError as exc:
    fail(str(exc))

ALLOWED_HOSTS = [h.strip() for h in env_str("ALLOWED_HOSTS").split(",") if h.strip()]
if DEBUG:
    ALLOWED_HOSTS += ["localhost", "127.0.0.1", "[::1]", "testserver"]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env_str("CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]

TELEGRAM_API_BASE_URL = env_str("TELEGRAM_API_BASE_URL", "https://api.telegram.org").rstrip("/")
META_GRAPH_BASE_URL = env_str("META_GRAPH_BASE_URL", "https://graph.facebook.com/v21.0").rstrip("/")

INSTALLED_APPS = [
    "config.admin_apps.ParleyAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "kernel",
    "workspaces",
    "contacts",
    "inbox",
    "realtime",
    "webchat",
    "emojis",
    "demo",
    "snippets",
    "surveys",
    "workflows",
    "chatbot",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.static.StaticFilesMiddleware",  # WhiteNoise: static files answered before sessions or views run
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "workspaces.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
# Wiring between apps that the inbox must not import (feature apps import the inbox, never the reverse):
PARLEY_LISTENERS = "config.listeners.LISTENERS"  # who reacts to which domain event (kernel.dispatch)
PARLEY_REPLY_EXTRA_FILES = "snippets.services.snippet_files_for_reply"  # files a reply carries from snippets
PARLEY_CONTACT_SECTIONS = ["surveys.selectors.contact_section"]  # the contact page's extra sections (answers)
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workspaces.context_processors.parley",
            ],
        },
    },
]

if PARLEY_MODE == "embedded":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "parley.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CHANNEL_LAYERS = {
        "default": {
            # Redis pub/sub: a group send is one PUBLISH, which realtime.sender and realtime.journal do
            # themselves from synchronous code (numbered, kept and published in one round trip). What a
            # socket misses while it is away it gets from the journal when it resumes.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "workspaces.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# Login throttling (django-axes): lock a username+IP pair after repeated failures.
try:
    AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
    if AXES_FAILURE_LIMIT < 1:
        raise SettingError(f"AXES_FAILURE_LIMIT must be 1 or more (got {AXES_FAILURE_LIMIT}).")
    AXES_ENABLED = env_bool("AXES_ENABLED", True)
    # The peers (proxies) whose X-Forwarded-For names the client: one rule for uvicorn (its command lines
    # pass this same variable to --forwarded-allow-ips), axes and the widget's rate limits. Empty (the
    # default): no proxy is trusted and the socket peer's address counts. See workspaces/client_ip.py.
    FORWARDED_ALLOW_IPS = [p.strip() for p in env_str("FORWARDED_ALLOW_IPS").split(",") if p.strip()]
    for _proxy in FORWARDED_ALLOW_IPS:
        try:
            if _proxy != "*":  # "*" trusts every peer, as in uvicorn: only when nothing but the proxy can connect
                ipaddress.ip_network(_proxy)
        except ValueError:
            raise SettingError(f"FORWARDED_ALLOW_IPS: {_proxy!r} is not an IP address or network "
                               "(e.g. 10.0.0.5 or 10.0.0.0/24).") from None
except SettingError as exc:
    fail(str(exc))
AXES_CLIENT_IP_CALLABLE = "workspaces.client_ip.client_ip"
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The login form posts the email as "username" (lower-cased by the form); axes would otherwise look for
# a field named after USERNAME_FIELD ("email"), record no username and never lock the account.
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "workspaces/locked_out.html"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]  # one time format per language: English "9:18 PM", Spanish "21:18"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves static files from the app. With DEBUG off: the hashed, compressed copies made by
# `collectstatic` (the Dockerfile and `make run` run it), cached for a year; with DEBUG on, static/ as it is.
# Decided from the environment's DEBUG, not the live setting: the test runner turns DEBUG off at start, and
# the app must then still serve static/ as it is (no collectstatic in a test run, no warnings about it).
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
                    else "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"  # private: files are served only through views that check membership

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Celery: a real worker in both modes, never eager (countdowns and Retry-After need one). Embedded: a worker
# thread and beat inside the uvicorn process on the in-memory transport (kernel/embedded.py). Requests never
# publish: jobs are rows written in their transaction, published after commit by kernel.relay.
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_TRANSPORT_OPTIONS = ({"socket_connect_timeout": 3, "visibility_timeout": 3600} if REDIS_URL
                                   else {"polling_interval": 0.05})  # memory: how often the worker looks
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-queued-messages": {"task": "inbox.tasks.requeue_stale_messages", "schedule": 30.0},
    "sweep-jobs": {"task": "kernel.tasks.sweep_jobs", "schedule": 15.0},  # pending jobs nobody took
}

# Security. A strict script policy: no inline script, no eval (behaviour lives in static/js/).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "media-src": [CSP.SELF, "blob:"],
    "connect-src": [CSP.SELF, "ws:", "wss:"] if DEBUG else [CSP.SELF, "wss:"],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # scripts read the token from <body data-csrf-token> (static/js/parley.js)
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"quiet_client_errors": {"()": "config.log_filters.QuietClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # A 403/404 is one warning line, not a traceback; 5xx keep theirs.
    "loggers": {"django.request": {"filters": ["quiet_client_errors"]}},
}
