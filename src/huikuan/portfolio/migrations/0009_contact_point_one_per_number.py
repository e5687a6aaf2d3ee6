from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0008_contact_points_one_spelling"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="contactpoint", name="contact_point_unique_per_debtor"),
        migrations.AddConstraint(
            model_name="contactpoint",
            constraint=models.UniqueConstraint(fields=("debtor", "value"), name="contact_point_one_per_number"),
        ),
    ]
