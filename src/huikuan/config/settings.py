"""Settings from the environment.

Defaults give the zero-set-up demo: a SQLite file under ./var/ and Celery tasks run in-process.
Production and CI set DATABASE_URL (PostgreSQL) and REDIS_URL. Outside demo mode (DEBUG or HUIKUAN_DEMO)
the settings refuse to load without real secrets and turn on HTTPS-only cookies, HSTS and the redirect
to HTTPS (docs/deploy.md).
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from huikuan.config.schedules import beat_schedule
from huikuan.config.secrets import secrets_from
from huikuan.kernel.localtime import DEFAULT_TIME_ZONE

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# The working directory, not the package, owns ./var: an installed package must not write beside its code.
VAR_DIR = Path(os.environ.get("HUIKUAN_VAR_DIR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _schedule(name: str, default: str) -> object:
    return beat_schedule(name, os.environ.get(name, default))


DEBUG = _env_bool("DEBUG", False)
# The demo (make demo), the test suite and the development tools: the public demo secrets are accepted and
# the site is served over plain HTTP. Everything else is production.
HUIKUAN_DEMO = DEBUG or _env_bool("HUIKUAN_DEMO", False)
PRODUCTION = not HUIKUAN_DEMO
_SECRETS = secrets_from(os.environ, demo_allowed=HUIKUAN_DEMO)
SECRET_KEY = _SECRETS["SECRET_KEY"]
# Keys national ID numbers before hashing: without it a 18-digit ID space is small enough to brute-force.
PII_HASH_KEY = _SECRETS["PII_HASH_KEY"]
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Serves the API docs' Swagger UI from our static files instead of a CDN (the CSP allows only 'self').
    "ninja",
    "axes",
    "huikuan.org",
    "huikuan.audit",
    "huikuan.holidays",
    "huikuan.notifications",
    "huikuan.portfolio",
    "huikuan.cases",
    "huikuan.compliance",
    "huikuan.payments",
    "huikuan.comms",
    "huikuan.intake",
    "huikuan.scoring",
    "huikuan.strategy",
    "huikuan.workbench",
    "huikuan.legal",
    "huikuan.qa",
    "huikuan.fieldwork",
    "huikuan.selfservice",
    "huikuan.training",
    "huikuan.analytics",
    "huikuan.web",
    "huikuan.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "huikuan.web.middleware.RefuseControlCharacters",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication (it records who was refused), before the views whose refusals it records.
    "huikuan.audit.middleware.RefusalAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "huikuan.config.urls"
# The URLconf of the links messages carry (opt-out, self-service): composing needs only these (config.link_urls).
HUIKUAN_LINK_URLCONF = "huikuan.config.link_urls"
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
                "huikuan.web.context_processors.user_capabilities",
                "huikuan.web.context_processors.unread_notifications",
                "huikuan.web.context_processors.guide_tour",
            ],
        },
    },
]

SILENCED_SYSTEM_CHECKS: list[str] = []
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'huikuan.sqlite3'}"
# A web worker keeps its connection between requests (checked before reuse, so a restarted server costs one
# failed check, not an error): opening one cost each page 8 ms at load 3, up to 19 ms, on the reference
# machine. 0 closes it after each request, as before (a pooler that wants short sessions).
DB_CONN_MAX_AGE = int(os.environ.get("HUIKUAN_DB_CONN_MAX_AGE", "60"))
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=DB_CONN_MAX_AGE > 0)
}
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
    SILENCED_SYSTEM_CHECKS.append("models.W040")

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

# Login throttling (django-axes): after HUIKUAN_LOGIN_FAILURE_LIMIT wrong passwords for one user name, that
# name cannot log in, even with the right password, until HUIKUAN_LOGIN_LOCKOUT_MINUTES pass without another
# attempt or an administrator unlocks it (docs/deploy.md). Counted per user name, not per address: a call
# centre's collectors share one public IP, and a lock on it would shut the whole floor out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("HUIKUAN_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("HUIKUAN_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes warns that a lock without the address lets an attacker rotate user agents or cookies; this lock counts
# a name's failures from every address and agent together, so rotating them changes nothing.
SILENCED_SYSTEM_CHECKS.append("axes.W006")
AXES_LOCKOUT_CALLABLE = "huikuan.web.views.login_locked_out"
AXES_VERBOSE = False
# The address logins and refusals are recorded under: behind reverse proxies (HUIKUAN_PROXY_COUNT of them,
# each appending the address it saw to X-Forwarded-For) it is read from that header, counted from the right,
# so a client cannot choose the address recorded by sending the header itself.
HUIKUAN_PROXY_COUNT = int(os.environ.get("HUIKUAN_PROXY_COUNT", "0"))
# The random share of each collector's transcribed calls that goes to the weekly QA queue (0..1), on top of
# every flagged call and every complaint (docs/qa.md).
QA_SAMPLE_SHARE = os.environ.get("HUIKUAN_QA_SAMPLE_SHARE", "0.1")
AXES_CLIENT_IP_CALLABLE = "huikuan.audit.records.client_ip"

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# The server's zone: the day of the nightly runs and of the screens. A debtor's own rules use their zone.
TIME_ZONE = os.environ.get("TIME_ZONE", DEFAULT_TIME_ZONE)
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("HUIKUAN_STATIC_ROOT", VAR_DIR / "static")).resolve()
MEDIA_ROOT = VAR_DIR / "media"
# Production serves the files `huikuan collectstatic` gathered, compressed and with content hashes in their
# names (cached for ever by browsers); the demo and the tests serve them straight from the apps.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

# Every page, in every mode, runs under this policy: scripts, styles, images and requests from this site
# only; no inline script or style attribute, no eval, no framing. The browser tests fail on any violation.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# HTTPS-only in production: cookies never travel in clear, browsers remember to use HTTPS (HSTS), and plain
# HTTP is redirected. TLS ends at the reverse proxy; gunicorn trusts its X-Forwarded-Proto header only from
# the addresses in FORWARDED_ALLOW_IPS (gunicorn's own setting, 127.0.0.1 by default).
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: pages carry the token (forms, htmx's hx-headers, the API docs).
CSRF_COOKIE_HTTPONLY = True
# A form sent from a stale page (an expired session, a page left open over a deploy) gets the styled 403 in
# the user's language, not Django's English one.
CSRF_FAILURE_VIEW = "huikuan.web.views.csrf_failure"
SECURE_SSL_REDIRECT = PRODUCTION and _env_bool("HUIKUAN_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("HUIKUAN_HSTS_SECONDS", str(365 * 24 * 3600))) if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("HUIKUAN_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = _env_bool("HUIKUAN_HSTS_PRELOAD", True)
X_FRAME_OPTIONS = "DENY"

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
# A worker process reserves one task beyond the one it runs, not four: a strategy shard takes minutes, and a
# machine that reserved several would run them one after another while other machines stood idle
# (docs/deploy.md, "More worker machines").
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# Roles that may ask to see a full phone number or contact detail (every reveal is audited).
PII_REVEAL_ROLES = [
    r.strip() for r in os.environ.get("PII_REVEAL_ROLES", "team_lead,qa,legal,admin").split(",") if r.strip()
]
DEFAULT_PHONE_REGION = os.environ.get("DEFAULT_PHONE_REGION", "CN")
DEFAULT_CURRENCY = os.environ.get("DEFAULT_CURRENCY", "CNY")
# The zone of a debtor who has none recorded (an import row without one, an empty field): the day their
# payments, promises and plans are dated by, and the hours the gate reads for them.
DEFAULT_DEBTOR_TIME_ZONE = os.environ.get("DEFAULT_DEBTOR_TIME_ZONE", DEFAULT_TIME_ZONE)
# The collection rule pack in force (cn, us, uk); COMPLIANCE_OVERRIDES (JSON: rule id → params) adjusts it.
COMPLIANCE_PACK = os.environ.get("COMPLIANCE_PACK", "cn")
# Statutes of limitations in whole years, by product and the debtor's state (JSON, e.g. {"credit_card": 6,
# "credit_card/CA": 4, "*/NY": 3}: the product in the state, else any product in the state, else the product
# anywhere); counted from each account's due date. A debt nothing applies to is never time-barred. The US pack
# refuses suits and threats of suit on a time-barred debt (12 CFR 1006.26(b)) and adds the disclosures states
# require (us.time_barred_disclosure).
HUIKUAN_LIMITATION_YEARS = json.loads(os.environ.get("HUIKUAN_LIMITATION_YEARS", "{}"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# The nightly jobs: promises and plans are settled at 01:00 so the strategy run at 01:30 (strategy/executors.py)
# sees yesterday's kept and broken promises before anyone starts working the queues.
# HUIKUAN_SETTLEMENT_SCHEDULE and HUIKUAN_STRATEGY_SCHEDULE move them (five crontab fields, or seconds).
CELERY_BEAT_SCHEDULE = {
    "payments-nightly-settlement": {
        "task": "payments.nightly_settlement",
        "schedule": _schedule("HUIKUAN_SETTLEMENT_SCHEDULE", "0 1 * * *"),
        "options": {"expires": 60 * 60 * 6},
    },
    "strategy-nightly-run": {
        "task": "huikuan.strategy.nightly_run",
        "schedule": _schedule("HUIKUAN_STRATEGY_SCHEDULE", "30 1 * * *"),
        "options": {"expires": 60 * 60 * 6},
    },
    # Yesterday's daily facts (analytics/facts.py), once its promises have settled and today's run has written
    # the arms: after both.
    "analytics-nightly-facts": {
        "task": "huikuan.analytics.nightly_facts",
        "schedule": _schedule("HUIKUAN_FACTS_SCHEDULE", "30 3 * * *"),
        "options": {"expires": 60 * 60 * 6},
    },
    # Last week's KPIs to each team lead (analytics/reports.py): Monday 08:00 in TIME_ZONE (CELERY_TIMEZONE).
    "analytics-weekly-report": {
        "task": "huikuan.analytics.weekly_report",
        "schedule": _schedule("HUIKUAN_WEEKLY_REPORT_SCHEDULE", "0 8 * * 1"),
        "options": {"expires": 60 * 60 * 12},
    },
}
# The contact gate the strategy run asks before writing planned contacts: the compliance pack's batch gate;
# huikuan.kernel.strategy.gate.minimal_gate is the pack-free fallback.
# How many shards (by case id) a strategy run splits into: without a broker they run side by side in child
# processes on PostgreSQL (one after another on SQLite), with Redis each is a Celery task. Two for two cores.
# The largest amount any form, API call or imported file may state (yuan): far above any real debt, far below
# what a typo of extra zeros makes. Payments are also bounded by the balance (HUIKUAN_PAYMENTS).
HUIKUAN_MAX_AMOUNT = os.environ.get("HUIKUAN_MAX_AMOUNT", "100000000.00")
HUIKUAN_STRATEGY_SHARDS = int(os.environ.get("HUIKUAN_STRATEGY_SHARDS", "2"))
HUIKUAN_STRATEGY_GATE = os.environ.get("HUIKUAN_STRATEGY_GATE", "huikuan.compliance.strategy_gate.compliance_gate")
# Debtor self-service (docs/selfservice.md): payment providers' credentials as JSON; a key ending in "_file"
# (or "_files", a list) names PEM files read here. Without a provider's credentials the page offers bank
# transfer only.


def _provider_credentials(variable: str) -> dict[str, object]:
    config: dict[str, object] = json.loads(os.environ.get(variable, "{}") or "{}")
    for key in [k for k in config if k.endswith("_file")]:
        config[key.removesuffix("_file")] = Path(str(config.pop(key))).read_text()
    for key in [k for k in config if k.endswith("_files")]:
        config[key.removesuffix("_files")] = [Path(str(f)).read_text() for f in config.pop(key)]  # type: ignore[attr-defined]
    return config


HUIKUAN_WECHATPAY = _provider_credentials("HUIKUAN_WECHATPAY")
HUIKUAN_ALIPAY = _provider_credentials("HUIKUAN_ALIPAY")
HUIKUAN_BANK_TRANSFER = json.loads(os.environ.get("HUIKUAN_BANK_TRANSFER", "{}") or "{}")
HUIKUAN_SELF_SERVICE_LINK_DAYS = int(os.environ.get("HUIKUAN_SELF_SERVICE_LINK_DAYS", "14"))
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
    # Requests written ahead on one kept-alive connection (HTTP/1.1 pipelining: comms/channels/sms/providers.py).
    # Off (1, one at a time) unless asked for: many gateways and proxies mishandle pipelined requests, and one
    # slow answer holds up those behind it. 25 is what bench/outbox.py measures against its loopback gateway.
    "pipeline": int(os.environ.get("HUIKUAN_SMS_PIPELINE", "1")),
}
COMMS_WEBHOOK_SECRET = _SECRETS["HUIKUAN_WEBHOOK_SECRET"]
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
    # US: each newly placed case's validation notice within the hour (nothing under the other packs).
    "comms-validation-notices": {"task": "huikuan.comms.tasks.validation_notices", "schedule": 3600.0},
    # Call-backs and promises that fell due, as the collectors' notifications (workbench/notices.py).
    "workbench-notify-due": {"task": "huikuan.workbench.tasks.notify_due", "schedule": 300.0},
    # Court hearings in the next days, as legal counsel's notifications (legal/notices.py).
    "legal-hearing-reminders": {"task": "huikuan.legal.tasks.notify_hearings", "schedule": 3600.0},
}
# Legal documents: the largest upload accepted (scans, PDFs, recordings), in MB.
HUIKUAN_LEGAL_MAX_UPLOAD_MB = int(os.environ.get("HUIKUAN_LEGAL_MAX_UPLOAD_MB", "20"))
