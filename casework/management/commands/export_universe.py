"""Write an audit universe as CSV to standard output:

    python manage.py export_universe part_c_reconsiderations \\
        --start 2026-01-01 --end 2026-03-31 --contract-id H1234 --pbp 001
"""

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from casework.supervision import universes


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"'{value}' is not a date like 2026-01-31.") from None


class Command(BaseCommand):
    help = "Write the appeals decided in a period as an audit universe CSV."

    def add_arguments(self, parser):
        parser.add_argument("universe", help=", ".join(universes.UNIVERSES))
        parser.add_argument("--start", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--end", required=True, help="Last day, YYYY-MM-DD.")
        parser.add_argument(
            "--contract-id",
            default=getattr(settings, "CMS_CONTRACT_ID", ""),
            help="CMS contract id, e.g. H1234.",
        )
        parser.add_argument(
            "--pbp",
            default=getattr(settings, "CMS_PLAN_BENEFIT_PACKAGE", ""),
            help="Plan benefit package, e.g. 001.",
        )

    def handle(self, *args, **options):
        try:
            universe = universes.universe_for(options["universe"])
        except universes.UnknownUniverse as error:
            raise CommandError(str(error)) from None
        start, end = _day(options["start"]), _day(options["end"])
        if end < start:
            raise CommandError("--end is before --start.")

        appeals = universes.universe_appeals(universe, start=start, end=end)
        context = universes.ExportContext(
            contract_id=options["contract_id"],
            plan_benefit_package=options["pbp"],
        )
        universes.write_universe(universe, appeals, self.stdout, context=context)
