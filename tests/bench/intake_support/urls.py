from django.urls import path
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from config.urls import urlpatterns as product_urlpatterns
from tests.bench.intake_support.models import BareItem


class BareItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = BareItem
        fields = ["id", "name", "amount", "created_at"]


class BareCreateView(generics.CreateAPIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    serializer_class = BareItemSerializer


urlpatterns = [
    path("bench/bare/", BareCreateView.as_view()),
    *product_urlpatterns,
]
