from datetime import date, timedelta

from django import forms
from django.utils import timezone

from appeals.clocks import plan_day
from casework.supervision import analytics, universes
from casework.supervision.selectors import assignable_users

MAX_PERIOD_DAYS = 366 * 3


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last six whole months and the current one."""
    today = today or plan_day(timezone.now())
    first = today.replace(day=1)
    for _ in range(6):
        first = (first - timedelta(days=1)).replace(day=1)
    return first, today


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def with_default_period(query):
    """The query with the default period filled in where none was asked for, so
    that the form shows the dates the page is about."""
    data = query.copy()
    start, end = default_period()
    data.setdefault("start", start.isoformat())
    data.setdefault("end", end.isoformat())
    return data


class PeriodForm(forms.Form):
    start = forms.DateField(required=False, widget=_date_input())
    end = forms.DateField(required=False, widget=_date_input())

    def clean(self):
        cleaned = super().clean()
        default_start, default_end = default_period()
        start = cleaned.get("start") or default_start
        end = cleaned.get("end") or default_end
        if self.errors:
            return cleaned
        if end < start:
            raise forms.ValidationError("The end date is before the start date.")
        if (end - start).days > MAX_PERIOD_DAYS:
            raise forms.ValidationError("Choose a period of at most three years.")
        cleaned["start"], cleaned["end"] = start, end
        return cleaned


class OutcomesForm(PeriodForm):
    dimension = forms.ChoiceField(
        choices=list(analytics.DIMENSIONS.items()), required=False
    )
    k = forms.IntegerField(
        min_value=2,
        max_value=100,
        required=False,
        label="Flag pairs overturned at least",
        help_text="times in 90 days",
    )

    def clean(self):
        cleaned = super().clean()
        cleaned["dimension"] = cleaned.get("dimension") or "denial_category"
        cleaned["k"] = cleaned.get("k") or 3
        return cleaned


class MonthForm(forms.Form):
    month = forms.RegexField(
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        error_messages={"invalid": "Give a month like 2026-03."},
    )


class UniverseForm(forms.Form):
    universe = forms.ChoiceField(
        choices=[(slug, u.title) for slug, u in universes.UNIVERSES.items()]
    )
    start = forms.DateField(label="Decided from", widget=_date_input())
    end = forms.DateField(label="through", widget=_date_input())
    contract_id = forms.RegexField(
        regex=r"^[A-Z]\d{4}$",
        required=False,
        label="Contract ID",
        error_messages={"invalid": "A contract id is a letter and four digits."},
    )
    plan_benefit_package = forms.RegexField(
        regex=r"^\d{3}$",
        required=False,
        label="Plan benefit package",
        error_messages={"invalid": "A plan benefit package is three digits."},
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            raise forms.ValidationError("The end date is before the start date.")
        return cleaned


class ReassignForm(forms.Form):
    appeals = forms.TypedMultipleChoiceField(coerce=int, choices=())
    assignee = forms.ModelChoiceField(queryset=None, empty_label="Nobody (unassign)")
    reason = forms.CharField(max_length=500, strip=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users()
        self.fields["assignee"].required = False
        # The ids are checked against the database by the view, which reports any
        # case that is gone or finished.
        self.fields["appeals"].valid_value = lambda value: True


class SimulationForm(forms.Form):
    """A small run from the dashboard; bigger ones belong to `manage.py simulate`."""

    reviewers = forms.IntegerField(min_value=1, max_value=20, initial=4)
    days = forms.IntegerField(min_value=1, max_value=3, initial=2)
    arrivals_per_day = forms.FloatField(min_value=0, max_value=60, initial=30)
    expedited_share = forms.FloatField(min_value=0, max_value=1, initial=0.15)
    backlog = forms.IntegerField(min_value=0, max_value=60, initial=40)
    standard_hours = forms.FloatField(min_value=0.1, max_value=8, initial=1.0)
    expedited_hours = forms.FloatField(min_value=0.1, max_value=8, initial=1.0)
    seed = forms.IntegerField(min_value=0, max_value=10**6, initial=2026)
