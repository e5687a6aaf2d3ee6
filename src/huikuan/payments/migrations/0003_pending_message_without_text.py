from django.db import migrations, models


class Migration(migrations.Migration):
    """Payments no longer words its messages: comms renders them from templates.

    The text gets a default first, so the removal can be reversed on a table that has rows.
    """

    dependencies = [
        ("payments", "0002_waiver_episode"),
    ]

    operations = [
        migrations.AlterField(
            model_name="pendingmessage",
            name="body",
            field=models.CharField(default="", max_length=500, verbose_name="text"),
        ),
        migrations.RemoveField(
            model_name="pendingmessage",
            name="body",
        ),
    ]
