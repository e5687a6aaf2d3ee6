"""Settings from the environment.

Defaults give the zero-set-up demo: a SQLite file under ./var/ and Celery tasks run in-process.
Production and CI set DATABASE_URL (PostgreSQL) and REDIS_URL.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# The working directory, not the package, owns ./var: an installed package must not write beside its code.
VAR_DIR = Path(os.environ.get("HUIKUAN_VAR_DIR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "huikuan-demo-secret-key-change-me-in-production-0123456789")
# Keys national ID numbers before hashing: without it a 18-digit ID space is small enough to brute-force.
PII_HASH_KEY = os.environ.get("PII_HASH_KEY", "huikuan-demo-pii-key-change-me")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huikuan.org",
    "huikuan.audit",
    "huikuan.portfolio",
    "huikuan.cases",
    "huikuan.compliance",
    "huikuan.payments",
    "huikuan.comms",
    "huikuan.intake",
    "huikuan.strategy",
    "huikuan.workbench",
    "huikuan.web",
    "huikuan.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "huikuan.config.urls"
WSGI_APPLICATION = "huikuan.config.wsgi.application"

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
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'huikuan.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while an import writes; the timeout makes writers queue, not fail.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    # A file, not the shared in-memory database: concurrency tests need real locking and busy timeouts.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-huikuan.sqlite3")}
    # The work items' escalation index covers its columns on PostgreSQL (INCLUDE, for index-only reads of
    # the nightly look-back); SQLite builds it without them, which is all the embedded demo needs, so the
    # check's warning on every migrate says nothing to act on.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

if os.environ.get("HUIKUAN_TEST_DB"):
    # Lets several test runs share one PostgreSQL server without fighting over test_<name>.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = (
        str(VAR_DIR / f"{os.environ['HUIKUAN_TEST_DB']}.sqlite3")
        if DATABASES["default"]["ENGINE"].endswith("sqlite3")
        else os.environ["HUIKUAN_TEST_DB"]
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:cases"
LOGOUT_REDIRECT_URL = "web:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"

REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without a broker the same task functions run in-process: the embedded default for the demo.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# The queue tasks go to when nothing routes them (the strategy's shards, the outbox): lets one deployment
# (or one test run) share a Redis with another without taking its tasks.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("HUIKUAN_CELERY_QUEUE", "celery")

# Roles that may ask to see a full phone number or contact detail (every reveal is audited).
PII_REVEAL_ROLES = [
    r.strip() for r in os.environ.get("PII_REVEAL_ROLES", "team_lead,qa,legal,admin").split(",") if r.strip()
]
DEFAULT_PHONE_REGION = os.environ.get("DEFAULT_PHONE_REGION", "CN")
DEFAULT_CURRENCY = os.environ.get("DEFAULT_CURRENCY", "CNY")
# The collection rule pack in force (cn, us, uk); COMPLIANCE_OVERRIDES (JSON: rule id → params) adjusts it.
COMPLIANCE_PACK = os.environ.get("COMPLIANCE_PACK", "cn")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# The nightly jobs: promises and plans are settled at 01:00 so the strategy run at 01:30 (strategy/executors.py)
# sees yesterday's kept and broken promises before anyone starts working the queues.
CELERY_BEAT_SCHEDULE = {
    "payments-nightly-settlement": {
        "task": "payments.nightly_settlement",
        "schedule": crontab(hour=1, minute=0),
        "options": {"expires": 60 * 60 * 6},
    },
    "strategy-nightly-run": {
        "task": "huikuan.strategy.nightly_run",
        "schedule": crontab(hour=1, minute=30),
        "options": {"expires": 60 * 60 * 6},
    },
}
# The contact gate the strategy run asks before writing planned contacts: the compliance pack's batch gate;
# huikuan.kernel.strategy.gate.minimal_gate is the pack-free fallback.
# How many shards (by case id) a strategy run splits into: without a broker they run side by side in child
# processes on PostgreSQL (one after another on SQLite), with Redis each is a Celery task. Two for two cores.
HUIKUAN_STRATEGY_SHARDS = int(os.environ.get("HUIKUAN_STRATEGY_SHARDS", "2"))
HUIKUAN_STRATEGY_GATE = os.environ.get("HUIKUAN_STRATEGY_GATE", "huikuan.compliance.strategy_gate.compliance_gate")
# Communications (docs/comms.md). The demo default needs no provider: SMS and e-mail land as files in ./var.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "collections@huikuan.invalid")
COMMS_EMAIL_BACKEND = os.environ.get(
    "HUIKUAN_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.filebased.EmailBackend",
)
COMMS_SMS_PROVIDER = os.environ.get("HUIKUAN_SMS_PROVIDER", "file")  # file / http
COMMS_SMS_FILE_DIR = VAR_DIR / "sms"
COMMS_SMS_HTTP = {
    "url": os.environ.get("HUIKUAN_SMS_URL", ""),
    "key": os.environ.get("HUIKUAN_SMS_KEY", ""),
    # JSON object whose string values are filled from {to}, {text}, {key}, {sender}: the provider's field names.
    "payload": os.environ.get("HUIKUAN_SMS_PAYLOAD", '{"to": "{to}", "text": "{text}", "reference": "{key}"}'),
    "id_field": os.environ.get("HUIKUAN_SMS_ID_FIELD", "id"),
    "timeout": float(os.environ.get("HUIKUAN_SMS_TIMEOUT", "5")),
}
COMMS_WEBHOOK_SECRET = os.environ.get("HUIKUAN_WEBHOOK_SECRET", "huikuan-demo-webhook-secret-change-me")
COMMS_LEASE_SECONDS = int(os.environ.get("HUIKUAN_COMMS_LEASE_SECONDS", "120"))
COMMS_MAX_ATTEMPTS = int(os.environ.get("HUIKUAN_COMMS_MAX_ATTEMPTS", "6"))
COMMS_RETRY_BASE_SECONDS = float(os.environ.get("HUIKUAN_COMMS_RETRY_BASE_SECONDS", "30"))
COMMS_BATCH_SIZE = int(os.environ.get("HUIKUAN_COMMS_BATCH_SIZE", "200"))
COMMS_SEND_THREADS = int(os.environ.get("HUIKUAN_COMMS_SEND_THREADS", "16"))
COMMS_LETTER_DIR = VAR_DIR / "letters"
COMMS_SENDER = {
    "company": os.environ.get("HUIKUAN_SENDER_COMPANY", "回款消费金融有限公司"),
    "company_en": os.environ.get("HUIKUAN_SENDER_COMPANY_EN", "Huikuan Consumer Finance Co., Ltd."),
    "hotline": os.environ.get("HUIKUAN_SENDER_HOTLINE", "400-800-1234"),
    "address": os.environ.get("HUIKUAN_SENDER_ADDRESS", "上海市浦东新区世纪大道100号"),
    "payment_channels_zh": os.environ.get(
        "HUIKUAN_PAYMENT_CHANNELS_ZH",
        "官方App“还款”页面、对公账户转账（开户行：招商银行上海分行，账号：1219 0000 8888）",
    ),
    "payment_channels_en": os.environ.get(
        "HUIKUAN_PAYMENT_CHANNELS_EN",
        "the Repay page of our app, or a bank transfer to China Merchants Bank Shanghai, account 1219 0000 8888",
    ),
    "law_firm": os.environ.get("HUIKUAN_LAW_FIRM", "上海明正律师事务所"),
    "law_firm_en": os.environ.get("HUIKUAN_LAW_FIRM_EN", "Shanghai Mingzheng Law Firm"),
}
# fontconfig family name of the Chinese font embedded in letters (Debian package fonts-wqy-microhei).
COMMS_LETTER_FONT = os.environ.get("HUIKUAN_LETTER_FONT", "WenQuanYi Micro Hei")
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "comms-consume-pending": {"task": "huikuan.comms.tasks.consume_pending", "schedule": 60.0},
    "comms-dispatch": {"task": "huikuan.comms.tasks.dispatch_outbox", "schedule": 30.0},
}
