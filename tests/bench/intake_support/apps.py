from django.apps import AppConfig


class IntakeSupportConfig(AppConfig):
    name = "tests.bench.intake_support"
    label = "intake_support"
    default_auto_field = "django.db.models.BigAutoField"
