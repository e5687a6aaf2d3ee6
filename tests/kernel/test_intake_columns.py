"""The columnar checks of an import row (kernel.intake.validate_frame) against the scalar rule (validate_row).

One definition, two forms: on any row, each field the expressions decide gets the code validate_row gives
it (none where it is fine), and a row validated with the expressions' answer is validated exactly as
without it (the same record, the same errors with the same messages' parameters)."""

from __future__ import annotations

from datetime import date

import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

from huikuan.kernel import intake
from huikuan.kernel.pii import cn_id_check_char

HEADERS = {name: name for name in intake.FIELDS}
CTX = intake.RowContext(limits={"name": 40, "customer_no": 32, "contract_no": 32})


def _fmt(day: date, style: int) -> str:
    y, m, d = day.year, day.month, day.day
    return (
        f"{y:04d}-{m:02d}-{d:02d}",
        f"{y}/{m}/{d}",
        f"{y}.{m}.{d}",
        f"{y}年{m}月{d}日",
        f"{y:04d}{m:02d}{d:02d}",
        f"{y:04d}-{m:02d}-{d:02d} 00:00:00",
        f"{y:04d}-{m:02d}-{d:02d}T08:00",
    )[style]


def _resident_id(draw: st.DrawFn) -> str:
    born = draw(st.dates(date(1900, 1, 1), date(2010, 12, 31)))
    first17 = f"{draw(st.integers(110000, 659999))}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return first17 + cn_id_check_char(first17)


ODD_AMOUNTS = ["0", "0.00", "1,234.50", "¥12", "12元", "-5", "+5", "12.345", "12.300", "1e3", "abc", "１２", "12.",
               "100000000.00", "100000000.01", "99999999999999", " 7 ", "1 234", "12,34", "NaN", "\x0712"]  # fmt: skip
ODD_DATES = ["2024-02-30", "0000-01-01", "2024-1-1 12:00", "２０２４-01-01", "2024年2月30日", "20241301", "x",
             "2024-01-01\x07", "2024--01-01", "T", " 2024-01-02", "99999-01-01", "2024-13-01"]  # fmt: skip


@st.composite
def amounts(draw: st.DrawFn) -> str:
    return draw(
        st.one_of(
            st.just(""),
            st.decimals(0, 10**9, places=2, allow_nan=False).map(str),
            st.integers(0, 10**10).map(str),
            st.sampled_from(ODD_AMOUNTS),
            st.text(max_size=6),
        )
    )


@st.composite
def dates(draw: st.DrawFn) -> str:
    return draw(
        st.one_of(
            st.just(""),
            st.builds(_fmt, st.dates(date(1990, 1, 1), date(2030, 12, 31)), st.integers(0, 6)),
            st.sampled_from(ODD_DATES),
            st.text(max_size=10),
        )
    )


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    valid = _resident_id(draw)
    return draw(
        st.one_of(
            st.just(""),
            st.just(valid),
            st.just(valid.lower()),
            st.just(f"{valid[:6]} {valid[6:]}"),
            st.just(valid[:17] + draw(st.sampled_from("0123456789X"))),
            st.just(valid[:-1]),
            st.sampled_from(
                ["110105194902300021", "11010519491231002Y", "１１０１０５１９４９１２３１００２Ｘ", "A1234567"]
            ),
            st.text(max_size=20),
        )
    )


@st.composite
def rows(draw: st.DrawFn) -> dict[str, str]:
    row = {
        "customer_no": draw(st.sampled_from(["C1", "", "C2"])),
        "name": "张三",
        "contract_no": "K1",
        "product": draw(st.sampled_from(["credit_card", "信用卡", "", "bogus"])),
        "mobile": draw(st.sampled_from(["", "13800138000", "123"])),
        "id_type": draw(st.sampled_from(["", "resident_id", "身份证", "RESIDENT_ID", "passport", "credit_code", "x"])),
        "debtor_kind": draw(st.sampled_from(["", "person", "个人", "company", "企业", "x"])),
        "id_number": draw(id_numbers()),
    }
    for name, _, _ in intake.COLUMN_AMOUNTS:
        row[name] = draw(amounts())
    for name, _ in intake.COLUMN_DATES:
        row[name] = draw(dates())
    return row


