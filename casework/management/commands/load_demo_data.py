"""A realistic demo data set: a few hundred appeals across every line of business, kind
and state, made through the same services as production so that every clock and
timeline row is real. The people are fictional."""

import logging
import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from faker import Faker

from appeals import clocks, roles, services
from appeals.choices import (
    Channel,
    Kind,
    LineOfBusiness,
    Outcome,
    Priority,
    RequesterType,
)
from appeals.models import Appeal, Member, Provider
from appeals.models.appeal import WORKING_STATUSES
from appeals.scoring import appeals_rescore_open
from casework.case_mix import KINDS_BY_LINE, LINE_WEIGHTS
from casework.models import Discipline, ReviewerProfile, StepCompletion
from casework.services import case_protocol_start, protocol_step_complete

DEMO_PASSWORD = "appeals-demo-2026"
# Open cases each demo reviewer holds, well under the caps of their profiles.
DEMO_WORKING_CASES = 12

DEMO_USERS = (
    # user name, full name, groups, staff
    ("rita", "Rita Reviewer", (roles.REVIEWER,), False),
    ("omar", "Omar Intake", (roles.REVIEWER,), False),
    ("nora", "Nora Nurse", (roles.CLINICAL_REVIEWER,), False),
    ("dr.patel", "Dr. Anil Patel", (roles.PHYSICIAN_REVIEWER,), False),
    ("dr.kim", "Dr. Grace Kim", (roles.PHYSICIAN_REVIEWER,), False),
    ("sam", "Sam Supervisor", (roles.SUPERVISOR,), True),
)

REASONS = (
    ("CO-50", 6, ("27447", "72148", "E0601", "J1745")),
    ("CO-197", 9, ("27447", "29881", "70553", "97110")),
    ("CO-16", 18, ("99214", "80053", "93000")),
    ("CO-96", 16, ("J3490", "S9083", "G0283")),
    ("CO-97", 8, ("99213", "36415")),
    ("CO-4", 7, ("99215", "20610")),
    ("PR-204", 8, ("E1390", "L3000")),
    ("CO-29", 4, ("99214",)),
    ("CO-55", 3, ("0042T", "J9999")),
    ("CO-27", 3, ("99285",)),
)
# What a requester writes, by the denial's reason: the demo's case pages read like
# the letters a desk receives.
ARGUMENTS = {
    "CO-50": "the treating physician writes that {service} is medically necessary "
    "and encloses clinic notes showing conservative treatment failed",
    "CO-197": "the office says the authorization for {service} was requested by "
    "phone before the visit and gives the call reference",
    "CO-16": "the provider resubmits {service} with the missing referral and "
    "operative report",
    "CO-96": "the member asks that {service} be covered as it was prescribed after "
    "the formulary alternative caused side effects",
    "CO-97": "the provider says {service} was a separate service from the procedure "
    "billed the same day and should be paid on its own",
    "CO-4": "the provider says the modifier on {service} was correct and attaches "
    "the coding documentation",
    "PR-204": "the member says {service} is covered under the plan's durable "
    "equipment benefit and encloses the prescription",
    "CO-29": "the provider shows the claim for {service} was first filed on time "
    "with another payer and forwarded",
    "CO-55": "the physician cites published studies supporting {service} for the "
    "member's condition",
    "CO-27": "the member says coverage was active on the date of {service} and "
    "encloses the premium receipt",
}
DIAGNOSES = ("M17.11", "I10", "E11.9", "G47.33", "M54.16", "J44.9", "C50.911")
SPECIALTIES = ("orthopedics", "cardiology", "oncology", "sleep medicine", "neurology")
STATES = ("FL", "NY", "TX", "IL", "CA", "OH", "GA")
ALL_LINES = list(LineOfBusiness.values)

# Reviewer skills for the demo users: user name, discipline, lines of business,
# specialties, licensed states, NPI, reports to, cap on open cases.
DEMO_PROFILES = (
    ("rita", Discipline.ADMINISTRATIVE, ALL_LINES, [], [], "", "sam", 25),
    (
        "omar",
        Discipline.ADMINISTRATIVE,
        [LineOfBusiness.MEDICARE_ADVANTAGE, LineOfBusiness.MEDICARE_PART_D],
        [],
        [],
        "",
        "sam",
        25,
    ),
    ("nora", Discipline.CLINICAL, ALL_LINES, [], list(STATES), "", "sam", 20),
    (
        "dr.patel",
        Discipline.CLINICAL,
        ALL_LINES,
        ["orthopedics", "cardiology", "neurology"],
        list(STATES),
        "1730111111",
        "",
        15,
    ),
    (
        "dr.kim",
        Discipline.CLINICAL,
        ALL_LINES,
        ["oncology", "sleep medicine", "internal medicine"],
        list(STATES),
        "1730222222",
        "",
        15,
    ),
)
# Flags any member may carry; pregnancy is drawn only for members of child-bearing age.
VULNERABILITY = ("dual_eligible", "ltss", "hospice")


