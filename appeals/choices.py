"""Enumerations of the appeal record, shared by the model, the clocks and the API.

Stored values are the readable snake_case names that integrations send.
"""

from django.db import models


class LineOfBusiness(models.TextChoices):
    MEDICARE_ADVANTAGE = "medicare_advantage", "Medicare Advantage"
    MEDICARE_PART_D = "medicare_part_d", "Medicare Part D"
    MEDICAID = "medicaid", "Medicaid managed care"
    COMMERCIAL = "commercial", "Commercial / ERISA"


class Kind(models.TextChoices):
    PRE_SERVICE = "pre_service", "Pre-service"
    POST_SERVICE = "post_service", "Post-service (payment)"
    PART_B_DRUG = "part_b_drug", "Part B drug"


class Priority(models.TextChoices):
    STANDARD = "standard", "Standard"
    EXPEDITED = "expedited", "Expedited"


class ExpediteRequester(models.TextChoices):
    MEMBER = "member", "Member"
    PHYSICIAN = "physician", "Physician or prescriber"


class ExpediteDecision(models.TextChoices):
    NOT_REQUESTED = "not_requested", "Not requested"
    PENDING = "pending", "Pending triage"
    GRANTED = "granted", "Granted"
    REFUSED = "refused", "Refused"
    NOT_APPLICABLE = "not_applicable", "Not applicable (payment appeal)"


class RequesterType(models.TextChoices):
    MEMBER = "member", "Member"
    PROVIDER = "provider", "Provider"
    REPRESENTATIVE = "representative", "Representative"


class Channel(models.TextChoices):
    API = "api", "API"
    PORTAL = "portal", "Provider portal"
    FAX = "fax", "Fax"
    MAIL = "mail", "Mail"
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    IN_PERSON = "in_person", "In person"


class DenialCategory(models.TextChoices):
    MEDICAL_NECESSITY = "medical_necessity", "Medical necessity"
    PRIOR_AUTHORIZATION = "prior_authorization", "Prior authorization"
    MISSING_INFORMATION = "missing_information", "Missing information"
    CODING = "coding", "Coding"
    BUNDLING = "bundling", "Bundling"
    TIMELY_FILING = "timely_filing", "Timely filing"
    NOT_COVERED = "not_covered", "Not covered"
    EXPERIMENTAL = "experimental", "Experimental"
    DUPLICATE = "duplicate", "Duplicate"
    ELIGIBILITY = "eligibility", "Eligibility"
    OTHER = "other", "Other"


class Outcome(models.TextChoices):
    OVERTURNED = "overturned", "Overturned"
    PARTIALLY_OVERTURNED = "partially_overturned", "Partially overturned"
    UPHELD = "upheld", "Upheld"


class ExtensionReason(models.TextChoices):
    MEMBER_REQUEST = "member_request", "Member asked for more time"
    PLAN_NEEDS_INFORMATION = "plan_needs_information", "Plan needs more information"


class Flag(models.TextChoices):
    UNTIMELY_FILING = "untimely_filing", "Filed after the filing window"
    EXPEDITE_NOT_APPLICABLE = "expedite_not_applicable", "Expedite not applicable"
    POSSIBLE_DUPLICATE = "possible_duplicate", "Possible duplicate"
