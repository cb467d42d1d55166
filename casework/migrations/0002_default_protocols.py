"""The default review protocols shipped with the product: one administrative and one
clinical protocol for every line of business. Supervisors adjust them in the admin."""

from django.db import migrations

LINES = {
    "medicare_advantage": (
        "Medicare Advantage",
        (
            "coverage",
            "Apply the Medicare coverage rules",
            "Check the NCD/LCD or Medicare Benefit Policy Manual section that "
            "governs the item or service.",
        ),
    ),
    "medicare_part_d": (
        "Medicare Part D",
        (
            "formulary",
            "Check the formulary and the coverage determination",
            "Tier, step therapy, quantity limits and any exception request from "
            "the prescriber.",
        ),
    ),
    "medicaid": (
        "Medicaid managed care",
        (
            "state-rules",
            "Apply the state contract and check continuation of benefits",
            "Whether the member asked for benefits to continue during the appeal "
            "(42 CFR 438.420) and the state's own rules.",
        ),
    ),
    "commercial": (
        "Commercial / ERISA",
        (
            "plan-document",
            "Check the plan document",
            "The summary plan description's terms for the benefit, and whether "
            "the plan has one or two appeal levels.",
        ),
    ),
}

CLINICAL_CATEGORIES = ["medical_necessity", "experimental"]

OPENING = (
    (
        "requester",
        "Confirm the requester and representative authorization",
        "The member, the treating provider, or a representative with a signed "
        "authorization (e.g. CMS-1696) on file.",
        True,
        "",
    ),
    (
        "timeliness",
        "Check filing timeliness",
        "Compare the receipt date with the filing window; note good cause for a "
        "late filing.",
        True,
        "",
    ),
    (
        "expedite",
        "Confirm the expedite criteria",
        "For an expedited request: could the standard time frame seriously "
        "jeopardize the member's life, health or ability to regain maximum "
        "function? Mark not applicable for standard cases.",
        True,
        "",
    ),
    (
        "records",
        "Gather the records",
        "Denial notice, claim or authorization request, medical records and "
        "anything the requester sent.",
        True,
        "",
    ),
)

CLOSING = (
    (
        "rationale",
        "Draft the rationale",
        "State the decision, the facts relied on and the criteria cited in plain "
        "language the member can follow.",
        True,
        "",
    ),
)


def _clinical_steps():
    return (
        (
            "criteria",
            "Apply the named clinical criteria",
            "Name the criteria (InterQual, MCG, NCD/LCD, plan policy) and the "
            "criteria met or not met.",
            True,
            "clinical",
        ),
        (
            "physician",
            "Physician review",
            "A physician of the same or similar specialty reviews before any "
            "adverse decision (42 CFR 422.590(h)(2)).",
            False,
            "physician",
        ),
    )


def add_protocols(apps, schema_editor):
    ProtocolTemplate = apps.get_model("casework", "ProtocolTemplate")
    ProtocolStep = apps.get_model("casework", "ProtocolStep")

    for line, (label, line_step) in LINES.items():
        line_row = (*line_step, True, "")
        for suffix, name, categories, middle in (
            ("administrative", f"{label}: administrative review", [], (line_row,)),
            (
                "clinical",
                f"{label}: clinical review",
                CLINICAL_CATEGORIES,
                (line_row, *_clinical_steps()),
            ),
        ):
            template = ProtocolTemplate.objects.create(
                key=f"{line.replace('_', '-')}-{suffix}",
                name=name,
                lines_of_business=[line],
                kinds=[],
                denial_categories=categories,
            )
            for order, (key, title, guidance, required, role) in enumerate(
                (*OPENING, *middle, *CLOSING), start=1
            ):
                ProtocolStep.objects.create(
                    template=template,
                    order=order * 10,
                    key=key,
                    title=title,
                    guidance=guidance,
                    required=required,
                    role=role,
                )


def remove_protocols(apps, schema_editor):
    ProtocolTemplate = apps.get_model("casework", "ProtocolTemplate")
    ProtocolStep = apps.get_model("casework", "ProtocolStep")
    keys = [
        f"{line.replace('_', '-')}-{suffix}"
        for line in LINES
        for suffix in ("administrative", "clinical")
    ]
    ProtocolStep.objects.filter(template__key__in=keys).delete()
    ProtocolTemplate.objects.filter(key__in=keys, case_protocols__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("casework", "0001_initial")]

    operations = [migrations.RunPython(add_protocols, remove_protocols)]