def _luhn_npi(rng: random.Random) -> str:
    """A syntactically valid NPI: nine digits and the Luhn check digit computed with
    the 80840 prefix that the NPI standard prescribes."""
    body = "1" + "".join(str(rng.randint(0, 9)) for _ in range(8))
    digits = [int(d) for d in "80840" + body]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return body + str((10 - total % 10) % 10)


class Command(BaseCommand):
    help = "Load demo users and a few hundred realistic appeals."

    def add_arguments(self, parser):
        parser.add_argument("--appeals", type=int, default=300)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load appeals only when there are none (for `make run`).",
        )

    def handle(self, *args, appeals, seed, if_empty, **options):
        users = self._users()

        if if_empty and Appeal.objects.exists():
            self.stdout.write("Demo appeals already loaded.")
        else:
            # One INFO line per service call is right for production and noise here.
            service_log = logging.getLogger("appeals")
            level = service_log.level
            service_log.setLevel(logging.WARNING)
            try:
                self._appeals(count=appeals, seed=seed, users=users)
                # Score now rather than at beat's next pass, so the first queue a new
                # user opens is already in urgency order.
                appeals_rescore_open()
            finally:
                service_log.setLevel(level)
            self.stdout.write(f"Loaded {appeals} demo appeals.")

        self.stdout.write(f"\nDemo users (password for each: {DEMO_PASSWORD}):")
        for username, full_name, groups, _staff in DEMO_USERS:
            self.stdout.write(f"  {username:<10} {full_name:<16} {', '.join(groups)}")
        self.stdout.write("  admin      superuser (Django admin)")

    def _users(self) -> dict:
        User = get_user_model()
        users = {}
        for username, full_name, groups, staff in DEMO_USERS:
            first, last = full_name.rsplit(" ", 1)
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "is_staff": staff},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            for name in groups:
                user.groups.add(Group.objects.get_or_create(name=name)[0])
            users[username] = user

        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@localhost", DEMO_PASSWORD)

        for (
            username,
            discipline,
            lines,
            specialties,
            states,
            npi,
            boss,
            cap,
        ) in DEMO_PROFILES:
            ReviewerProfile.objects.get_or_create(
                user=users[username],
                defaults={
                    "discipline": discipline,
                    "lines_of_business": lines,
                    "specialties": specialties,
                    "licensed_states": states,
                    "npi": npi,
                    "reports_to": users.get(boss),
                    "max_open_cases": cap,
                },
            )
        return users

    @transaction.atomic
    def _appeals(self, *, count: int, seed: int, users: dict) -> None:
        rng = random.Random(seed)
        fake = Faker()
        fake.seed_instance(seed)
        now = timezone.now()

        providers = [
            Provider.objects.get_or_create(
                npi=_luhn_npi(rng),
                defaults={
                    "name": f"{fake.last_name()} {rng.choice(SPECIALTIES).title()} "
                    "Associates",
                    "specialty": rng.choice(SPECIALTIES),
                    "contracted": rng.random() < 0.85,
                },
            )[0]
            for _ in range(25)
        ]

        for index in range(count):
            birth_date = fake.date_of_birth(minimum_age=2, maximum_age=95)
            flags = [rng.choice(VULNERABILITY)] if rng.random() < 0.2 else []
            if 18 <= now.year - birth_date.year <= 44 and rng.random() < 0.05:
                flags.append("pregnant")
            member = Member.objects.create(
                member_id=f"DEMO{seed % 100:02d}{index:06d}",
                first_name=fake.first_name(),
                last_name=fake.last_name(),
                birth_date=birth_date,
                state=rng.choice(STATES),
                vulnerability_flags=flags,
            )
            appeal = self._one_appeal(rng, now, member, rng.choice(providers))
            self._advance(rng, appeal, now, users)

    def _one_appeal(self, rng, now, member, provider) -> Appeal:
        line = rng.choices(list(LINE_WEIGHTS), weights=LINE_WEIGHTS.values())[0]
        kinds, weights = zip(*KINDS_BY_LINE[line], strict=True)
        kind = rng.choices(kinds, weights=weights)[0]
        reason, _weight, services_codes = rng.choices(
            REASONS, weights=[r[1] for r in REASONS]
        )[0]
        expedite = kind != Kind.POST_SERVICE and rng.random() < 0.12
        age = timedelta(minutes=rng.randint(30, 60 * 24 * 45))
        received_at = now - age
        requester = rng.choices(
            [
                RequesterType.MEMBER,
                RequesterType.PROVIDER,
                RequesterType.REPRESENTATIVE,
            ],
            weights=[45, 45, 10],
        )[0]
        notice_date = clocks.plan_day(received_at) - timedelta(days=rng.randint(3, 70))
        service_code = rng.choice(services_codes)

        return services.appeal_create(
            by="demo-loader",
            member=member,
            provider=provider,
            line_of_business=line,
            kind=kind,
            received_at=received_at,
            channel=rng.choice(Channel.values),
            requester_type=requester,
            requester_name=(
                provider.name
                if requester == RequesterType.PROVIDER
                else f"{member.first_name} {member.last_name}"
            ),
            requester_npi=provider.npi if requester == RequesterType.PROVIDER else "",
            requested_priority=Priority.EXPEDITED if expedite else Priority.STANDARD,
            expedite_requested_by=(
                rng.choice(["member", "physician"]) if expedite else ""
            ),
            denial=services.DenialFacts(
                notice_date=notice_date,
                reason_codes=[reason],
                claim_number=(
                    f"CLM{rng.randint(10**8, 10**9)}"
                    if kind != Kind.PRE_SERVICE
                    else ""
                ),
                authorization_number=(
                    f"PA{rng.randint(10**7, 10**8)}" if kind == Kind.PRE_SERVICE else ""
                ),
                service_codes=[service_code],
                diagnosis_codes=[rng.choice(DIAGNOSES)],
                amount=Decimal(rng.randint(80, 42000)),
                decided_by="um.nguyen",
            ),
            summary=_summary(reason, service_code),
            external_id=f"DEMO-{rng.randint(10**9, 10**10)}",
            now=received_at,
        )

    def _work_protocol(self, appeal, physician, at) -> None:
        """Complete the required steps, as the decision guard demands."""
        protocol = case_protocol_start(appeal=appeal, now=at)
        if protocol is None:
            return
        for step in protocol.steps:
            if step["required"]:
                protocol_step_complete(
                    appeal=appeal,
                    user=physician,
                    step_key=step["key"],
                    result=StepCompletion.Result.DONE,
                    finding="Checked against the record.",
                    now=at,
                )

    def _working_count(self, user) -> int:
        return Appeal.objects.filter(assignee=user, status__in=WORKING_STATUSES).count()

    def _least_loaded(self, reviewers):
        return min(reviewers, key=self._working_count)

    def _advance(self, rng, appeal, now, users) -> None:
        """Move the appeal along its life as far as its age makes plausible."""
        window = appeal.decide_by - appeal.received_at
        used = (now - appeal.received_at) / window if window else 1
        step = appeal.received_at + min(window / 10, (now - appeal.received_at) / 4)
        reviewer = self._least_loaded([users["rita"], users["omar"], users["nora"]])
        physician = rng.choice([users["dr.patel"], users["dr.kim"]])

        if rng.random() < 0.03:
            services.appeal_dismiss(
                appeal=appeal,
                by=reviewer,
                reason="Not a valid appeal request",
                now=step,
            )
            return
        if used < 0.1 and rng.random() < 0.6:
            return

        # Demo reviewers keep room under their caps, and some accepted cases wait in
        # the queue, so that "Get next case" has something to give at once.
        held = self._working_count(reviewer) < DEMO_WORKING_CASES
        if held and rng.random() < 0.7:
            services.appeal_assign(appeal=appeal, assignee=reviewer, by="demo-loader")
        services.appeal_accept(appeal=appeal, by=reviewer, now=step)
        case_protocol_start(appeal=appeal, now=step)
        if used < 0.4:
            choice = rng.random()
            if choice < 0.2:
                services.appeal_request_info(
                    appeal=appeal, by=reviewer, what="Operative notes", now=step
                )
            elif choice < 0.35:
                services.appeal_refer_to_physician(
                    appeal=appeal, by=reviewer, reason="Clinical review", now=step
                )
            return
        if rng.random() < 0.03:
            services.appeal_withdraw(
                appeal=appeal, by="member-portal", reason="Member withdrew", now=step
            )
            return
        missed_lately = now - timedelta(days=2) < appeal.decide_by < now
        if missed_lately and rng.random() < 0.3:
            # A few fresh breaches, so the sweep and the dashboard have work to show.
            return

        decided_at = min(now, appeal.received_at + window * rng.uniform(0.3, 0.95))
        outcome = rng.choices(
            [Outcome.OVERTURNED, Outcome.PARTIALLY_OVERTURNED, Outcome.UPHELD],
            weights=[70, 10, 20],
        )[0]
        self._work_protocol(appeal, physician, decided_at)
        services.appeal_decide(
            appeal=appeal,
            by=physician,
            outcome=outcome,
            rationale="Reviewed the records against the plan's criteria.",
            criteria="InterQual 2026",
            now=decided_at,
        )
        decided_lately = decided_at > now - timedelta(days=2)
        if decided_lately and rng.random() < 0.5:
            return

        if appeal.requires_forwarding:
            services.appeal_forward(appeal=appeal, by=reviewer, now=decided_at)
            services.appeal_record_forward_notice(
                appeal=appeal, by=reviewer, now=decided_at
            )
        else:
            services.appeal_send_notice(appeal=appeal, by=reviewer, now=decided_at)
        appeal.refresh_from_db()

        if appeal.outcome != Outcome.UPHELD and (
            not decided_lately or rng.random() < 0.5
        ):
            appeal = services.appeal_record_effectuation(
                appeal=appeal,
                by=reviewer,
                now=min(now, decided_at + timedelta(hours=20)),
            )
        if not appeal.open_obligations() and rng.random() < 0.7:
            services.appeal_close(appeal=appeal, by=reviewer, now=decided_at)


def _summary(reason: str, service_code: str) -> str:
    argument = ARGUMENTS[reason].format(service=f"service {service_code}")
    return argument[0].upper() + argument[1:] + "."
