"""The row report of a file import: one translated line per error, and the same as a CSV to download.

Shared by every import (accounts, bank statements): a row error says the row, the column, the value and
the reason in the user's language.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from huikuan.kernel import intake
from huikuan.tabular.writing import csv_text, xlsx_bytes


def error_lines(errors: Iterable[intake.RowError]) -> list[str]:
    """One translated line per row error; shared by every file import."""
    return [
        _("Row %(row)s, column %(column)s, value “%(value)s”: %(reason)s")
        % {"row": e.row, "column": e.column, "value": e.value, "reason": reason(e)}
        for e in errors
    ]


def error_rows(errors: Iterable[intake.RowError]) -> list[list[str | int]]:
    """The report as a table: a header, then row, column, value and reason per error."""
    rows: list[list[str | int]] = [[_("row"), _("column"), _("value"), _("reason")]]
    rows.extend([e.row, e.column, e.value, reason(e)] for e in errors)
    return rows


def errors_csv(errors: Iterable[intake.RowError]) -> str:
    """The report as CSV text, through the one writer: a value such as ``=cmd|' /C calc'!A0`` from the
    imported file is written so that the spreadsheet opening the report shows it and does not run it."""
    return csv_text(error_rows(errors))


def errors_xlsx(errors: Iterable[intake.RowError]) -> bytes:
    return xlsx_bytes(error_rows(errors))


def error_messages() -> dict[str, str]:
    """Every row error's code and its explanation in the active language (the user guide lists them)."""
    return {
        "required": _("a value is required"),
        "choice": _("not one of the allowed values (%(allowed)s)"),
        "amount": _("not an amount (digits with at most two decimals)"),
        "negative": _("must not be negative"),
        "too_large": _("above the largest amount allowed (%(maximum)s)"),
        "zero": _("must be greater than zero"),
        "rate": _("not a rate (a decimal such as 0.18 or a percentage such as 18%%)"),
        "date": _("not a date (use YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日)"),
        "phone": _("not a valid phone number"),
        "email": _("not a valid e-mail address"),
        "id_number": _("not a valid ID number (%(detail)s)"),
        "before_open": _("due date is before the open date %(open_date)s"),
        "time_zone": _("not a known time zone (e.g. Asia/Shanghai)"),
        "duplicate": _("contract number already appears in row %(first_row)s"),
        "name_conflict": _("customer %(customer_no)s has another name in row %(first_row)s"),
        "missing_column": _("the file has no column for this required field"),
        # What a cell holds, whatever its field (kernel/text.py).
        "too_long": _("%(length)s characters, longer than the %(limit)s this field holds"),
        "control_character": _("holds a control character (%(character)s), which cannot be stored"),
        "cell_too_large": _("the cell holds %(length)s characters, more than the %(limit)s any cell may hold"),
        "cell_over_reader_limit": _(
            "a cell of this row holds more than %(limit)s characters: the row and the rows after it cannot be read"
        ),
        "unreadable": _("the row cannot be read (%(detail)s); the rows after it were not read"),
        # What the importing user may do (kernel/import_authority.py).
        "debtor_not_yours": _("this customer is not one of your team's debtors: a team lead imports only those"),
        "team_not_yours": _("a team lead imports only into their own team"),
        "not_a_collector": _("cases go to collectors, and this user is not one"),
        "collector_inactive": _("this collector's account is not active"),
        "collector_other_team": _("this collector is not in the case's team"),
        "owed_decrease": _(
            "lowers principal or interest by %(decrease)s: only an administrator's import may (money received "
            "is a payment to post)"
        ),
        "beyond_authority": _(
            "lowers penalties and fees by %(decrease)s (%(total)s on this customer's case in the file), beyond "
            "your waiver authority of %(authority)s on the case"
        ),
        # Bank statements (payments/statement.py).
        "duplicate_transaction": _("transaction already appears in row %(first_row)s"),
        "unknown_contract": _("no account has this contract number"),
        "unknown_customer": _("no debtor has this customer number"),
        "contract_customer": _("the contract belongs to another customer"),
        "contract_moved": _("the contract belongs to customer %(customer_no)s; a contract does not change customer"),
        "payer_required": _("give a contract number or a customer number"),
        "future_date": _("the payment date is in the future"),
        "key_conflict": _("this transaction was already posted with another amount, date or payer"),
        "not_allocatable": _("the payment cannot be allocated: %(detail)s"),
    }


def reason(error: intake.RowError) -> str:
    template = error_messages().get(error.code, error.code)
    return template % dict(error.params) if error.params else template.replace("%%", "%")
