from django.urls import path

from . import api
from .groups import api as group_api

urlpatterns = [
    path("credit/applications/", api.ApplicationListApi.as_view(), name="api-credit-applications"),
    path(
        "credit/applications/<int:pk>/",
        api.ApplicationDetailApi.as_view(),
        name="api-credit-application",
    ),
    path(
        "credit/applications/<int:pk>/notice.pdf",
        api.ApplicationNoticeApi.as_view(),
        name="api-credit-application-notice",
    ),
    path("credit/evaluations/", api.EvaluationListApi.as_view(), name="api-credit-evaluations"),
    path(
        "credit/evaluations/<int:pk>/",
        api.EvaluationDetailApi.as_view(),
        name="api-credit-evaluation",
    ),
    path(
        "credit/evaluations/<int:pk>/complete/",
        api.EvaluationCompleteApi.as_view(),
        name="api-credit-evaluation-complete",
    ),
    path(
        "credit/evaluations/<int:pk>/report.pdf",
        api.EvaluationReportApi.as_view(),
        name="api-credit-evaluation-report",
    ),
    path("credit/lines/", api.LineListApi.as_view(), name="api-credit-lines"),
    path("credit/lines/<int:customer_pk>/", api.LineDetailApi.as_view(), name="api-credit-line"),
    path(
        "credit/lines/<int:customer_pk>/history/",
        api.LineHistoryApi.as_view(),
        name="api-credit-line-history",
    ),
    path("credit/securities/", api.SecurityCreateApi.as_view(), name="api-credit-securities"),
    path(
        "credit/securities/<int:pk>/verify/",
        api.SecurityVerifyApi.as_view(),
        name="api-credit-security-verify",
    ),
    path("credit/adjustments/", api.AdjustmentListApi.as_view(), name="api-credit-adjustments"),
    path(
        "credit/adjustments/<int:pk>/step/",
        api.AdjustmentStepApi.as_view(),
        name="api-credit-adjustment-step",
    ),
]
for _name, _view in [
    ("submit", api.ApplicationSubmitApi),
    ("director-approve", api.ApplicationDirectorApproveApi),
    ("director-reject", api.ApplicationDirectorRejectApi),
    ("formal-review", api.ApplicationFormalReviewApi),
    ("resubmit", api.ApplicationResubmitApi),
    ("decide", api.ApplicationDecideApi),
    ("approve", api.ApplicationApproveApi),
    ("send-back", api.ApplicationSendBackApi),
]:
    urlpatterns.append(
        path(
            f"credit/applications/<int:pk>/{_name}/",
            _view.as_view(),
            name=f"api-credit-application-{_name}",
        )
    )

urlpatterns += [
    path("customer-groups/", group_api.CustomerGroupListApi.as_view(), name="api-customer-groups"),
    path(
        "customer-groups/<int:pk>/",
        group_api.CustomerGroupDetailApi.as_view(),
        name="api-customer-group",
    ),
]
