"""The evidence pack (证据包): one ZIP per case with everything a lawyer files, and a manifest of its hashes.

The ZIP holds:

- ``summary.pdf``: the debtor, the accounts, the ledger statement to the fen with a running balance per
  account, every contact (time in the debtor's zone, channel, collector, party, outcome, notes), promises and
  plans, the letters sent with their delivery proof (sent, delivered, the provider's reference, the PDF's
  SHA-256), the legal case's facts and moves, the documents, and what each registered evidence source adds
  (``cases.evidence``: field visits when that app is installed);
- ``statement.csv``: the same ledger statement, machine-readable (formula cells escaped);
- ``letters/``: the letters' PDFs as they were printed; ``documents/``: the legal case's uploads;
  ``recordings/``: the calls' recordings; ``<source>/``: each evidence source's files;
- ``manifest.json``: every other file's size and SHA-256 (``kernel.legal.manifest``).

The pack is reproducible: it is built from the records alone, never from the time it is built (the build is
in the change log instead), the PDFs carry content-derived ids, and every ZIP entry has one fixed timestamp,
so the same records give the same manifest and the same ZIP, byte for byte.

The summaries are laid out the way letters are (``comms.channels.letter.pdf``): many cases' sections in one
WeasyPrint document per chunk, split back into one PDF per case, with the letters' embedded CJK font. That is
what makes a few hundred packs a minute possible (bench/evidence.py).
"""

from __future__ import annotations

import hashlib
import io
import os
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from huikuan.audit.records import record_access, record_change
from huikuan.cases.access import require_visible_case
from huikuan.cases.evidence import Evidence, EvidenceTable, evidence_sources
from huikuan.cases.models import Case, Interaction, Promise
from huikuan.comms.channels.letter.pdf import LetterSource, render_many
from huikuan.comms.models import CommChannel, Message, MessageStatus
from huikuan.kernel import legal as rules
from huikuan.legal.models import LegalCase
from huikuan.org.permissions import can_move_legal_cases, require
from huikuan.payments.models import RepaymentPlan
from huikuan.portfolio.models import Account, AccountBalance, EntryKind, LedgerEntry, debtor_zone
from huikuan.tabular.writing import csv_text
from huikuan.workbench.models import CallRecording

KIND_LABELS = dict(EntryKind.choices)
# Every entry's time in the ZIP: the earliest a ZIP can say. The time a pack was built is the change log's.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_OWED = ("principal", "interest", "fee", "penalty")


@dataclass
class Pack:
    case_id: int
    legal_case_id: int | None
    data: bytes  # the ZIP
    manifest: bytes
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"evidence-case-{self.case_id}.zip"


def build_pack(user: Any, case: Case) -> Pack:
    """The case's evidence pack, for someone who may build it (legal counsel, an admin); audited."""
    require(can_move_legal_cases(user), _("Only legal counsel build evidence packs."))
    require_visible_case(user, case)
    return build_packs(user, [case.pk])[case.pk]


def build_packs(user: Any, case_ids: Sequence[int], *, workers: int = 1, chunk_size: int = 25) -> dict[int, Pack]:
    """Packs for many cases at once (the command, the benchmark): records read in bulk, summaries laid out in
    chunks. Each build is written to the change log (and the debtor's personal data to the access log)."""
    records = _read(sorted(set(case_ids)))
    sources = {name: source(list(records.cases)) for name, source in evidence_sources().items()}
    language = translation.get_language() or "zh-hans"
    with translation.override(language):
        sections = [LetterSource(_anchor(cid), _summary_html(records, cid, sources)) for cid in records.cases]
        shell = render_to_string(
            "legal/evidence_document.html", {"title": _("Evidence pack"), "font": settings.COMMS_LETTER_FONT}
        )
    chunks = render_many(shell, sections, chunk_size=chunk_size, workers=workers, deterministic=True)
    pdfs = [pdf for chunk in chunks for pdf in chunk.letters]
    packs = {}
    for case_id, pdf in zip(records.cases, pdfs, strict=True):
        packs[case_id] = _zip(records, case_id, pdf, sources)
    _audit(user, records, packs)
    return packs


def _anchor(case_id: int) -> str:
    return f"evidence-{case_id}"


# --- Reading ------------------------------------------------------------------------------------------------


@dataclass
class Records:
    cases: dict[int, Case] = field(default_factory=dict)
    accounts: dict[int, list[Account]] = field(default_factory=lambda: defaultdict(list))  # by debtor
    balances: dict[int, AccountBalance] = field(default_factory=dict)
    entries: dict[int, list[LedgerEntry]] = field(default_factory=lambda: defaultdict(list))  # by account
    interactions: dict[int, list[Interaction]] = field(default_factory=lambda: defaultdict(list))
    promises: dict[int, list[Promise]] = field(default_factory=lambda: defaultdict(list))
    plans: dict[int, list[RepaymentPlan]] = field(default_factory=lambda: defaultdict(list))
    letters: dict[int, list[Message]] = field(default_factory=lambda: defaultdict(list))
    recordings: dict[int, list[CallRecording]] = field(default_factory=lambda: defaultdict(list))
    legal: dict[int, LegalCase] = field(default_factory=dict)  # the latest file of each case


