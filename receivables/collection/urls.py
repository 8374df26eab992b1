from django.urls import path

from receivables.collection import views as views

urlpatterns = [
    path("receivables/ageing/", views.ageing_page, name="receivables-ageing"),
    path(
        "receivables/ageing/export.<str:fmt>",
        views.ageing_export,
        name="receivables-ageing-export",
    ),
    path("receivables/ageing/invoices/", views.ageing_invoices, name="receivables-ageing-invoices"),
    path("receivables/kpis/", views.kpi_page, name="receivables-kpis"),
    path("receivables/collection/", views.collection_queue, name="receivables-collection"),
    path("customers/<int:pk>/collection/", views.customer_collection, name="customer-collection"),
    path(
        "customers/<int:pk>/collection/add/",
        views.collection_entry_add,
        name="customer-collection-add",
    ),
]
