from django.urls import path

from receivables.ledger import views

urlpatterns = [
    path("receivables/import/", views.erp_import, name="receivables-import"),
    path("receivables/import/<int:pk>/", views.import_job, name="receivables-import-job"),
    path(
        "receivables/import/<int:pk>/status/",
        views.import_job_status,
        name="receivables-import-job-status",
    ),
    path(
        "receivables/import/<int:pk>/report.<str:fmt>",
        views.import_job_report,
        name="receivables-import-job-report",
    ),
]
