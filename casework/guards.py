"""Checks casework adds to every decision (appeals.services.register_decision_guard)."""

from appeals.models import Appeal
from casework import routing
from casework.services import protocol_missing_steps


def protocol_complete(appeal: Appeal, decider, outcome: str) -> list[str]:
    missing = protocol_missing_steps(appeal)
    if not missing:
        return []
    return [
        "Complete the required steps of the review protocol first: "
        + "; ".join(missing)
        + "."
    ]


def independent_decider(appeal: Appeal, decider, outcome: str) -> list[str]:
    """Not the original decision-maker (by NPI too) nor that person's subordinate
    (422.590(h)(1), 438.406(b)(2)(i), 2560.503-1(h)(3)(ii))."""
    original = appeal.denial_decided_by.strip().lower()
    profile = routing.profile_for(decider)
    if not original or profile is None:
        return []

    if profile.npi and original == profile.npi.lower():
        return [
            "You made the original denial (by your NPI), so someone else must "
            "decide the appeal (42 CFR 422.590(h)(1))."
        ]
    if original in routing.superiors(profile):
        return [
            "The original denial was made by someone you report to, so someone "
            "outside that line must decide the appeal (42 CFR 422.590(h)(1))."
        ]
    return []
