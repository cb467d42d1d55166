from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated

from appeals.api import views
from appeals.api.authentication import BearerKeyAuthentication

# The schema and its docs need a staff login or an integration key, like every page.
DOCS_ACCESS = {
    "authentication_classes": [SessionAuthentication, BearerKeyAuthentication],
    "permission_classes": [IsAuthenticated],
}

urlpatterns = [
    path("v1/appeals/", views.AppealListCreateView.as_view(), name="api-appeal-list"),
    path("v1/appeals/batch/", views.AppealBatchView.as_view(), name="api-appeal-batch"),
    path(
        "v1/appeals/<str:appeal_id>/",
        views.AppealDetailView.as_view(),
        name="api-appeal-detail",
    ),
    path(
        "v1/appeals/<str:appeal_id>/documents/",
        views.AppealDocumentView.as_view(),
        name="api-appeal-documents",
    ),
    path(
        "v1/appeals/<str:appeal_id>/withdraw/",
        views.AppealWithdrawView.as_view(),
        name="api-appeal-withdraw",
    ),
    path("schema/", SpectacularAPIView.as_view(**DOCS_ACCESS), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", **DOCS_ACCESS),
        name="api-docs",
    ),
]
