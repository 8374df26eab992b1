from django.urls import path

from . import api

urlpatterns = [
    path("gate/checks/", api.GateCheckCreateApi.as_view(), name="api-gate-check-create"),
    path("gate/checks/<int:pk>/", api.GateCheckDetailApi.as_view(), name="api-gate-check-detail"),
    path(
        "gate/checks/<int:pk>/cancel/",
        api.GateCheckCancelApi.as_view(),
        name="api-gate-check-cancel",
    ),
    path("invoices/bulk/", api.InvoiceBulkApi.as_view(), name="api-invoices-bulk"),
    path("payments/bulk/", api.PaymentBulkApi.as_view(), name="api-payments-bulk"),
    path("credit-notes/bulk/", api.CreditNoteBulkApi.as_view(), name="api-credit-notes-bulk"),
    path("orders/bulk/", api.OrderBulkApi.as_view(), name="api-orders-bulk"),
]

# Ageing, KPIs and collection (HANDBOOK §8).
from .api_urls_collection import urlpatterns as _collection_urls  # noqa: E402

urlpatterns += _collection_urls
