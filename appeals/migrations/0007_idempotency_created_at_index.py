"""An index for the daily retention purge, which finds the oldest idempotency records
by their creation time and deletes them a chunk at a time."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("appeals", "0006_member_flags_db_default")]

    operations = [
        migrations.AddIndex(
            model_name="idempotencyrecord",
            index=models.Index(fields=["created_at"], name="idempotency_created_at"),
        ),
    ]
