"""The bench's URLConf: every real URL plus a bare authenticated endpoint, served only here."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from creditdesk.urls import urlpatterns as project_urlpatterns


class BareApi(APIView):
    """The floor of an authenticated DRF request: authentication, permission, `{}`."""

    def post(self, request):
        return Response({})

    def get(self, request):
        return Response({})


urlpatterns = [path("bench/bare/", BareApi.as_view(), name="bench-bare"), *project_urlpatterns]
