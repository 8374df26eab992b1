"""The bench's URLConf: every real URL plus two reference endpoints, served only here."""

from django.db import connection, transaction
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from creditdesk.urls import urlpatterns as project_urlpatterns
from receivables.models import CustomerExposure

FLOOR_TABLE = "bench_floor"


class BareApi(APIView):
    """The floor of an authenticated DRF request: authentication, permission, `{}`."""

    def post(self, request):
        return Response({})

    def get(self, request):
        return Response({})


class WriteFloorApi(APIView):
    """The floor of a check that reserves credit: the bare request plus one durable locked write
    (lock the customer's exposure row, insert one row into a bench table, commit), and nothing else:
    no validation, no reads, no decision."""

    def post(self, request):
        customer_id = int(request.data["customer_id"])
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {CustomerExposure._meta.db_table} "
                "WHERE customer_id = %s FOR UPDATE",
                [customer_id],
            )
            cursor.execute(
                f"INSERT INTO {FLOOR_TABLE} (customer_id, at) VALUES (%s, now())",
                [customer_id],
            )
        return Response({})


urlpatterns = [
    path("bench/bare/", BareApi.as_view(), name="bench-bare"),
    path("bench/write-floor/", WriteFloorApi.as_view(), name="bench-write-floor"),
    *project_urlpatterns,
]
