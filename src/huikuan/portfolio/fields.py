"""Money columns stored as whole fen in a BIGINT.

SQLite has no decimal type (Django stores DecimalField there as REAL, so SUM drifts); integers are exact
on every database and SQL aggregates stay exact. Python code only ever sees Decimal with two places.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.expressions import Combinable

from huikuan.kernel.money import FEN, MoneyError, parse_amount, to_fen

__all__ = ["MoneyField", "from_fen", "to_fen"]


def from_fen(value: int) -> Decimal:
    return (Decimal(value) * FEN).quantize(FEN)


class MoneyField(models.BigIntegerField):
    description = "Amount in yuan with two places, stored as integer fen"
    # What django-stubs reads for the attribute's type on model instances.
    _pyi_private_set_type: Decimal | int | str | Combinable  # type: ignore[assignment]
    _pyi_private_get_type: Decimal  # type: ignore[assignment]

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        return None if value is None else from_fen(int(value))

    def to_python(self, value: Any) -> Decimal | None:
        if value is None or (isinstance(value, Decimal) and value == value.quantize(FEN)):
            return value
        try:
            return parse_amount(value if not isinstance(value, float) else str(value))
        except MoneyError as exc:
            raise ValidationError(str(exc), code="invalid") from exc

    def get_prep_value(self, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = Decimal(value)
        amount = self.to_python(value)
        return None if amount is None else to_fen(amount)

    def formfield(self, **kwargs: Any) -> Any:
        return forms.DecimalField(max_digits=16, decimal_places=2, **{"required": not self.blank, **kwargs})
