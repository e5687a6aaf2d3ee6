"""HTML letters to PDF with WeasyPrint; no Django here, so process-pool workers can run it.

A chunk of letters is laid out as ONE document: the style cascade, the font set-up and the font subset are
then paid once per chunk instead of once per letter (a third less time per letter than one document each).
Every letter is a `<section>` that starts a page group (see the document's stylesheet) and whose first line
carries the letter's id, so its first page is found from the page anchors and the chunk's PDF is split back into
one file per letter for the evidence archive. Each letter's file therefore carries the chunk's font subset: a few
kilobytes more than strictly needed, in exchange for the throughput.
"""

from __future__ import annotations

import gc
import io
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from itertools import islice, pairwise

# Imported with the module, not on the first render: the batch's worker processes are forked from the
# process that imports this, so they start with WeasyPrint and qpdf loaded instead of each importing them
# (a second or two of CPU per worker, on the two cores that lay the letters out).
import pikepdf

from huikuan.comms.channels.letter.weasy import LetterHTML

SLOT = "<!--letters-->"


@dataclass(frozen=True, slots=True)
class LetterSource:
    anchor: str  # the id of the letter's <section>: how its first page is found
    html: str


@dataclass(frozen=True, slots=True)
class RenderedChunk:
    merged: bytes
    letters: tuple[bytes, ...]


class LayoutError(RuntimeError):
    """The laid-out pages cannot be told apart letter by letter (a template lost its section or its id)."""


def first_pages(page_anchors: Sequence[Sequence[str]], anchors: Sequence[str]) -> list[int]:
    """The index of each letter's first page; every letter must start a page of its own, in order."""
    found: dict[str, int] = {}
    for index, names in enumerate(page_anchors):
        for name in names:
            found.setdefault(name, index)
    missing = [anchor for anchor in anchors if anchor not in found]
    if missing:
        raise LayoutError(f"letters without a page: {', '.join(missing[:5])}")
    starts = [found[anchor] for anchor in anchors]
    if starts[0] != 0 or any(later <= earlier for earlier, later in pairwise(starts)):
        raise LayoutError(f"letters do not each start a new page: first pages {starts[:10]}")
    return starts


def render_chunk(
    shell: str, letters: Sequence[LetterSource], base_url: str = "", *, deterministic: bool = False
) -> RenderedChunk:
    """Lay the chunk out once and split it back letter by letter. ``deterministic`` derives each file's PDF /ID
    from its content instead of the time (an evidence pack's files hash the same when built again)."""
    if SLOT not in shell:
        raise LayoutError(f"the document shell has no {SLOT} slot")
    html = shell.replace(SLOT, "".join(letter.html for letter in letters))
    document = LetterHTML(string=html, base_url=base_url or None).render()
    starts = first_pages([list(page.anchors) for page in document.pages], [letter.anchor for letter in letters])
    merged = document.write_pdf()
    assert merged is not None
    ends = [*starts[1:], len(document.pages)]
    pdfs = []
    # qpdf copies the pages with the objects they use (the chunk's font subset) ten times faster than pypdf.
    with pikepdf.open(io.BytesIO(merged)) as source:
        for start, end in zip(starts, ends, strict=True):
            with pikepdf.new() as letter:
                letter.pages.extend(source.pages[start:end])
                buffer = io.BytesIO()
                letter.save(buffer, deterministic_id=deterministic)
            pdfs.append(buffer.getvalue())
    return RenderedChunk(merged, tuple(pdfs))


def _start_worker() -> None:
    """Set up a forked layout worker's garbage collector (its own process: the caller's is left alone).

    The worker inherits the caller's heap (Django, the application, the batch's messages): a few hundred
    thousand objects that every full collection scanned again, and WeasyPrint's boxes and styles set off a young
    collection every 700 allocations, each moving the chunk's live boxes up a generation. Together that was
    15–20% of a chunk's CPU. The inherited objects are never the worker's garbage, so they are frozen out of
    the collector; a larger first threshold collects the layout's short-lived cycles in fewer passes.
    """
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def render_many(
    shell: str,
    letters: Sequence[LetterSource],
    *,
    chunk_size: int = 50,
    workers: int = 1,
    deterministic: bool = False,
) -> list[RenderedChunk]:
    return list(render_stream(shell, letters, chunk_size=chunk_size, workers=workers, deterministic=deterministic))


def chunk_sizes(count: int, size: int, workers: int) -> list[int]:
    """Chunks of at most ``size`` letters, as many per worker, and as even as can be.

    Fifty-letter chunks left the last one short (978 letters: nineteen of 50 and one of 28): the worker that did
    not get it sat idle while the other laid it out, a second of one core at the end of every batch. Equal
    chunks, a multiple of the workers in number, end together.
    """
    if count <= size:
        return [count] if count > 0 else []  # one chunk, laid out in the caller's process (render_stream)
    per_round = size * max(1, workers)
    chunks = max(1, workers) * -(-count // per_round)
    base, extra = divmod(count, chunks)
    return [base + 1] * extra + [base] * (chunks - extra)


def _chunks(letters: Iterable[LetterSource], size: int, sizes: Sequence[int] = ()) -> Iterator[list[LetterSource]]:
    """The letters in chunks of ``sizes`` in turn, then of ``size`` (for letters beyond the planned count)."""
    iterator = iter(letters)
    for planned in sizes:
        chunk = list(islice(iterator, planned))
        if not chunk:
            return
        yield chunk
    while chunk := list(islice(iterator, size)):
        yield chunk


def render_stream(
    shell: str,
    letters: Iterable[LetterSource],
    *,
    chunk_size: int = 50,
    workers: int = 1,
    deterministic: bool = False,
    count: int | None = None,
) -> Iterator[RenderedChunk]:
    """The chunks laid out, in order, as they are done. ``count``, the number of letters when the caller knows it,
    evens the chunks out across the workers (``chunk_sizes``).

    ``letters`` is read lazily and at most two chunks per worker are in flight: the workers start on the first
    chunk while the caller is still composing the rest, and the caller files each chunk's letters while the
    workers lay out the next ones. The caller's own work then fills the cores instead of leaving one idle
    before and after the layout, and a large batch never holds all its PDFs at once.
    """
    render = partial(render_chunk, shell, deterministic=deterministic)
    chunks = _chunks(letters, chunk_size, chunk_sizes(count, chunk_size, workers) if count and workers > 1 else ())
    first = next(chunks, None)
    if first is None:
        return
    second = next(chunks, None)
    if workers <= 1 or second is None:
        # One chunk is laid out here: starting worker processes would cost more than it saves.
        yield render(first)
        if second is not None:
            yield render(second)
            yield from map(render, chunks)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker) as pool:
        pending: deque[Future[RenderedChunk]] = deque([pool.submit(render, first), pool.submit(render, second)])
        for chunk in chunks:
            pending.append(pool.submit(render, chunk))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def concatenate(pdfs: Sequence[bytes]) -> bytes:
    """One print file from several PDFs, pages in order."""
    with pikepdf.new() as merged:
        sources = [pikepdf.open(io.BytesIO(pdf)) for pdf in pdfs]
        try:
            for source in sources:
                merged.pages.extend(source.pages)
            buffer = io.BytesIO()
            merged.save(buffer)
        finally:
            for source in sources:
                source.close()
    return buffer.getvalue()