def _read(case_ids: list[int]) -> Records:
    r = Records()
    r.cases = {c.pk: c for c in Case.objects.filter(pk__in=case_ids).select_related("debtor").order_by("pk")}
    debtor_ids = [c.debtor_id for c in r.cases.values()]
    for account in Account.objects.filter(debtor_id__in=debtor_ids).order_by("debtor_id", "due_date", "id"):
        r.accounts[account.debtor_id].append(account)
    account_ids = [a.pk for accounts in r.accounts.values() for a in accounts]
    r.balances = {b.account_id: b for b in AccountBalance.objects.filter(account_id__in=account_ids)}
    for entry in LedgerEntry.objects.filter(account_id__in=account_ids).order_by("account_id", "effective_date", "id"):
        r.entries[entry.account_id].append(entry)
    interactions = Interaction.objects.filter(case_id__in=r.cases).select_related("user").order_by("at", "id")
    for interaction in interactions:
        r.interactions[interaction.case_id].append(interaction)
    for promise in Promise.objects.filter(case_id__in=r.cases).order_by("due_date", "id"):
        r.promises[promise.case_id].append(promise)
    plans = RepaymentPlan.objects.filter(case_id__in=r.cases).prefetch_related("instalments").order_by("id")
    for plan in plans:
        r.plans[plan.case_id].append(plan)
    sent = Q(status__in=[MessageStatus.SENT, MessageStatus.DELIVERED]) | Q(sent_at__isnull=False)
    letters = Message.objects.filter(sent, case_id__in=r.cases, channel=CommChannel.LETTER).order_by("sent_at", "id")
    for letter in letters:
        if letter.case_id is not None:
            r.letters[letter.case_id].append(letter)
    for rec in (
        CallRecording.objects.filter(interaction__case_id__in=r.cases).select_related("interaction").order_by("id")
    ):
        r.recordings[rec.interaction.case_id].append(rec)
    legal_cases = LegalCase.objects.filter(case_id__in=r.cases).prefetch_related("documents", "moves__by")
    for legal_case in legal_cases.order_by("opened_at", "id"):
        r.legal[legal_case.case_id] = legal_case
    return r


# --- The statement --------------------------------------------------------------------------------------------


def statement_lines(records: Records, case_id: int) -> list[rules.StatementLine]:
    case = records.cases[case_id]
    rows = []
    for account in records.accounts[case.debtor_id]:
        for e in records.entries[account.pk]:
            amount = sum((getattr(e, c) for c in _OWED), Decimal("0.00"))
            rows.append((account.contract_no, e.effective_date, e.kind, e.reference, amount))
    return rules.statement(rows)


def owed(records: Records, case_id: int) -> Decimal:
    """What the debtor owes on their accounts now: the balance snapshots' sum, which the statement must reach."""
    accounts = records.accounts[records.cases[case_id].debtor_id]
    return sum(
        (
            sum((getattr(records.balances[a.pk], c) for c in _OWED), Decimal("0.00"))
            for a in accounts
            if a.pk in records.balances
        ),
        Decimal("0.00"),
    )


def _statement_csv(lines: list[rules.StatementLine]) -> bytes:
    header = ["account", "date", "kind", "reference", "amount", "balance"]
    rows: list[list[str | Decimal]] = [
        [ln.account, ln.day.isoformat(), ln.kind, ln.reference, ln.amount, ln.balance] for ln in lines
    ]
    return csv_text([header, *rows]).encode("utf-8")


# --- The summary ------------------------------------------------------------------------------------------------


def _local(at: datetime | None, zone: str) -> str:
    """The time in the debtor's zone: what the debtor's day and the contact hours were judged by."""
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") if at is not None else "—"


