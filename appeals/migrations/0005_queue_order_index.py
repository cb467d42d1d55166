"""An index in the reviewers' queue order over the cases they still work.

The queue reads `score DESC NULLS LAST, decide_by, id` and stops at a page. A plain
`score DESC` index keeps nulls first in PostgreSQL, cannot serve that order, and left
the queue sorting every open case. SQLite (the demo database) cannot declare NULLS LAST
in an index, so the index is made on PostgreSQL only and kept out of the model state.
"""

from django.db import migrations

WORKING = "('received', 'in_review', 'pending_info', 'clinical_review', 'decided')"

CREATE = f"""
CREATE INDEX IF NOT EXISTS appeal_queue_order
ON appeals_appeal (score DESC NULLS LAST, decide_by ASC NULLS LAST, id ASC)
WHERE status IN {WORKING}
"""
DROP = "DROP INDEX IF EXISTS appeal_queue_order"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("appeals", "0004_integrations")]

    operations = [
        migrations.RemoveIndex(model_name="appeal", name="appeal_open_score"),
        migrations.RunPython(create, drop),
    ]
