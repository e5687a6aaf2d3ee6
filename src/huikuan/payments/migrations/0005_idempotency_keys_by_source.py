from typing import Any

from django.db import migrations
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

# As payments.models.KEY_PREFIXES when this was written; a migration does not follow later code.
# Statement keys were prefixed ("bank:") before; manual and API keys were stored as their callers gave them.
PREFIXES = {"manual": "manual:", "api": "api:"}


def namespace(apps: Any, schema_editor: Any) -> None:
    payment = apps.get_model("payments", "Payment")
    for source, prefix in PREFIXES.items():
        payment.objects.filter(source=source).update(idempotency_key=Concat(Value(prefix), F("idempotency_key")))


def unnamespace(apps: Any, schema_editor: Any) -> None:
    payment = apps.get_model("payments", "Payment")
    for source, prefix in PREFIXES.items():
        payment.objects.filter(source=source, idempotency_key__startswith=prefix).update(
            idempotency_key=Substr("idempotency_key", len(prefix) + 1)
        )


class Migration(migrations.Migration):
    """Manual and API payments' keys get their source's prefix, as new ones are stored: an API key such as
    "bank:TX-1" no longer stands where a bank statement's transaction TX-1 would.

    Every such key is prefixed, also one that already began with a prefix: it was the caller's key as
    given. No two keys can meet afterwards, since each source has its own prefix and the keys were unique.
    """

    dependencies = [
        ("payments", "0004_idempotency_key_length"),
    ]

    operations = [migrations.RunPython(namespace, unnamespace)]
