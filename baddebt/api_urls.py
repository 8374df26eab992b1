from django.urls import path

from . import api

urlpatterns = [
    path("bad-debt/cases/", api.CaseListApi.as_view(), name="api-baddebt-case-list"),
    path("bad-debt/cases/<int:pk>/", api.CaseDetailApi.as_view(), name="api-baddebt-case-detail"),
    path(
        "bad-debt/cases/<int:pk>/attachments/",
        api.CaseAttachmentAddApi.as_view(),
        name="api-baddebt-attachment-add",
    ),
    path(
        "bad-debt/cases/<int:pk>/submit/",
        api.CaseSubmitApi.as_view(),
        name="api-baddebt-case-submit",
    ),
    path(
        "bad-debt/cases/<int:pk>/review/",
        api.CaseReviewApi.as_view(),
        name="api-baddebt-case-review",
    ),
    path(
        "bad-debt/cases/<int:pk>/confirm/",
        api.CaseConfirmApi.as_view(),
        name="api-baddebt-case-confirm",
    ),
    path(
        "bad-debt/cases/<int:pk>/return/",
        api.CaseReturnApi.as_view(),
        name="api-baddebt-case-return",
    ),
    path(
        "bad-debt/cases/<int:pk>/archive/",
        api.CaseArchiveApi.as_view(),
        name="api-baddebt-case-archive",
    ),
    path(
        "bad-debt/cases/<int:pk>/restart/",
        api.CaseRestartApi.as_view(),
        name="api-baddebt-case-restart",
    ),
    path(
        "bad-debt/cases/<int:pk>/recoveries/",
        api.CaseRecoveryApi.as_view(),
        name="api-baddebt-case-recovery",
    ),
    path(
        "bad-debt/cases/<int:pk>/analysis/",
        api.CaseAnalysisApi.as_view(),
        name="api-baddebt-case-analysis",
    ),
    path("bad-debt/cases/<int:pk>/pdf/", api.CasePdfApi.as_view(), name="api-baddebt-case-pdf"),
    path(
        "bad-debt/provision-report/",
        api.ProvisionReportApi.as_view(),
        name="api-baddebt-provision-report",
    ),
    path("bad-debt/kpi/bad-debt-rate/", api.BadDebtRateApi.as_view(), name="api-baddebt-rate"),
]
