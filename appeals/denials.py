"""Denial reason codes (X12 CARC with their group code) and the categories the product
groups them into (REGULATORY.md section 9)."""

import re

from appeals.choices import DenialCategory

REASON_CODE_PATTERN = re.compile(r"^(CO|PR|OA|PI|CR)-([A-Z]?\d{1,3})$")

_CATEGORY_BY_CARC = {
    "50": DenialCategory.MEDICAL_NECESSITY,
    "197": DenialCategory.PRIOR_AUTHORIZATION,
    "15": DenialCategory.PRIOR_AUTHORIZATION,
    "39": DenialCategory.PRIOR_AUTHORIZATION,
    "284": DenialCategory.PRIOR_AUTHORIZATION,
    "296": DenialCategory.PRIOR_AUTHORIZATION,
    "16": DenialCategory.MISSING_INFORMATION,
    "4": DenialCategory.CODING,
    "11": DenialCategory.CODING,
    "97": DenialCategory.BUNDLING,
    "234": DenialCategory.BUNDLING,
    "236": DenialCategory.BUNDLING,
    "29": DenialCategory.TIMELY_FILING,
    "96": DenialCategory.NOT_COVERED,
    "204": DenialCategory.NOT_COVERED,
    "55": DenialCategory.EXPERIMENTAL,
    "56": DenialCategory.EXPERIMENTAL,
    "18": DenialCategory.DUPLICATE,
    "26": DenialCategory.ELIGIBILITY,
    "27": DenialCategory.ELIGIBILITY,
    "31": DenialCategory.ELIGIBILITY,
    "200": DenialCategory.ELIGIBILITY,
}


def is_valid_reason_code(code: str) -> bool:
    return REASON_CODE_PATTERN.match(code) is not None


def category_for_reason_code(code: str) -> str:
    match = REASON_CODE_PATTERN.match(code.strip().upper())
    if match is None:
        return DenialCategory.OTHER
    return _CATEGORY_BY_CARC.get(match.group(2), DenialCategory.OTHER)


def category_for_reason_codes(codes: list[str]) -> str:
    """The first code that names a known category decides, since the first CARC on a
    remittance is the primary reason for the denial."""
    for code in codes:
        category = category_for_reason_code(code)
        if category != DenialCategory.OTHER:
            return category
    return DenialCategory.OTHER
