from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("appeals", "0002_timeline_append_only_and_groups")]

    operations = []
