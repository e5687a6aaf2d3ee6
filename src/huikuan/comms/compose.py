"""Turning an active template version and a case's values into the exact text, HTML and hash to send."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.template import Context, Engine
from django.urls import reverse
from django.utils import translation

from huikuan.kernel.comms.render import content_hash, render
from huikuan.kernel.comms.sms import SmsLength, sms_length

OPT_OUT_SALT = "huikuan.comms.opt-out"

# The e-mail's two templates have an engine of their own, loading only the tags they use. The project's engine
# imports every app's template tags the first time it renders, scoring's among them with LightGBM and
# scikit-learn: 5 to 10 s in each shard process of the nightly run, for two small templates. Same templates
# (found through the apps as the project's engine finds them), same autoescaping and filters, same text.
EMAIL_TEMPLATES = Engine(app_dirs=True, libraries={"i18n": "django.templatetags.i18n"})


def render_email(template_name: str, context: dict[str, object]) -> str:
    """``render_to_string`` of an e-mail template, without a request (no context processors, as before)."""
    return EMAIL_TEMPLATES.get_template(template_name).render(Context(context, autoescape=EMAIL_TEMPLATES.autoescape))


@dataclass(frozen=True, slots=True)
class Composed:
    subject: str
    body: str
    html: str
    content_hash: str
    missing: tuple[str, ...]
    sms: SmsLength | None


def opt_out_url(idempotency_key: str) -> str:
    token = signing.dumps(idempotency_key, salt=OPT_OUT_SALT, compress=True)
    return settings.SITE_URL.rstrip("/") + reverse("comms:opt_out", args=[token], urlconf=settings.HUIKUAN_LINK_URLCONF)


def paragraphs(text: str) -> list[str]:
    return [block.strip() for block in text.strip().split("\n\n") if block.strip()]


def compose(
    channel: str, language: str, subject: str, body: str, values: Mapping[str, str], idempotency_key: str = ""
) -> Composed:
    rendered_subject = render(subject, values)
    rendered_body = render(body, values)
    missing = tuple(dict.fromkeys(rendered_subject.missing + rendered_body.missing))
    html = ""
    # Signed once: the token carries a timestamp, and the text and HTML parts must offer the same link.
    link = opt_out_url(idempotency_key) if channel == "email" and idempotency_key else ""
    if channel == "email":
        with translation.override(language):
            html = render_email(
                "comms/email/message.html",
                {
                    "subject": rendered_subject.text,
                    "paragraphs": paragraphs(rendered_body.text),
                    "opt_out_url": link,
                    "company": values.get("company", ""),
                },
            )
    text = rendered_body.text
    if channel == "email" and idempotency_key:
        with translation.override(language):
            text = render_email("comms/email/message.txt", {"body": text.strip(), "opt_out_url": link})
    return Composed(
        subject=rendered_subject.text,
        body=text,
        html=html,
        content_hash=content_hash(rendered_subject.text, text, html),
        missing=missing,
        sms=sms_length(text) if channel == "sms" else None,
    )