# Found by CI: a passport's number the expressions do not decide (they check a resident's only), on a row with
# no error at all; the row is read whole by the scalar rule, which finds nothing to say.
_UNDECIDED_BUT_FINE = {
    "customer_no": "C1", "name": "张三", "contract_no": "K1", "product": "credit_card", "mobile": "",
    "id_type": "passport", "debtor_kind": "", "id_number": "110000200001010000", "original_amount": "0.01",
    "principal": "0.00", "interest": "", "fee": "", "penalty": "", "monthly_income": "",
    "open_date": "2024-1-1 12:00", "due_date": "2024-1-1 12:00", "as_of": "",
}  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(rows(), min_size=1, max_size=8))
@example([_UNDECIDED_BUT_FINE])
def test_columnar_and_scalar_agree(raws: list[dict[str, str]]) -> None:
    frame = intake.column_frame(raws)
    answer = intake.validate_frame(frame, CTX.max_amount)
    checked = intake.checked_fields(frame, CTX.max_amount)
    for i, raw in enumerate(raws):
        record, errors = intake.validate_row(i + 2, raw, HEADERS, CTX)
        codes = {name: answer[f"{name}!"][i] for name in intake.COLUMN_FIELDS if f"{name}!" in answer.columns}
        for name, code in codes.items():
            if code == intake.UNDECIDED:
                continue
            assert not code or code in intake.COLUMN_CODES
            scalar = [e.code for e in errors if e.column == name]
            assert scalar == ([code] if code else []), (name, raw[name], code, errors)
        # A row the expressions flag has an error, and is read whole by the scalar rule; so is one with a field
        # they could not decide, which may have none.
        flagged = any(code not in ("", intake.UNDECIDED) for code in codes.values())
        if flagged:
            assert errors
            assert checked[i] is None
        # With the expressions' answer the scalar rule gives exactly what it gives alone.
        # (repr: an amount's places too, which Decimal's equality does not compare.)
        assert repr(intake.validate_row(i + 2, raw, HEADERS, CTX, checked[i])) == repr((record, errors))


def test_plain_rows_are_decided_by_the_expressions() -> None:
    """The usual row (plain amounts, ISO dates, a resident ID) is decided whole by the expressions."""
    first17 = "11010519491231002"
    raw = {"original_amount": "1200.5", "principal": "1000", "interest": "0.00", "fee": "", "penalty": "3",
           "monthly_income": "", "open_date": "2024-01-31", "due_date": "2024/2/1", "as_of": "",
           "id_number": first17 + cn_id_check_char(first17), "id_type": "", "debtor_kind": ""}  # fmt: skip
    [checked] = intake.checked_fields(intake.column_frame([raw]))
    assert checked is not None
    assert checked["original_amount"] == 120050
    record, errors = intake.validate_row(2, {**raw, "customer_no": "C1", "name": "张三", "contract_no": "K1",
                                             "product": "credit_card"}, HEADERS, CTX, checked)  # fmt: skip
    assert not errors and record is not None and repr(record.original_amount) == "Decimal('1200.50')"
    assert repr(record.interest) == "Decimal('0.00')"
    assert checked["fee"] is None and checked["as_of"] is None
    assert checked["due_date"] == date(2024, 2, 1)
    assert checked["id_number"] == "resident_id"


def test_flagged_fields() -> None:
    raw = {"original_amount": "0", "principal": "", "interest": "abc", "fee": "100000000.01", "penalty": "-1",
           "open_date": "2024-02-01", "due_date": "2024-01-01", "as_of": "2024-02-30",
           "id_number": "110105194912310021"}  # fmt: skip
    answer = intake.validate_frame(intake.column_frame([raw])).row(0, named=True)
    assert {k: v for k, v in answer.items() if k.endswith("!") and v} == {
        "original_amount!": "zero",
        "principal!": "required",
        "interest!": "amount",
        "fee!": "too_large",
        "penalty!": intake.UNDECIDED,  # a sign: parse_amount's general path decides
        "due_date!": "before_open",
        "as_of!": "date",
        "id_number!": "id_number",
    }
    assert pl.DataFrame(answer).height == 1
