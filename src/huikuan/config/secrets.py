"""The secrets an installation must set itself, and the demo values that stand in for them in the demo.

A demo value is public (it is in this file), so anything keyed with it can be forged: session cookies and
password-reset links (SECRET_KEY), national ID hashes that can then be brute-forced (PII_HASH_KEY), and
provider webhooks such as an inbound "退订" or a delivery receipt (HUIKUAN_WEBHOOK_SECRET). Outside demo
mode the settings refuse to load while any of them is missing or still its demo value.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

# Environment variable → its demo value.
DEMO_SECRETS: dict[str, str] = {
    "SECRET_KEY": "huikuan-demo-secret-key-change-me-in-production-0123456789",
    "PII_HASH_KEY": "huikuan-demo-pii-key-change-me",
    "HUIKUAN_WEBHOOK_SECRET": "huikuan-demo-webhook-secret-change-me",
}

HOW_TO_FIX = (
    "Set each to its own long random value "
    '(for example: python -c "import secrets; print(secrets.token_urlsafe(50))"), '
    "keep PII_HASH_KEY for the life of the database (stored ID hashes depend on it), "
    "or run the demo with HUIKUAN_DEMO=1 (make demo does)."
)


def unsafe_secrets(environ: Mapping[str, str]) -> list[str]:
    """The variables that are missing, blank or still their demo value, in a stable order."""
    return [name for name, demo in DEMO_SECRETS.items() if environ.get(name, "").strip() in ("", demo)]


def secrets_from(environ: Mapping[str, str], *, demo_allowed: bool) -> dict[str, str]:
    """Each secret's value; the demo value only where demo_allowed, otherwise ImproperlyConfigured naming them all."""
    unsafe = unsafe_secrets(environ)
    if unsafe and not demo_allowed:
        raise ImproperlyConfigured(
            f"Refusing to start with DEBUG off: {', '.join(unsafe)} "
            f"{'is' if len(unsafe) == 1 else 'are'} not set or still the public demo value. {HOW_TO_FIX}"
        )
    return {name: environ.get(name, "").strip() or demo for name, demo in DEMO_SECRETS.items()}