def _summary_html(records: Records, case_id: int, sources: dict[str, Any]) -> str:
    case = records.cases[case_id]
    debtor = case.debtor
    zone = debtor_zone(debtor.time_zone)
    lines = statement_lines(records, case_id)
    legal_case = records.legal.get(case_id)
    accounts = [(a, records.balances.get(a.pk)) for a in records.accounts[debtor.pk]]
    tables: list[EvidenceTable] = []
    for found in sources.values():
        evidence: Evidence | None = found.get(case_id)
        if evidence is not None:
            tables.extend(evidence.tables)
    contacts = [
        (
            _local(i.at, zone),
            str(i.get_channel_display()),
            str(i.user) if i.user else "—",
            str(i.get_party_display()),
            str(i.get_outcome_display()),
            " ".join(i.notes.split()),
        )
        for i in records.interactions[case_id]
    ]
    contact_header = (_("Time"), _("Channel"), _("Collector"), _("Party reached"), _("Outcome"), _("Notes"))
    statement_rows = [
        (
            ln.account,
            ln.day.isoformat(),
            str(KIND_LABELS.get(ln.kind, ln.kind)),
            ln.reference,
            str(ln.amount),
            str(ln.balance),
        )
        for ln in lines
    ]
    statement_header = (_("Contract"), _("Date"), _("Kind"), _("Reference"), _("Amount"), _("Balance"))
    return render_to_string(
        "legal/evidence_summary.html",
        {
            "anchor": _anchor(case_id),
            "case": case,
            "debtor": debtor,
            "zone": zone,
            "accounts": accounts,
            "statement": aligned([statement_header, *statement_rows], right={4, 5}),
            "closing": rules.closing_balances(lines),
            "owed": owed(records, case_id),
            "contacts": aligned([contact_header, *contacts]),
            "promises": records.promises[case_id],
            "plans": records.plans[case_id],
            "letters": [(m, _local(m.sent_at, zone), _local(m.delivered_at, zone)) for m in records.letters[case_id]],
            "legal_case": legal_case,
            "moves": [(m, _local(m.at, zone)) for m in legal_case.moves.all()] if legal_case else [],
            "documents": list(legal_case.documents.all()) if legal_case else [],
            "recordings": records.recordings[case_id],
            "tables": tables,
        },
    )


def aligned(rows: Sequence[Sequence[str]], right: frozenset[int] | set[int] = frozenset()) -> str:
    """Rows as columns of monospaced text, a Chinese character counted two wide (the mono face draws it so).

    A long statement or contact history laid out as one block of text instead of a table of cells: the PDF's
    layout time grows with the number of boxes, and a table cell is several (bench/evidence.py). The last
    column is left unpadded: a long note wraps there rather than widen every line."""
    if not rows:
        return ""
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [_pad(text, widths[i], right=i in right) if i < len(widths) else text for i, text in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, *, right: bool) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill


# --- The ZIP ----------------------------------------------------------------------------------------------------


def _file_bytes(path: str) -> bytes | None:
    """A stored file's bytes; None when it is gone (the summary still lists it with its recorded hash)."""
    try:
        return Path(path).read_bytes()
    except OSError:
        return None


def _zip(records: Records, case_id: int, summary: bytes, sources: dict[str, Any]) -> Pack:
    files: dict[str, bytes] = {
        "summary.pdf": summary,
        "statement.csv": _statement_csv(statement_lines(records, case_id)),
    }
    for letter in records.letters[case_id]:
        data = _file_bytes(letter.document) if letter.document else None
        if data is not None:
            files[f"letters/letter-{letter.pk}.pdf"] = data
    legal_case = records.legal.get(case_id)
    for document in legal_case.documents.all() if legal_case else []:
        data = _stored(document.file)
        if data is not None:
            files[f"documents/{document.pk}-{document.name}"] = data
    for rec in records.recordings[case_id]:
        data = _stored(rec.file)
        if data is not None:
            files[f"recordings/{rec.interaction_id}-{os.path.basename(rec.file.name or 'recording')}"] = data
    for name, found in sources.items():
        evidence: Evidence | None = found.get(case_id)
        for f in evidence.files if evidence is not None else ():
            files[f"{name}/{f.name}"] = f.data
    header = {
        "case": case_id,
        "legal_case": legal_case.pk if legal_case else None,
        "stage": legal_case.stage if legal_case else None,
        "owed": str(owed(records, case_id)),
    }
    manifest = rules.manifest(files, header)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            # PDFs, images and audio are compressed already; the text files are small.
            info.compress_type = zipfile.ZIP_DEFLATED if name.endswith((".csv", ".json")) else zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
        info = zipfile.ZipInfo("manifest.json", date_time=ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        archive.writestr(info, manifest)
    return Pack(case_id, legal_case.pk if legal_case else None, buffer.getvalue(), manifest, files)


def _stored(file: Any) -> bytes | None:
    try:
        with file.open("rb") as handle:
            data: bytes = handle.read()
            return data
    except (OSError, ValueError):
        return None


def _audit(user: Any, records: Records, packs: dict[int, Pack]) -> None:
    with transaction.atomic():
        for case_id, pack in packs.items():
            case = records.cases[case_id]
            subject: Any = records.legal.get(case_id) or case
            record_change(
                user,
                subject,
                "legal:evidence_pack",
                None,
                {"case": case_id, "files": len(pack.files) + 1, "manifest_sha256": _sha(pack.manifest)},
            )
            if getattr(user, "pk", None):
                # The command line (the system) has no person to log; its build is in the change log above.
                record_access(user, case.debtor, "evidence_pack", _("Evidence pack for legal proceedings"), "legal")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
