"""Evidence sources: what other apps add to a case's evidence pack, without the pack's app knowing them.

The evidence pack (``huikuan.legal.evidence``) is built from the case file's own records (ledger, contacts,
promises, plans, letters, recordings, legal documents) and from every source registered here. An app that
keeps evidence of its own (field visits, say) registers a source in its ``AppConfig.ready``::

    from huikuan.cases.evidence import Evidence, EvidenceTable, register_evidence_source

    register_evidence_source("visits", visits_evidence)

A source takes case ids (the pack builds many at once) and returns, for the cases it knows something of,
tables for the pack's PDF summary and files for the ZIP (under ``<source name>/``). The registry lives in
``cases`` because every app that may hold evidence sits above it: the apps register downwards and the pack
reads downwards, so no app imports a sibling. A source must be deterministic (same records → same bytes):
the pack's manifest is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    name: str  # inside the source's folder of the ZIP
    data: bytes


@dataclass(frozen=True, slots=True)
class EvidenceTable:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Evidence:
    tables: tuple[EvidenceTable, ...] = ()
    files: tuple[EvidenceFile, ...] = ()


EvidenceSource = Callable[[Sequence[int]], Mapping[int, Evidence]]

_SOURCES: dict[str, EvidenceSource] = {}


def register_evidence_source(name: str, source: EvidenceSource) -> None:
    """Add (or replace, on a reload) the source called ``name``; the name is its folder in the ZIP."""
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"an evidence source needs a plain folder name, not {name!r}")
    _SOURCES[name] = source


def unregister_evidence_source(name: str) -> None:
    _SOURCES.pop(name, None)


def evidence_sources() -> dict[str, EvidenceSource]:
    """The registered sources, by name (in name order: the pack's order)."""
    return dict(sorted(_SOURCES.items()))
