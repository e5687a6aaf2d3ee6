"""HTML letters to PDF with WeasyPrint; no Django here, so process-pool workers can run it.

Laying out a letter is the costly part and is done once per letter; embedding the font (a subset of the
Chinese glyphs used) is done once per chunk by writing the chunk's pages as one PDF, which is then split into
one file per letter for the evidence archive. Each letter's file therefore carries the chunk's font subset:
a few kilobytes more than strictly needed, in exchange for several times the throughput.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RenderedChunk:
    merged: bytes
    letters: tuple[bytes, ...]


def render_chunk(htmls: Sequence[str], base_url: str = "") -> RenderedChunk:
    from pypdf import PdfReader, PdfWriter
    from weasyprint import HTML

    documents = [HTML(string=html, base_url=base_url or None).render() for html in htmls]
    pages = [page for document in documents for page in document.pages]
    merged = documents[0].copy(pages).write_pdf()
    assert merged is not None
    reader = PdfReader(io.BytesIO(merged))
    letters = []
    start = 0
    for document in documents:
        writer = PdfWriter()
        for index in range(start, start + len(document.pages)):
            writer.add_page(reader.pages[index])
        start += len(document.pages)
        buffer = io.BytesIO()
        writer.write(buffer)
        letters.append(buffer.getvalue())
    return RenderedChunk(merged, tuple(letters))


def render_many(htmls: Sequence[str], *, chunk_size: int = 50, workers: int = 1) -> list[RenderedChunk]:
    chunks = [list(htmls[i : i + chunk_size]) for i in range(0, len(htmls), chunk_size)]
    if workers <= 1 or len(chunks) <= 1:
        return [render_chunk(chunk) for chunk in chunks]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(render_chunk, chunks))


def concatenate(pdfs: Sequence[bytes]) -> bytes:
    """One print file from several PDFs, pages in order."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(io.BytesIO(pdf)))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
