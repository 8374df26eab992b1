from django.urls import path

from receivables.ledger import api

urlpatterns = [
    path("invoices/bulk/", api.InvoiceBulkApi.as_view(), name="api-invoices-bulk"),
    path("payments/bulk/", api.PaymentBulkApi.as_view(), name="api-payments-bulk"),
    path(
        "payments/<int:pk>/dishonour/",
        api.PaymentDishonourApi.as_view(),
        name="api-payment-dishonour",
    ),
    path("credit-notes/bulk/", api.CreditNoteBulkApi.as_view(), name="api-credit-notes-bulk"),
    path("orders/bulk/", api.OrderBulkApi.as_view(), name="api-orders-bulk"),
]
