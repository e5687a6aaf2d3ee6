"""Writes the bad-input corpus under tests/corpus/bad_inputs/: one file per kind of bad input, for the account
import and the bank statement import, and expected.yaml, what each file must get (a file error, or row errors
with row, column and reason code).

The files are committed; run `python -m tests.corpus.make_bad_inputs` to write them again after changing this.
The one file larger than a megabyte (a cell beyond the CSV reader's own limit) is written by the test into its
temporary folder instead (`large_inputs`).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent / "bad_inputs"

ACCOUNT_HEADER = [
    "customer_no", "name", "contract_no", "product", "original_amount", "open_date", "due_date", "principal",
    "penalty", "employer", "address", "mobile", "email", "contact1_name", "contact1_relation", "contact1_phone",
]  # fmt: skip
GOOD_ACCOUNT = {
    "customer_no": "BAD-C1",
    "name": "张伟",
    "contract_no": "BAD-HT-1",
    "product": "信用卡",
    "original_amount": "20000.00",
    "open_date": "2025-01-15",
    "due_date": "2026-09-30",
    "principal": "12000",
    "penalty": "120.25",
    "employer": "北京某某科技有限公司",
    "address": "北京市朝阳区建国路88号",
    "mobile": "13812341234",
    "email": "zw@example.com",
    "contact1_name": "李娜",
    "contact1_relation": "配偶",
    "contact1_phone": "13900001111",
}
STATEMENT_HEADER = ["transaction_id", "amount", "paid_on", "contract_no", "customer_no", "memo"]
GOOD_PAYMENT = {
    "transaction_id": "BAD-T1",
    "amount": "100.00",
    "paid_on": "2025-11-03",
    "contract_no": "",
    "customer_no": "BAD-C1",
    "memo": "工资",
}
# What Excel and LibreOffice evaluate: a command, a function, a sign.
FORMULAS = ("=cmd|' /C calc'!A0", "@SUM(A1)", "+1", "-1")


def account(n: int, **changes: str) -> dict[str, str]:
    return {**GOOD_ACCOUNT, "customer_no": f"BAD-C{n}", "contract_no": f"BAD-HT-{n}", **changes}


def payment(n: int, **changes: str) -> dict[str, str]:
    return {**GOOD_PAYMENT, "transaction_id": f"BAD-T{n}", **changes}


def csv_bytes(header: Sequence[str], rows: Sequence[dict[str, str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(header: Sequence[str], rows: Sequence[dict[str, str]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(header))
    for r in rows:
        sheet.append([r.get(h, "") for h in header])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _accounts() -> dict[str, tuple[bytes, dict[str, object]]]:
    H = ACCOUNT_HEADER
    long_email = "z" * 290 + "@example.com"
    japanese = "顧客番号,氏名\nJ001,山田太郎\nJ002,佐藤花子\nJ003,鈴木一郎\n"
    traditional = "客戶號,姓名,地址\nK1,陳大文,臺北市信義區忠孝東路五段\nK2,黃小明,高雄市前鎮區中山二路\n"
    western = "customer_no,name,address\nK1,Müller Jürgen,Straße 5 Köln\nK2,François Lefèvre,Rue de l'Église\n"
    good_xlsx = xlsx_bytes(H, [account(1)])
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good_xlsx)) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]  # a sheet cut off half-way
            target.writestr(item, data)
    return {
        "nul_in_name.csv": (csv_bytes(H, [account(1, name="张\x00伟")]), {"rows": [[2, "name", "control_character"]]}),
        "control_characters.csv": (
            csv_bytes(H, [account(1, address="北京市\x1b[31m朝阳区"), account(2, employer="公司\x07")]),
            {"rows": [[2, "address", "control_character"], [3, "employer", "control_character"]]},
        ),
        "too_long_fields.csv": (
            csv_bytes(
                H,
                [
                    account(1, name="张" * 201),
                    account(2, customer_no="C" * 65),
                    account(3, contract_no="H" * 65),
                    account(4, address="路" * 301),
                    account(5, contact1_name="李" * 101),
                    account(6, employer="司" * 201),
                    account(7, email=long_email),
                ],
            ),
            {
                "rows": [
                    [2, "name", "too_long"],
                    [3, "customer_no", "too_long"],
                    [4, "contract_no", "too_long"],
                    [5, "address", "too_long"],
                    [6, "contact1_name", "too_long"],
                    [7, "employer", "too_long"],
                    [8, "email", "too_long"],
                ]
            },
        ),
        "huge_cell.csv": (
            csv_bytes(H, [account(1), account(2, address="x" * (128 * 1024 + 1))]),
            {"rows": [[3, "address", "cell_too_large"]]},
        ),
        "formula_cells.csv": (
            csv_bytes(
                H,
                [
                    account(1, principal=FORMULAS[0]),
                    account(2, open_date=FORMULAS[1]),
                    account(3, mobile=FORMULAS[2]),
                    account(4, original_amount=FORMULAS[3]),
                ],
            ),
            {
                "rows": [
                    [2, "principal", "amount"],
                    [3, "open_date", "date"],
                    [4, "mobile", "phone"],
                    [5, "original_amount", "negative"],
                ],
                "formulas": list(FORMULAS),
            },
        ),
        "impossible_values.csv": (
            csv_bytes(
                H,
                [
                    account(1, due_date="2026-02-30"),
                    account(2, principal="NaN"),
                    account(3, principal="Infinity"),
                    account(4, principal="1e999999"),
                    account(5, principal="12,34"),
                    account(6, principal="１２３"),
                ],
            ),
            {
                "rows": [
                    [2, "due_date", "date"],
                    [3, "principal", "amount"],
                    [4, "principal", "amount"],
                    [5, "principal", "amount"],
                    [6, "principal", "amount"],
                    [7, "principal", "amount"],
                ]
            },
        ),
        "missing_columns.csv": (
            csv_bytes(["customer_no", "name"], [{"customer_no": "BAD-C1", "name": "张伟"}]),
            {
                "rows": [
                    [1, c, "missing_column"]
                    for c in ("contract_no", "product", "original_amount", "open_date", "due_date", "principal")
                ]
            },
        ),
        "shift_jis.csv": (japanese.encode("shift_jis"), {"file": "Shift-JIS"}),
        "big5.csv": (traditional.encode("big5"), {"file": "does not read as Chinese text"}),
        "windows_1252.csv": (western.encode("cp1252"), {"file": "does not read as Chinese text"}),
        "binary.csv": (bytes(range(256)) * 4, {"file": "neither UTF-8 nor GB18030"}),
        "header_only.csv": (csv_bytes(H, []), {"file": "no rows"}),
        "blank_rows_only.csv": (csv_bytes(H, []) + b",,,\n\n \n", {"file": "no rows"}),
        "empty.csv": (b"", {"file": "empty"}),
        "not_a_spreadsheet.xlsx": (b"PK\x03\x04 this is not a zip archive", {"file": "cannot be read"}),
        "damaged_sheet.xlsx": (damaged.getvalue(), {"file_or_rows": "cannot be read"}),
        "long_name.xlsx": (xlsx_bytes(H, [account(1, name="张" * 201)]), {"rows": [[2, "name", "too_long"]]}),
        "not_a_table.pdf": (b"%PDF-1.4\n", {"file": "Unsupported file type"}),
    }


def _statements() -> dict[str, tuple[bytes, dict[str, object]]]:
    H = STATEMENT_HEADER
    return {
        "long_transaction_id.csv": (
            csv_bytes(H, [payment(1, transaction_id="T" * 121)]),
            {"rows": [[2, "transaction_id", "too_long"]]},
        ),
        "long_memo.csv": (csv_bytes(H, [payment(1, memo="备" * 121)]), {"rows": [[2, "memo", "too_long"]]}),
        "long_contract_no.csv": (
            csv_bytes(H, [payment(1, contract_no="H" * 65, customer_no="")]),
            {"rows": [[2, "contract_no", "too_long"]]},
        ),
        "nul_transaction_id.csv": (
            csv_bytes(H, [payment(1, transaction_id="T\x001")]),
            {"rows": [[2, "transaction_id", "control_character"]]},
        ),
        "control_memo.csv": (
            csv_bytes(H, [payment(1, memo="工资\x1b")]),
            {"rows": [[2, "memo", "control_character"]]},
        ),
        "huge_cell.csv": (
            csv_bytes(H, [payment(1, memo="x" * (128 * 1024 + 1))]),
            {"rows": [[2, "memo", "cell_too_large"]]},
        ),
        "formula_cells.csv": (
            csv_bytes(
                H,
                [
                    payment(1, amount=FORMULAS[0]),
                    payment(2, paid_on=FORMULAS[1]),
                    payment(3, amount=FORMULAS[3]),
                ],
            ),
            {
                "rows": [[2, "amount", "amount"], [3, "paid_on", "date"], [4, "amount", "zero"]],
                "formulas": [FORMULAS[0], FORMULAS[1], FORMULAS[3]],
            },
        ),
        "shift_jis.csv": ("取引番号,金額\nT1,100\nT2,200\nT3,振込手数料\n".encode("shift_jis"), {"file": "Shift-JIS"}),
        "header_only.csv": (csv_bytes(H, []), {"file": "no rows"}),
    }


def large_inputs(folder: Path, reader_limit: int) -> dict[str, Path]:
    """The file with a cell beyond the CSV reader's limit, written where the test wants it."""
    path = folder / "over_reader_limit.csv"
    path.write_bytes(csv_bytes(ACCOUNT_HEADER, [account(1, address="x" * (reader_limit + 1)), account(2)]))
    return {"accounts": path}


def write_all(folder: Path = HERE) -> None:
    expected: dict[str, dict[str, object]] = {}
    makers: dict[str, Callable[[], dict[str, tuple[bytes, dict[str, object]]]]] = {
        "accounts": _accounts,
        "statements": _statements,
    }
    for kind, make in makers.items():
        (folder / kind).mkdir(parents=True, exist_ok=True)
        expected[kind] = {}
        for name, (data, outcome) in make().items():
            (folder / kind / name).write_bytes(data)
            expected[kind][name] = outcome
    (folder / "expected.yaml").write_text(
        "# What each file of the corpus must get; written by tests/corpus/make_bad_inputs.py.\n"
        + yaml.safe_dump(expected, allow_unicode=True, sort_keys=True),
        encoding="utf-8",
    )


if __name__ == "__main__":
    write_all()
