from django.urls import path

from casework.supervision import views

app_name = "supervision"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("live", views.dashboard_live, name="dashboard_live"),
    path("reassign", views.reassign, name="reassign"),
    path(
        "alerts/<int:pk>/acknowledge",
        views.acknowledge_alert,
        name="acknowledge_alert",
    ),
    path("workload", views.workload, name="workload"),
    path("timeliness", views.timeliness, name="timeliness"),
    path("outcomes", views.outcomes, name="outcomes"),
    path("denial-trend", views.denial_trend, name="denial_trend"),
    path("denial-trend.csv", views.denial_trend_csv, name="denial_trend_csv"),
    path(
        "providers/<str:npi>/feedback",
        views.provider_feedback,
        name="provider_feedback",
    ),
    path("universes", views.universe_export, name="universes"),
    path("simulate", views.simulate, name="simulate"),
]
