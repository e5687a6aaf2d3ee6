from django.db import migrations, models


class Migration(migrations.Migration):
    """Room for a source's prefix before a caller's key of up to 120 characters (payments.models.KEY_PREFIXES)."""

    dependencies = [
        ("payments", "0003_pending_message_without_text"),
    ]

    operations = [
        migrations.AlterField(
            model_name="payment",
            name="idempotency_key",
            field=models.CharField(max_length=127, unique=True, verbose_name="idempotency key"),
        ),
    ]
