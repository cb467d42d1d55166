import csv
import functools
import io
import logging
import subprocess

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from appeals import services
from appeals.clocks import plan_day
from appeals.enforcement import alert_acknowledge
from appeals.models import Appeal, Provider
from appeals.models.alerts import Alert
from appeals.roles import is_supervisor
from casework.supervision import (
    analytics,
    charts,
    selectors,
    simulation,
    universes,
)
from casework.supervision.forms import (
    MonthForm,
    OutcomesForm,
    PeriodForm,
    ReassignForm,
    SimulationForm,
    UniverseForm,
    with_default_period,
)

logger = logging.getLogger(__name__)


def supervisor_required(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_supervisor(request.user):
            raise PermissionDenied("Supervisors only.")
        return view(request, *args, **kwargs)

    return wrapper


def _page(request, template, context, **kwargs):
    return render(
        request, template, {"plan_tz": settings.PLAN_TIME_ZONE, **context}, **kwargs
    )


def _render_invalid(request, template, form, context=None):
    return _page(request, template, {"form": form, **(context or {})}, status=400)


# --- Dashboard --------------------------------------------------------------------


def _dashboard_context(now):
    inventory = selectors.open_inventory(now)
    alerts, alert_count = selectors.unacknowledged_alerts()
    return {
        "now": now,
        "alerts": alerts,
        "alert_count": alert_count,
        "inventory": inventory,
        "lines": analytics.LINES,
        "deadline_lists": selectors.deadline_lists(now),
        "age_chart": charts.horizontal_bars(
            "Open appeals by age", [(label, n, str(n)) for label, n in inventory.by_age]
        ),
        "assignees": selectors.assignable_users(),
    }


@supervisor_required
def dashboard(request):
    return _page(
        request, "supervision/dashboard.html", _dashboard_context(timezone.now())
    )


@supervisor_required
def dashboard_live(request):
    return _page(request, "supervision/_live.html", _dashboard_context(timezone.now()))


@require_POST
@supervisor_required
def reassign(request):
    data = request.POST.copy()
    if "only" in request.GET:
        # A row's own button: that case alone, whatever else is ticked.
        data.setlist("appeals", [request.GET["only"]])
    form = ReassignForm(data)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = "Cases" if field == "appeals" else field.capitalize()
            messages.error(request, f"{label}: {' '.join(errors)}")
        return redirect("supervision:dashboard")

    assignee = form.cleaned_data["assignee"]
    reason = form.cleaned_data["reason"]
    found = Appeal.objects.in_bulk(form.cleaned_data["appeals"])
    done, refused = [], []
    for appeal_id in form.cleaned_data["appeals"]:
        appeal = found.get(appeal_id)
        if appeal is None:
            refused.append(f"{Appeal(pk=appeal_id).case_number} does not exist.")
            continue
        try:
            services.appeal_assign(
                appeal=appeal, assignee=assignee, by=request.user, reason=reason
            )
        except services.TransitionRefused as refusal:
            refused.append(f"{appeal.case_number}: {refusal}")
            continue
        done.append(appeal.case_number)

    target = assignee.get_username() if assignee else "nobody"
    if done:
        messages.success(request, f"Assigned {', '.join(done)} to {target}.")
    for text in refused:
        messages.error(request, text)
    return redirect("supervision:dashboard")


@require_POST
@supervisor_required
def acknowledge_alert(request, pk):
    alert = get_object_or_404(Alert, pk=pk)
    alert_acknowledge(alert=alert, by=request.user)
    messages.success(request, f"Alert on {alert.appeal.case_number} acknowledged.")
    return redirect("supervision:dashboard")


# --- Workload ---------------------------------------------------------------------


@supervisor_required
def workload(request):
    now = timezone.now()
    rows = selectors.workload(now, caps=selectors.reviewer_caps())
    return _page(
        request,
        "supervision/workload.html",
        {
            "rows": rows,
            "now": now,
            "week_start": selectors.week_start(now),
        },
    )


# --- Timeliness -------------------------------------------------------------------


@supervisor_required
def timeliness(request):
    form = PeriodForm(with_default_period(request.GET))
    if not form.is_valid():
        return _render_invalid(request, "supervision/timeliness.html", form)

    now = timezone.now()
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    scorecards = [
        analytics.timeliness_scorecard(
            obligation=obligation, start=start, end=end, now=now
        )
        for obligation in ("decision", "acknowledgement", "effectuation")
    ]
    decisions = scorecards[0]
    by_month = {}
    for cell in decisions.cells:
        total, on_time = by_month.get(cell.month, (0, 0))
        by_month[cell.month] = (total + cell.total, on_time + cell.on_time)
    columns = []
    for month in analytics.months_between(start, end):
        total, on_time = by_month.get(month, (0, 0))
        rate = analytics.share(on_time, total)
        columns.append((month, rate, f"{charts.percent(rate)} of {total}"))
    return _page(
        request,
        "supervision/timeliness.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "scorecards": scorecards,
            "chart": charts.share_columns("Decisions on time by month", columns),
        },
    )


# --- Outcomes ---------------------------------------------------------------------


