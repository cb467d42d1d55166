from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("appeals", "0003_scoring_and_alerts")]

    operations = []
