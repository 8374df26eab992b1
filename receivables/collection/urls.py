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
    path("receivables/letters/", views.letter_queue, name="receivables-letters"),
    path("receivables/letters/<int:pk>/pdf/", views.letter_pdf, name="receivables-letter-pdf"),
    path(
        "receivables/letters/<int:pk>/<str:decision>/",
        views.letter_decide,
        name="receivables-letter-decide",
    ),
    path("receivables/limitation/", views.limitation_queue, name="receivables-limitation"),
    path("customers/<int:pk>/letters/", views.customer_letters, name="customer-letters"),
    path(
        "customers/<int:pk>/statements/",
        views.statement_produce,
        name="customer-statement-produce",
    ),
    path(
        "customers/<int:pk>/statements/<int:statement_pk>/confirm/",
        views.statement_confirm,
        name="customer-statement-confirm",
    ),
    path(
        "customers/<int:pk>/limitation/restart/",
        views.limitation_restart_add,
        name="customer-limitation-restart",
    ),
    path("receivables/disputes/", views.dispute_list, name="receivables-disputes"),
    path("receivables/disputes/<int:pk>/", views.dispute_detail, name="dispute-detail"),
    path("receivables/disputes/<int:pk>/resolve/", views.dispute_resolve, name="dispute-resolve"),
    path("receivables/disputes/<int:pk>/attach/", views.dispute_attach, name="dispute-attach"),
    path("receivables/disputes/files/<int:pk>/", views.dispute_file, name="dispute-file"),
    path("customers/<int:pk>/disputes/", views.customer_disputes, name="customer-disputes"),
    path("customers/<int:pk>/disputes/new/", views.dispute_new, name="customer-dispute-new"),
    path("customers/<int:pk>/promises/new/", views.promise_new, name="customer-promise-new"),
    path("receivables/worklist/", views.worklist_page, name="receivables-worklist"),
    path(
        "receivables/worklist/reassign/",
        views.worklist_reassign,
        name="receivables-worklist-reassign",
    ),
]