@supervisor_required
def outcomes(request):
    query = with_default_period(request.GET)
    query.setdefault("k", "3")
    form = OutcomesForm(query)
    if not form.is_valid():
        return _render_invalid(request, "supervision/outcomes.html", form)

    now = timezone.now()
    data = form.cleaned_data
    rows = analytics.overturn_rates(
        dimension=data["dimension"], start=data["start"], end=data["end"]
    )
    months = analytics.months_between(data["start"], data["end"])
    categories = analytics.overturn_rates(
        dimension="denial_category", start=data["start"], end=data["end"]
    )
    chart = charts.horizontal_bars(
        "Overturn rate by denial category",
        [
            (
                row.label,
                row.overturn_rate or 0,
                f"{charts.percent(row.overturn_rate)} of {row.decided}",
            )
            for row in categories
        ],
        maximum=1,
    )
    return _page(
        request,
        "supervision/outcomes.html",
        {
            "form": form,
            "dimension_label": analytics.DIMENSIONS[data["dimension"]],
            "provider_links": data["dimension"] == "provider",
            "rows": [(row, row.trend(months)) for row in rows],
            "months": months,
            "chart": chart,
            "repeats": analytics.repeat_denials(now=now, k=data["k"]),
            "k": data["k"],
        },
    )


def _trend_month(request) -> tuple[MonthForm, str | None]:
    form = MonthForm(request.GET)
    if not form.is_valid():
        return form, None
    month = form.cleaned_data["month"] or plan_day(timezone.now()).strftime("%Y-%m")
    return form, month


@supervisor_required
def denial_trend(request):
    form, month = _trend_month(request)
    if month is None:
        return _render_invalid(request, "supervision/denial_trend.html", form)
    return _page(
        request,
        "supervision/denial_trend.html",
        {"form": form, "month": month, "rows": analytics.denial_trend(month)},
    )


def _rate_text(value) -> str:
    return "" if value is None else f"{value:.4f}"


@supervisor_required
def denial_trend_csv(request):
    form, month = _trend_month(request)
    if month is None:
        return HttpResponse(
            " ".join(form.errors["month"]), status=400, content_type="text/plain"
        )

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "month",
            "denial_category",
            "received",
            "decided",
            "overturned",
            "overturn_rate",
            "previous_month_overturn_rate",
            "change",
        ]
    )
    for row in analytics.denial_trend(month):
        writer.writerow(
            [
                month,
                row.category,
                row.received,
                row.decided,
                row.overturned,
                _rate_text(row.overturn_rate),
                _rate_text(row.previous_rate),
                _rate_text(row.change),
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="denial-trend-{month}.csv"'
    return response


@supervisor_required
def provider_feedback(request, npi):
    provider = get_object_or_404(Provider, npi=npi)
    form = PeriodForm(with_default_period(request.GET))
    if not form.is_valid():
        return _render_invalid(
            request, "supervision/provider_feedback.html", form, {"provider": provider}
        )

    feedback = analytics.provider_feedback(
        provider=provider,
        start=form.cleaned_data["start"],
        end=form.cleaned_data["end"],
    )
    context = {"form": form, "provider": provider, "feedback": feedback}
    if request.GET.get("format") == "text":
        response = _page(
            request,
            "supervision/provider_feedback.txt",
            context,
            content_type="text/plain; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="feedback-{provider.npi}.txt"'
        )
        return response
    return _page(request, "supervision/provider_feedback.html", context)


# --- Audit universes --------------------------------------------------------------


@require_http_methods(["GET"])
@supervisor_required
def universe_export(request):
    if "universe" not in request.GET:
        return _page(
            request,
            "supervision/universes.html",
            {"form": UniverseForm(), "universes": universes.UNIVERSES.values()},
        )
    form = UniverseForm(request.GET)
    if not form.is_valid():
        return _render_invalid(
            request,
            "supervision/universes.html",
            form,
            {"universes": universes.UNIVERSES.values()},
        )

    data = form.cleaned_data
    universe = universes.universe_for(data["universe"])
    appeals = universes.universe_appeals(universe, start=data["start"], end=data["end"])
    out = io.StringIO()
    rows = universes.write_universe(
        universe,
        appeals,
        out,
        context=universes.ExportContext(
            contract_id=data["contract_id"],
            plan_benefit_package=data["plan_benefit_package"],
        ),
    )
    logger.info(
        "Universe %s exported by user %s: %d rows",
        universe.slug,
        request.user.pk,
        rows,
    )
    name = f"{universe.slug}-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}.csv"
    response = HttpResponse(out.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- Capacity simulator -----------------------------------------------------------


@require_http_methods(["GET", "POST"])
@supervisor_required
def simulate(request):
    if request.method == "GET":
        return _page(request, "supervision/simulate.html", {"form": SimulationForm()})
    form = SimulationForm(request.POST)
    if not form.is_valid():
        return _render_invalid(request, "supervision/simulate.html", form)

    scenario = simulation.Scenario(backlog_days=7, **form.cleaned_data)
    try:
        results = simulation.run_in_scratch_database(scenario, timeout=120)
    except (RuntimeError, subprocess.TimeoutExpired):
        logger.exception("Simulation from the dashboard failed")
        messages.error(request, "The simulation did not finish; try a smaller run.")
        return _page(request, "supervision/simulate.html", {"form": form}, status=503)
    return _page(
        request,
        "supervision/simulate.html",
        {"form": form, "scenario": scenario, "results": results},
    )
