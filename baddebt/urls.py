from django.urls import path

from . import views

urlpatterns = [
    path("bad-debt/", views.case_list, name="baddebt-case-list"),
    path("bad-debt/report/", views.report, name="baddebt-report"),
    path("bad-debt/customer/<int:pk>/", views.customer_cases, name="baddebt-customer"),
    path("bad-debt/customer/<int:pk>/new/", views.case_open, name="baddebt-case-open"),
    path("bad-debt/<int:pk>/", views.case_detail, name="baddebt-case-detail"),
    path("bad-debt/<int:pk>/edit/", views.case_edit, name="baddebt-case-edit"),
    path("bad-debt/<int:pk>/attachments/add/", views.attachment_add, name="baddebt-attachment-add"),
    path("bad-debt/<int:pk>/submit/", views.case_submit, name="baddebt-case-submit"),
    path("bad-debt/<int:pk>/review/", views.case_review, name="baddebt-case-review"),
    path("bad-debt/<int:pk>/confirm/", views.case_confirm, name="baddebt-case-confirm"),
    path("bad-debt/<int:pk>/archive/", views.case_archive, name="baddebt-case-archive"),
    path("bad-debt/<int:pk>/restart/", views.case_restart, name="baddebt-case-restart"),
    path("bad-debt/<int:pk>/recoveries/add/", views.recovery_add, name="baddebt-recovery-add"),
    path("bad-debt/<int:pk>/analysis/", views.case_analysis, name="baddebt-case-analysis"),
    path("bad-debt/<int:pk>/pdf/", views.case_pdf, name="baddebt-case-pdf"),
    path(
        "bad-debt/attachments/<int:pk>/file/",
        views.attachment_file,
        name="baddebt-attachment-file",
    ),
]
