from django.core.management.base import BaseCommand, CommandError

from appeals import intake
from appeals.models import Integration


class Command(BaseCommand):
    help = "Create an integration and print its API key (shown this once only)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="A name people recognise, e.g. claims-system")

    def handle(self, *args, name, **options):
        name = name.strip()
        if not name or len(name) > 100:
            raise CommandError("Give a name of 1 to 100 characters.")
        if Integration.objects.filter(name=name).exists():
            raise CommandError(
                f"An integration named {name!r} exists; revoke it in the admin and "
                "choose a new name to issue a new key."
            )

        _, key = intake.integration_create(name=name)

        self.stderr.write(
            f"Integration {name!r} created. Its key is printed below once; it is "
            "stored only as a digest and cannot be shown again."
        )
        self.stdout.write(key)
