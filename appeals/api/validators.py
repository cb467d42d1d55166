"""Checks on the codes integrations send: NPI, CPT/HCPCS, ICD-10-CM, CARC."""

import re

from rest_framework.exceptions import ValidationError

from appeals.denials import REASON_CODE_PATTERN

# CPT: five digits, or four digits and F (category II), T (category III) or U (PLA).
# HCPCS level II: a letter A-V and four digits.
SERVICE_CODE_PATTERN = re.compile(r"^(\d{5}|\d{4}[FTU]|[A-V]\d{4})$")
# ICD-10-CM: a letter, a digit, a digit or letter, then up to four more characters
# after an optional dot (I10, E11.65, S72.001A).
DIAGNOSIS_CODE_PATTERN = re.compile(r"^[A-Z]\d[0-9A-Z](\.?[0-9A-Z]{1,4})?$")

US_STATES = frozenset(
    (
        *("AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI"),
        *("ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN"),
        *("MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH"),
        *("OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA"),
        *("WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI"),
    )
)


def npi_check_digit_ok(npi: str) -> bool:
    """Luhn over the NPI with the card issuer prefix 80840 that CMS prescribes."""
    if not re.fullmatch(r"\d{10}", npi):
        return False
    total = 0
    for position, char in enumerate(reversed("80840" + npi)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def validate_npi(value: str) -> None:
    if not re.fullmatch(r"\d{10}", value):
        raise ValidationError("An NPI is 10 digits.", code="npi_format")
    if not npi_check_digit_ok(value):
        raise ValidationError(
            f"NPI {value} fails its check digit; look for a mistyped digit.",
            code="npi_check_digit",
        )


def validate_service_code(value: str) -> None:
    if not SERVICE_CODE_PATTERN.match(value):
        raise ValidationError(
            f"{value!r} is not a CPT code (5 digits, or 4 digits and F, T or U) "
            "or a HCPCS code (a letter A-V and 4 digits).",
            code="service_code",
        )


def validate_diagnosis_code(value: str) -> None:
    if not DIAGNOSIS_CODE_PATTERN.match(value):
        raise ValidationError(
            f"{value!r} is not an ICD-10-CM code such as E11.65.",
            code="diagnosis_code",
        )


def validate_reason_code(value: str) -> None:
    if not REASON_CODE_PATTERN.match(value):
        raise ValidationError(
            f"{value!r} is not a reason code with its group, such as CO-50.",
            code="reason_code",
        )


def validate_state(value: str) -> None:
    if value not in US_STATES:
        raise ValidationError(
            f"{value!r} is not a two-letter US state code.", code="state"
        )
