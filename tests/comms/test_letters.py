"""Letters: HTML/CSS to PDF with an embedded Chinese font, checked through poppler like a reader would."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.comms.conftest import owed

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def test_batch_renders_print_file_and_one_pdf_per_letter(zhang: Any, tmp_path: Path) -> None:
    from huikuan.comms.channels.letter.render import render_letter_batch
    from huikuan.comms.models import Message, MessageStatus
    from huikuan.comms.outbox import Request, queue_messages
    from huikuan.kernel.money import format_yuan

    report = queue_messages(
        [
            Request("work:1", zhang.debtor_id, "letter", "demand_letter", "formal", case_id=zhang.pk, batch="run:7"),
            Request("work:2", zhang.debtor_id, "letter", "lawyer_letter", "formal", case_id=zhang.pk, batch="run:7"),
        ]
    )
    assert report.queued == 2
    result = render_letter_batch("run:7", out_dir=tmp_path, workers=1)
    assert result.letters == 2 and result.print_file is not None

    def pdftext(path: Path) -> str:
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                              text=True).stdout  # fmt: skip

    demand = Message.objects.get(idempotency_key="work:1")
    assert demand.status == MessageStatus.SENT and len(demand.content_hash) == 64
    text = pdftext(Path(demand.document))
    amount_line = f"尚欠款项合计人民币{format_yuan(owed(zhang))}元"
    assert amount_line in text.replace(" ", "")
    for part in ("催款函", "张先生", "上海市徐汇区漕溪北路88号5楼", "滞纳金", "还款方式", "依法向人民法院提起诉讼"):
        assert part in text.replace(" ", ""), part
    assert "{{" not in text
    fonts = subprocess.run(["pdffonts", demand.document], check=True, capture_output=True, text=True).stdout
    assert "WenQuanYi" in fonts and all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])
    merged = pdftext(result.print_file)
    assert "催款函" in merged.replace(" ", "") and "律师函" in merged.replace(" ", "")

    # A PNG of the first page, as a person would see it; kept by CI as an artefact.
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", demand.document, str(prefix)], check=True)
    png = next(tmp_path.glob("page*.png"))
    assert png.stat().st_size > 20_000  # a blank or tofu page compresses to far less
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(png, ARTIFACTS / "letter-sample.png")


def test_letter_for_a_case_on_hold_is_not_printed(zhang: Any, tmp_path: Path) -> None:
    from huikuan.cases.models import CaseStatus, HoldReason
    from huikuan.comms.channels.letter.render import render_letter_batch
    from huikuan.comms.models import Message, MessageStatus
    from huikuan.comms.outbox import Request, queue_messages

    queue_messages([Request("work:9", zhang.debtor_id, "letter", "demand_letter", "formal", case_id=zhang.pk,
                            batch="run:8")])  # fmt: skip
    zhang.status, zhang.hold_reason = CaseStatus.ON_HOLD, HoldReason.DISPUTE
    zhang.save()
    result = render_letter_batch("run:8", out_dir=tmp_path, workers=1)
    assert (result.letters, result.blocked) == (0, 1)
    message = Message.objects.get(idempotency_key="work:9")
    assert message.status == MessageStatus.BLOCKED and message.gate_decision["blocking_rule"] == "cn.holds"


def test_the_letters_own_engine_composes_what_the_site_engine_composes(zhang: Any, monkeypatch: Any) -> None:
    from django.template.loader import render_to_string

    from huikuan.comms.channels.letter import render
    from huikuan.comms.models import Message
    from huikuan.comms.outbox import Request, queue_messages

    queue_messages(
        [
            Request("work:11", zhang.debtor_id, "letter", "demand_letter", "formal", case_id=zhang.pk, batch="run:9"),
            Request("work:12", zhang.debtor_id, "letter", "lawyer_letter", "formal", case_id=zhang.pk, batch="run:9"),
        ]
    )
    messages = list(Message.objects.filter(batch="run:9").order_by("id"))
    assert len(messages) == 2
    for message in messages:
        for language in ("zh-hans", "en"):
            message.language = language
            own = render.letter_document(message)
            monkeypatch.setattr(render, "_render", render_to_string)
            site = render.letter_document(message)
            monkeypatch.undo()
            assert own == site
            assert "{{" not in own and "{%" not in own and message.idempotency_key in own


def _pdf_pages_text(pdf: bytes, tmp_path: Path, name: str) -> list[str]:
    path = tmp_path / name
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return [page.replace(" ", "") for page in text.split("\f") if page.strip()]


def test_a_chunk_is_one_layout_split_back_letter_by_letter(tmp_path: Path) -> None:
    """A letter running over a page keeps both pages in its own file, numbered from 1 with its reference."""
    from huikuan.comms.channels.letter.pdf import LetterSource, render_chunk
    from huikuan.comms.channels.letter.render import letter_shell

    def section(anchor: str, reference: str, paragraphs: int) -> LetterSource:
        body = "".join(f"<p>第{i}段：请于期限内还款。</p>" for i in range(paragraphs))
        html = (
            f'<section class="letter zh" id="{anchor}" data-reference="{reference}"><h1>{anchor}</h1>{body}</section>'
        )
        return LetterSource(anchor, html)

    letters = [section("long", "REF-A", 90), section("short", "REF-B", 3), section("last", "REF-C", 3)]
    chunk = render_chunk(letter_shell("test"), letters)

    long_pages, short_pages, last_pages = (
        _pdf_pages_text(pdf, tmp_path, f"{n}.pdf") for n, pdf in enumerate(chunk.letters)
    )
    assert len(long_pages) >= 2 and len(short_pages) == 1 and len(last_pages) == 1
    assert "第0段" in long_pages[0] and "第89段" in long_pages[-1]
    assert "REF-A·1" in long_pages[0] and "REF-A·2" in long_pages[1]
    assert "REF-B·1" in short_pages[0] and "第2段" in short_pages[0] and "long" not in short_pages[0]
    assert "REF-C·1" in last_pages[0]
    merged = _pdf_pages_text(chunk.merged, tmp_path, "merged.pdf")
    assert len(merged) == len(long_pages) + 2


def test_pages_must_be_told_apart_letter_by_letter() -> None:
    import pytest

    from huikuan.comms.channels.letter.pdf import LayoutError, first_pages

    assert first_pages([["a", "x"], [], ["b"], ["c"]], ["a", "b", "c"]) == [0, 2, 3]
    with pytest.raises(LayoutError, match="without a page: b"):
        first_pages([["a"], ["c"]], ["a", "b", "c"])
    with pytest.raises(LayoutError, match="start a new page"):
        first_pages([["a", "b"], ["c"]], ["a", "b", "c"])
    with pytest.raises(LayoutError, match="start a new page"):
        first_pages([["b"], ["a"]], ["a", "b"])


def test_chunks_come_back_in_order_from_the_workers_while_the_letters_are_still_read(tmp_path: Path) -> None:
    """The batch composes letters lazily and files each chunk as it returns: the order must hold."""
    from huikuan.comms.channels.letter.pdf import LetterSource, render_stream
    from huikuan.comms.channels.letter.render import letter_shell

    read: list[int] = []

    def letters() -> Any:
        for i in range(7):
            read.append(i)
            yield LetterSource(
                f"l{i}", f'<section class="letter" id="l{i}" data-reference="R{i}"><p>第{i}封</p></section>'
            )

    chunks = list(render_stream(letter_shell("test"), letters(), chunk_size=2, workers=2))
    assert read == list(range(7)) and [len(c.letters) for c in chunks] == [2, 2, 2, 1]
    pages = [
        _pdf_pages_text(pdf, tmp_path, f"{n}-{i}.pdf")
        for n, chunk in enumerate(chunks)
        for i, pdf in enumerate(chunk.letters)
    ]
    assert [len(p) for p in pages] == [1] * 7
    assert all(f"第{i}封" in page[0] and f"R{i}·1" in page[0] for i, page in enumerate(pages))


def test_chunks_are_even_and_a_multiple_of_the_workers_so_the_layout_ends_together() -> None:
    """978 letters in 50s left a last chunk of 28 that one worker laid out while the other sat idle."""
    from huikuan.comms.channels.letter.pdf import chunk_sizes

    assert chunk_sizes(978, 50, 2) == [49] * 18 + [48] * 2
    assert chunk_sizes(1000, 50, 2) == [50] * 20
    assert chunk_sizes(101, 50, 2) == [26, 25, 25, 25]
    assert chunk_sizes(50, 50, 2) == [50] and chunk_sizes(3, 50, 2) == [3]  # one chunk: laid out in the caller
    assert chunk_sizes(0, 50, 2) == []
    for count in range(1, 400):
        for workers in (1, 2, 3, 4):
            sizes = chunk_sizes(count, 50, workers)
            assert sum(sizes) == count and max(sizes) <= 50 and max(sizes) - min(sizes) <= 1
            assert len(sizes) == 1 or len(sizes) % workers == 0


def test_the_stream_lays_out_the_planned_chunks_and_reads_letters_beyond_the_count(tmp_path: Path) -> None:
    from huikuan.comms.channels.letter.pdf import LetterSource, render_stream
    from huikuan.comms.channels.letter.render import letter_shell

    def letters(n: int) -> Any:
        for i in range(n):
            yield LetterSource(f"l{i}", f'<section class="letter" id="l{i}" data-reference="R{i}"><p>{i}</p></section>')

    chunks = list(render_stream(letter_shell("test"), letters(7), chunk_size=3, workers=2, count=7))
    assert [len(c.letters) for c in chunks] == [2, 2, 2, 1]  # 3 + 3 + 1 without the count
    # More letters than counted: the rest go in chunks of chunk_size; fewer: the stream just ends.
    more = list(render_stream(letter_shell("test"), letters(9), chunk_size=3, workers=2, count=7))
    assert [len(c.letters) for c in more] == [2, 2, 2, 1, 2]
    fewer = list(render_stream(letter_shell("test"), letters(5), chunk_size=3, workers=2, count=7))
    assert [len(c.letters) for c in fewer] == [2, 2, 1]
