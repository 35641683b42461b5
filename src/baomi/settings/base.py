"""Base settings shared by every environment. Configuration comes from BAOMI_* env vars."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent  # src/baomi
PROJECT_DIR = Path(os.environ.get("BAOMI_HOME", Path.cwd()))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [v.strip() for v in os.environ.get(name, default).split(",") if v.strip()]


SECRET_KEY = os.environ.get("BAOMI_SECRET_KEY", "dev-insecure-change-me-" + "x" * 40)
# Off unless asked for (BAOMI_DEBUG=1) in every settings module and entry point: Django's
# debug pages list every route and print a traceback's local variables, personal values
# included (issue #9 §4). dev.py and test.py inherit this; prod.py forces it off.
DEBUG = env_bool("BAOMI_DEBUG", False)
ALLOWED_HOSTS = env_list("BAOMI_ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    # first: its management commands take precedence over django.contrib.auth's
    # (createsuperuser / changepassword would change staff accounts without an audit event)
    "baomi.core",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # its templates and static files: /api/v1/docs served from here, no CDN
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "baomi.vault",
    "baomi.catalog",
    "baomi.audit",
    "baomi.access",
    "baomi.customers",
    "baomi.consent",
    "baomi.rights",
    "baomi.portal",
    "baomi.sharing",
    "baomi.incidents",
    "baomi.retention",
    "baomi.reports",
    "baomi.operations",
    "baomi.quality",
    "baomi.feedback",
    "baomi.training",
    "baomi.insights",
    "baomi.console",
    # last: imports every app's participant.py once all are loaded (docs/architecture.md)
    "baomi.contract",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # CSP + Permissions-Policy on every response, static files and errors included
    "baomi.core.middleware.SecurityHeadersMiddleware",
    # static files from the app's own static dirs, also with DEBUG off (decision 0015);
    # before anything that opens a session or the database
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "baomi.api.guard.RequestBodyGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "baomi.access.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "baomi.core.middleware.RequestContextMiddleware",
    "baomi.core.middleware.NoStoreMiddleware",
    "baomi.core.middleware.DatabaseBusyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "baomi.urls"
WSGI_APPLICATION = "baomi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "baomi.console.context.console",
                "baomi.core.operator.context",  # the operator on public pages (decision 0041)
            ]
        },
    }
]


# Persistent database connections (seconds; 0 = one per request). Opening and closing a
# connection per request was ≈ 22 % of a GET's cost (issue #11); health checks drop a
# connection the database closed before it is reused.
CONN_MAX_AGE = int(os.environ.get("BAOMI_CONN_MAX_AGE", "300"))


def database_config(url: str) -> dict[str, object]:
    cfg: dict[str, object] = dict(
        dj_database_url.parse(url, conn_max_age=CONN_MAX_AGE, conn_health_checks=True)
    )
    if cfg["ENGINE"] == "django.db.backends.sqlite3":
        # Django's backend, but the file, its WAL and SHM are created and kept 0600
        cfg["ENGINE"] = "baomi.core.db.sqlite3"
        name = str(cfg["NAME"])
        if name not in ("", ":memory:") and not name.startswith("file:"):
            # a relative file lives under BAOMI_HOME, beside its keys — never under the
            # directory the command happens to run from (a database paired with another
            # home's keys cannot be decrypted)
            if not Path(name).is_absolute():
                name = str(PROJECT_DIR / name)
                cfg["NAME"] = name
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        # WAL for concurrent readers, synchronous=FULL so a committed write survives power loss.
        cfg["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;",
            "transaction_mode": "IMMEDIATE",
        }
    return cfg


DATABASE_URL = os.environ.get("BAOMI_DATABASE_URL", "sqlite:///var/baomi.sqlite3")
DATABASES = {"default": database_config(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "access.Staff"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # lock-out first (R-D5, ASVS V6)
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "baomi.access.passwords.ContextWordsValidator"},
    {"NAME": "baomi.access.passwords.StrengthValidator"},
    {"NAME": "baomi.access.passwords.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "baomi.access.passwords.PasswordHistoryValidator", "OPTIONS": {"remember": 5}},
]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:home"

LANGUAGE_CODE = os.environ.get("BAOMI_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("BAOMI_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = PROJECT_DIR / "var" / "static"
# WhiteNoise serves the apps' static dirs directly (no collectstatic step for `make demo`),
# with far-future caching only for hashed names; with `collectstatic` run it serves STATIC_ROOT.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_AGE = 8 * 3600  # absolute lifetime (also enforced by SessionTimeoutMiddleware)
BAOMI_SESSION_IDLE_SECONDS = int(os.environ.get("BAOMI_SESSION_IDLE_SECONDS", str(15 * 60)))
# sessions in the database, keyed by a digest of the cookie's key (decision 0012): a
# database read gives no usable session
SESSION_ENGINE = "baomi.access.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- baomi ---------------------------------------------------------------
BAOMI_KEY_DIR = Path(os.environ.get("BAOMI_KEY_DIR", PROJECT_DIR / "var" / "keys"))
# Signed audit checkpoints kept outside the database (docs/audit.md §4): a directory beside
# the keys (unset: BAOMI_KEY_DIR/../witness; empty: none) and an optional tlog-witness URL.
BAOMI_AUDIT_WITNESS_DIR = os.environ.get("BAOMI_AUDIT_WITNESS_DIR")
BAOMI_AUDIT_WITNESS_URL = os.environ.get("BAOMI_AUDIT_WITNESS_URL", "")
# Planned number of customers: drives blind-index truncation (see docs/vault.md).
BAOMI_EXPECTED_CUSTOMERS = int(os.environ.get("BAOMI_EXPECTED_CUSTOMERS", "1000000"))
BAOMI_TOKEN_TTL_SECONDS = int(os.environ.get("BAOMI_TOKEN_TTL_SECONDS", str(8 * 3600)))
BAOMI_PAGE_SIZE = 20
BAOMI_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("BAOMI_PASSWORD_MAX_AGE_DAYS", "90"))
# a self-chosen password may be changed again only after this many hours (0: no minimum)
BAOMI_PASSWORD_MIN_AGE_HOURS = int(os.environ.get("BAOMI_PASSWORD_MIN_AGE_HOURS", "24"))
# zxcvbn score a new password must reach (0–4; 3 ≈ 10^8 guesses)
BAOMI_PASSWORD_MIN_SCORE = int(os.environ.get("BAOMI_PASSWORD_MIN_SCORE", "3"))
BAOMI_DORMANT_DAYS = int(os.environ.get("BAOMI_DORMANT_DAYS", "90"))
BAOMI_APPROVAL_TTL_HOURS = int(os.environ.get("BAOMI_APPROVAL_TTL_HOURS", "24"))
BAOMI_BREAK_GLASS_MINUTES = int(os.environ.get("BAOMI_BREAK_GLASS_MINUTES", "60"))
# emergency grants one person may open in any 24 hours (issue #9 §3)
BAOMI_BREAK_GLASS_PER_DAY = int(os.environ.get("BAOMI_BREAK_GLASS_PER_DAY", "3"))

# django-axes: 5 failures per username + IP lock the pair for 15 minutes (audited)
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "baomi.access.lockout.locked_out"
AXES_VERBOSE = False
# Behind the TLS proxy the client address comes from X-Forwarded-For (BAOMI_PROXY_COUNT
# trusted proxies); otherwise lock-out would count the proxy's address for everyone.
BAOMI_PROXY_COUNT = int(os.environ.get("BAOMI_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "baomi.core.middleware.client_ip"
BAOMI_MFA_ALL_ROLES = env_bool("BAOMI_MFA_ALL_ROLES", True)
# 30 minutes idle (NIST SP 800-63B AAL2 reauthentication after inactivity)
# staff whose required training or confidentiality agreement is not current see no
# sensitive field once this many days have passed since hire / expiry (issue #14, 0030)
BAOMI_TRAINING_GRACE_DAYS = int(os.environ.get("BAOMI_TRAINING_GRACE_DAYS", "30"))
BAOMI_TOKEN_IDLE_SECONDS = int(os.environ.get("BAOMI_TOKEN_IDLE_SECONDS", str(30 * 60)))
OTP_TOTP_ISSUER = "baomi"

# No log line holds a query string (it can carry a phone or an ID number): every handler
# cuts URLs at "?" (baomi.core.logs), Django's development-server access log included.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_query": {"()": "baomi.core.logs.StripQueryStrings"}},
    "formatters": {"server": {"format": "[{server_time}] {message}", "style": "{"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["no_query"]},
        "server": {
            "class": "logging.StreamHandler",
            "filters": ["no_query"],
            "formatter": "server",
        },
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
# insights (issue #18): groups smaller than this are never shown to aggregate viewers
BAOMI_INSIGHTS_K = int(os.environ.get("BAOMI_INSIGHTS_K", "10"))
# The operator of this deployment (the personal-information handler the privacy notice and
# the portal name, PIPL art. 17; baomi.core.operator, decision 0041 §4). Empty here: a
# deployment sets them (`check --deploy` warns baomi.W102 otherwise); dev.py and test.py
# fill in a demo company.
BAOMI_OPERATOR = {
    "name_zh": os.environ.get("BAOMI_OPERATOR_NAME_ZH", ""),
    "name_en": os.environ.get("BAOMI_OPERATOR_NAME_EN", ""),
    "short_zh": os.environ.get("BAOMI_OPERATOR_SHORT_ZH", ""),
    "short_en": os.environ.get("BAOMI_OPERATOR_SHORT_EN", ""),
    "address_zh": os.environ.get("BAOMI_OPERATOR_ADDRESS_ZH", ""),
    "address_en": os.environ.get("BAOMI_OPERATOR_ADDRESS_EN", ""),
    "email": os.environ.get("BAOMI_PRIVACY_EMAIL", ""),
    "phone": os.environ.get("BAOMI_PRIVACY_PHONE", ""),
}
# the demo company (`make demo`, tests) — a deployment's own values always win
DEMO_OPERATOR = {
    "name_zh": "上海外滩示范旅业有限公司",
    "name_en": "Shanghai Bund Demo Travel & Hospitality Co., Ltd.",
    "short_zh": "外滩旅业",
    "short_en": "Bund Travel",
    "address_zh": "上海市黄浦区中山东一路 18 号",
    "address_en": "18 Zhongshan East 1st Road, Huangpu District, Shanghai",
    "email": "privacy@bund-demo.example.cn",
    "phone": "021-5555 0100",
}
# The industry packs this deployment runs (travel, hotel, courier; default all): consent
# items of other industries are not asked (baomi.catalog.deployment, decision 0041 §5)
BAOMI_INDUSTRIES = env_list("BAOMI_INDUSTRIES", "travel,hotel,courier")
