from django.db import migrations

# The model refuses changes already; the trigger also stops a raw UPDATE or DELETE from a
# psql session or a future bug, since the timeline is the audit trail.
APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION appeals_timeline_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'appeals_timelineevent is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER appeals_timeline_append_only
BEFORE UPDATE OR DELETE ON appeals_timelineevent
FOR EACH ROW EXECUTE FUNCTION appeals_timeline_append_only();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS appeals_timeline_append_only ON appeals_timelineevent;
DROP FUNCTION IF EXISTS appeals_timeline_append_only();
"""

GROUPS = (
    "reviewer",
    "clinical reviewer",
    "physician reviewer",
    "supervisor",
    "integration",
)


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


def add_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(add_trigger, drop_trigger),
        migrations.RunPython(add_groups, migrations.RunPython.noop),
    ]
