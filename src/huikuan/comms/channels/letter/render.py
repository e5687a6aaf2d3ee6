"""Letters (催款函, 律师函): HTML from the letter layout, PDFs in batches, files in the evidence archive."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.template import Context, Engine
from django.utils import translation

from huikuan import clock
from huikuan.cases.models import Interaction, Outcome, Party
from huikuan.comms.channels.letter.pdf import SLOT, LayoutError, LetterSource, concatenate, render_stream
from huikuan.comms.compliance_adapter import decision_record, gate_inputs, gate_messages
from huikuan.comms.compose import paragraphs
from huikuan.comms.models import CommChannel, Message, MessageStatus
from huikuan.db.bulkwrite import update_rows

_AMOUNT_ROWS = (("principal", "Principal"), ("interest", "Interest"), ("fee", "Fees"), ("penalty", "Late charges"))


@cache
def _letter_engine() -> Engine:
    """The letters' own template engine: the project's template folders and i18n, nothing else.

    The site's engine imports every app's tag library when it is first used, and one of them brings the scoring
    model's numerical libraries (two seconds of CPU): a batch in a fresh process paid that before its first
    chunk could be laid out, with both workers idle. The letter templates load i18n only.
    """
    return Engine(app_dirs=True, libraries={"i18n": "django.templatetags.i18n"})


def _render(template: str, context: dict[str, Any]) -> str:
    return _letter_engine().get_template(template).render(Context(context))


def letter_anchor(message: Message) -> str:
    return f"letter-{message.pk or 'preview'}"


def letter_html(message: Message) -> str:
    """One letter's `<section>`; `letter_document` holds one or many of them."""
    values: dict[str, Any] = dict(message.variables)
    sender = settings.COMMS_SENDER
    zh = message.language.startswith("zh")
    with translation.override(message.language):
        return _render(
            "comms/letter/letter.html",
            {
                "zh": zh,
                "anchor": letter_anchor(message),
                "title": message.subject,
                "paragraphs": paragraphs(message.body),
                "values": values,
                "company": sender["company"] if zh else sender["company_en"],
                "sender_address": sender["address"],
                "hotline": sender["hotline"],
                "law_firm": (sender["law_firm"] if zh else sender["law_firm_en"])
                if message.purpose == "lawyer_letter"
                else "",
                "reference": message.idempotency_key,
            },
        )


def letter_shell(title: str, lang: str = "") -> str:
    """The document around the letters: page set-up, font and styles, and the slot the sections go in. ``lang``
    is for a browser showing one letter (a batch mixes languages; each letter's is set by its class)."""
    context = {"title": title, "font": settings.COMMS_LETTER_FONT, "lang": lang}
    return _render("comms/letter/document.html", context)


def letter_document(message: Message) -> str:
    """One letter as a whole HTML document, laid out as the batch lays it out (the template preview)."""
    lang = "zh-Hans" if message.language.startswith("zh") else "en"
    return letter_shell(message.subject, lang).replace(SLOT, letter_html(message))


@dataclass
class BatchResult:
    batch: str
    letters: int
    blocked: int
    print_file: Path | None
    directory: Path


def render_letter_batch(batch: str, *, out_dir: Path | None = None, workers: int | None = None) -> BatchResult:
    """Render every queued letter of ``batch``: one merged print file plus one PDF per letter.

    The gate is asked for each letter first (a case put on hold since the run gets no letter). The files are
    written before the rows are marked sent; a crash in between leaves the letters queued and a re-run simply
    renders them again into the same paths.
    """

    now = clock.now()
    safe = batch.replace(":", "-").replace("/", "-")
    directory = Path(out_dir or settings.COMMS_LETTER_DIR) / safe
    directory.mkdir(parents=True, exist_ok=True)
    messages = list(
        Message.objects.filter(channel=CommChannel.LETTER, batch=batch, status=MessageStatus.QUEUED).order_by("id")
    )
    decisions = gate_messages(gate_inputs(messages), now) if messages else {}
    allowed = [m for m in messages if decisions[m.id].allowed]
    blocked = [m for m in messages if not decisions[m.id].allowed]
    if blocked:
        with transaction.atomic():
            for message in blocked:
                message.status = MessageStatus.BLOCKED
                message.gate_decision = decision_record(decisions[message.id], now)
            Message.objects.bulk_update(blocked, ["status", "gate_decision"])
    if not allowed:
        return BatchResult(batch, 0, len(blocked), None, directory)
    # Composed lazily: the workers lay out the first chunks while the rest are composed (render_stream).
    sources = (LetterSource(letter_anchor(m), letter_html(m)) for m in allowed)
    workers = workers or min(os.cpu_count() or 1, 4)
    stream = render_stream(letter_shell(batch), sources, workers=workers, count=len(allowed))
    print_file = directory / f"{safe}-print.pdf"
    merged: list[bytes] = []
    letters = iter(allowed)
    for chunk in stream:
        merged.append(chunk.merged)
        # The chunk's files first in the zip: it ends there without taking a message of the next chunk.
        for pdf, message in zip(chunk.letters, letters, strict=False):
            path = directory / f"letter-{message.id}.pdf"
            path.write_bytes(pdf)
            message.document = str(path)
            message.content_hash = hashlib.sha256(pdf).hexdigest()
    if next(letters, None) is not None:
        raise LayoutError("the batch's letters and their PDFs do not pair up")
    print_file.write_bytes(concatenate(merged) if len(merged) > 1 else merged[0])
    sent_at = clock.now()
    for message in allowed:
        message.status = MessageStatus.SENT
        message.gate_decision = decision_record(decisions[message.id], now)
        message.provider = "print"
        message.provider_id = print_file.name
        message.sent_at = sent_at
        message.attempts += 1
    evidence = [
        Interaction(case_id=m.case_id, contact_point_id=m.contact_point_id, channel=CommChannel.LETTER,
                    party=Party.NOBODY, outcome=Outcome.SENT, notes=f"{m.purpose} #{m.id}", at=sent_at)
        for m in allowed
        if m.case_id
    ]  # fmt: skip
    with transaction.atomic():
        _mark_sent(allowed)
        Interaction.objects.bulk_create(evidence, batch_size=500)
    return BatchResult(batch, len(allowed), len(blocked), print_file, directory)


_SENT_FIELDS = ("status", "document", "content_hash", "gate_decision", "provider", "provider_id", "sent_at", "attempts")


def _mark_sent(messages: list[Message]) -> None:
    """One set-based update (bulk_update's CASE expressions cost the batch a tenth of its time at 1,000 letters)."""
    by_name = {field.name: field for field in Message._meta.concrete_fields}
    fields = [by_name[name] for name in _SENT_FIELDS]
    rows = [
        (m.pk, *(field.get_db_prep_save(getattr(m, field.attname), connection) for field in fields)) for m in messages
    ]
    update_rows(Message._meta.db_table, _SENT_FIELDS, rows)  # plain fields: each column is the field's name
