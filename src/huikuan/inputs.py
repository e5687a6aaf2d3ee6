"""The kernel's input parsers at the HTTP edges: sentences for their errors and the API's field types.

Views parse every form field with ``huikuan.kernel.inputs`` and show ``message(error)``; API schemas use
the annotated types below, so the OpenAPI schema states each bound and pydantic refuses what is out of
it with a 422 before a handler runs. Infrastructure: it knows Django and pydantic, no app.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Annotated, Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from pydantic import AfterValidator, BaseModel, Field

from huikuan.kernel.identifiers import has_control
from huikuan.kernel.inputs import InputError
from huikuan.kernel.money import LIMIT, parse_amount
from huikuan.kernel.search import resolve_choice


def max_amount() -> Decimal:
    """The largest amount anyone may state (HUIKUAN_MAX_AMOUNT), never beyond what money can hold."""
    return min(parse_amount(str(getattr(settings, "HUIKUAN_MAX_AMOUNT", "100000000.00"))), LIMIT - 1)


def message(error: InputError) -> str:
    """The error in the user's language."""
    sentences = {
        "required": _("This field is required."),
        "integer": _("Enter a whole number in the digits 0–9."),
        "range": _("Enter a number from %(low)s to %(high)s."),
        "amount": _("Enter an amount in digits with at most two decimals, such as 1234.50."),
        "amount_positive": _("The amount must be more than zero."),
        "amount_too_large": _("The amount is above the largest allowed, %(maximum)s."),
        "date": _("Enter a date that exists, as YYYY-MM-DD."),
        "datetime": _("Enter a date and time that exist, as YYYY-MM-DD HH:MM."),
        "control": _("The text contains control characters (such as NUL); remove them."),
        "too_long": _("The text is longer than %(max)s characters."),
    }
    sentence = sentences.get(error.code, _("The value is not valid."))
    return sentence % error.params if error.params else sentence


def _no_control(value: str) -> str:
    if has_control(value):
        raise ValueError("control characters (such as NUL) are not allowed")
    return value


# Strings sent to the API: no control characters, and a length the column (or the screen) can take.
Reason = Annotated[str, Field(max_length=200), AfterValidator(_no_control)]  # why: a reversal, a reveal, a decision
Reference = Annotated[str, Field(max_length=120), AfterValidator(_no_control)]  # a bank reference, a key, a number
Notes = Annotated[str, Field(max_length=20000), AfterValidator(_no_control)]  # notes, text to screen
# A policy's YAML. Even written as JSON \u escapes (12 bytes a character outside the BMP) it stays inside
# Django's DATA_UPLOAD_MAX_MEMORY_SIZE, so the schema, not the request parser, refuses a longer one.
Document = Annotated[str, Field(max_length=200_000), AfterValidator(_no_control)]
# A page size or a count asked for in a query string.
Limit = Annotated[int, Field(ge=1, le=1000)]
# A database id in a body or a query string: positive and within a bigint.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
# A contact's number or address as typed (the kernel spells it), and a person's name.
ContactValue = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_no_control)]
PersonName = Annotated[str, Field(max_length=100), AfterValidator(_no_control)]


class ErrorOut(BaseModel):
    """A refusal: why, in the user's language where it comes from a rule."""

    detail: str


class ValidationErrorOut(BaseModel):
    """A request the schema refuses (422): one entry per field, as pydantic reports it."""

    detail: list[dict[str, Any]]


def errors(*codes: int) -> dict[int, Any]:
    """The documented error responses of an operation: a sentence, or for 422 the schema's field errors
    (or a sentence, where a handler refuses an input the schema cannot describe)."""
    return {code: ValidationErrorOut | ErrorOut if code == 422 else ErrorOut for code in codes}


def parse_choice(
    text: str, choices: Iterable[tuple[str, Any]], extra: Mapping[str, Iterable[str]] | None = None
) -> str | None:
    """A filter's value from a query string: a code, or its label in any of the site's languages (已结案 is
    'closed'), through ``kernel.search.resolve_choice``; "" for blank text, None for text naming none."""
    if has_control(text):
        return None
    labelled = []
    for code, label in choices:
        names = list((extra or {}).get(code, ()))
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                names.append(str(label))
        labelled.append((code, tuple(names)))
    return resolve_choice(text, labelled)
