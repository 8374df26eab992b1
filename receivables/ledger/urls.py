from django.urls import path

from receivables.ledger import views

urlpatterns = [
    path("receivables/import/", views.erp_import, name="receivables-import"),
]
