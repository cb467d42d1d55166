from django.urls import path

from casework import views

urlpatterns = [
    path("", views.queue, name="home"),
    path("claim", views.claim_next, name="claim_next"),
    path("cases/<str:case_number>/", views.case_detail, name="case"),
    path("cases/<str:case_number>/take", views.case_take, name="case_take"),
    path(
        "cases/<str:case_number>/steps/<slug:step_key>",
        views.case_step,
        name="case_step",
    ),
    path(
        "cases/<str:case_number>/actions/<slug:action_name>",
        views.case_action,
        name="case_action",
    ),
    path("cases/<str:case_number>/notes", views.case_note, name="case_note"),
    path(
        "cases/<str:case_number>/documents",
        views.case_document_add,
        name="case_document_add",
    ),
    path(
        "cases/<str:case_number>/documents/<int:document_id>",
        views.case_document,
        name="case_document",
    ),
    path(
        "cases/<str:case_number>/notices/<int:notice_id>",
        views.notice_detail,
        name="notice",
    ),
    path("healthz", views.healthz, name="healthz"),
]
