from datetime import datetime

from django import forms

from appeals import clocks, documents
from appeals.choices import (
    DenialCategory,
    ExtensionReason,
    Kind,
    LineOfBusiness,
    Outcome,
    Priority,
)
from appeals.models import AppealDocument
from casework.models import StepCompletion
from casework.routing import WORKING_STATUSES


def _any(choices, label="Any"):
    return [("", label), *choices]


class QueueFilterForm(forms.Form):
    line_of_business = forms.ChoiceField(
        choices=_any(LineOfBusiness.choices), required=False, label="Line of business"
    )
    kind = forms.ChoiceField(choices=_any(Kind.choices), required=False)
    priority = forms.ChoiceField(choices=_any(Priority.choices), required=False)
    denial_category = forms.ChoiceField(
        choices=_any(DenialCategory.choices), required=False, label="Denial"
    )
    status = forms.ChoiceField(
        choices=_any([(s.value, s.label) for s in WORKING_STATUSES]), required=False
    )
    mine = forms.BooleanField(required=False, label="Only my cases")

    def filters(self) -> dict:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value and name != "mine"
        }


class StepForm(forms.Form):
    result = forms.ChoiceField(choices=StepCompletion.Result.choices)
    finding = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label="What you found"
    )


class AcceptForm(forms.Form):
    priority_decision = forms.ChoiceField(
        choices=[
            ("", "No expedite request to decide"),
            ("grant", "Grant the expedite request"),
            ("refuse", "Refuse the expedite request (standard clock)"),
        ],
        required=False,
        label="Expedite request",
    )
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when granting or refusing an expedite request.",
    )


def _end_of_plan_day(day) -> datetime:
    return clocks.end_of_plan_day(day)


class RequestInfoForm(forms.Form):
    what = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label="Records or facts needed"
    )
    reply_by = forms.DateField(
        required=False,
        label="Reply by (plan date)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_reply_by(self):
        day = self.cleaned_data["reply_by"]
        return _end_of_plan_day(day) if day else None


class ExtensionForm(forms.Form):
    reason = forms.ChoiceField(choices=ExtensionReason.choices)
    explanation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Printed on the extension notice to the member.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class DecideForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices)
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    criteria = forms.CharField(
        required=False, max_length=300, label="Criteria cited", strip=True
    )


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Note")


class DocumentForm(forms.Form):
    file = forms.FileField(
        help_text="PDF, TIFF, PNG, JPEG or plain text, 20 MiB at most."
    )
    kind = forms.ChoiceField(
        choices=AppealDocument.DocumentKind.choices,
        initial=AppealDocument.DocumentKind.MEDICAL_RECORDS,
    )
    title = forms.CharField(
        max_length=200, required=False, help_text="The file's name if left blank."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            self.content_type = documents.checked_content_type(upload)
        except documents.DocumentRefused as refused:
            raise forms.ValidationError(str(refused)) from None
        return upload


class EmptyForm(forms.Form):
    pass
