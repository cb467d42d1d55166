from django.core.management.base import BaseCommand
from django.utils import timezone

from appeals.overturn_model import overturn_model_train


class Command(BaseCommand):
    help = (
        "Train a new version of the overturn predictor on the plan's closed appeals "
        "(falls back to denial-category rates when there are too few)."
    )

    def handle(self, *args, **options):
        version = overturn_model_train(now=timezone.now())
        self.stdout.write(
            f"{version}: trained on {version.trained_on} closed appeals; "
            f"metrics {version.metrics}"
        )
