from django.urls import path

from . import views
from .groups import views as group_views

urlpatterns = [
    path("credit/applications/", views.application_list, name="credit-applications"),
    path("credit/applications/<int:pk>/", views.application_detail, name="credit-application"),
    path(
        "credit/applications/<int:pk>/notice.pdf",
        views.application_notice_pdf,
        name="credit-application-notice",
    ),
    path(
        "credit/applications/<int:pk>/<slug:action>/",
        views.application_action,
        name="credit-application-action",
    ),
    path(
        "credit/customers/<int:customer_pk>/apply/",
        views.application_new,
        name="credit-application-new",
    ),
    path("credit/customers/<int:customer_pk>/", views.line_detail, name="credit-line"),
    path(
        "credit/customers/<int:customer_pk>/adjust/",
        views.adjustment_new,
        name="credit-adjustment-new",
    ),
    path(
        "credit/customers/<int:customer_pk>/security/",
        views.security_new,
        name="credit-security-new",
    ),
    path(
        "credit/customers/<int:customer_pk>/contract/",
        views.contract_new,
        name="credit-contract-new",
    ),
    path("credit/contracts/", views.contract_list, name="credit-contracts"),
    path("credit/contracts/<int:pk>/", views.contract_detail, name="credit-contract"),
    path(
        "credit/customers/<int:customer_pk>/evaluate/",
        views.evaluation_new,
        name="credit-evaluation-new",
    ),
    path("credit/lines/", views.line_list, name="credit-lines"),
    path("credit/evaluations/<int:pk>/", views.evaluation_detail, name="credit-evaluation"),
    path(
        "credit/evaluations/<int:pk>/professional-report/",
        views.evaluation_report,
        name="credit-evaluation-report",
    ),
    path(
        "credit/evaluations/<int:pk>/professional-report/file",
        views.evaluation_report_file,
        name="credit-evaluation-report-file",
    ),
    path(
        "credit/evaluations/<int:pk>/complete/",
        views.evaluation_complete,
        name="credit-evaluation-complete",
    ),
    path(
        "credit/evaluations/<int:pk>/report.pdf", views.evaluation_pdf, name="credit-evaluation-pdf"
    ),
    path("credit/adjustments/<int:pk>/", views.adjustment_detail, name="credit-adjustment"),
    path(
        "credit/adjustments/<int:pk>/<slug:action>/",
        views.adjustment_action,
        name="credit-adjustment-action",
    ),
    path(
        "credit/securities/<int:pk>/verify/", views.security_verify, name="credit-security-verify"
    ),
    path("credit/groups/", group_views.group_list, name="credit-groups"),
    path("credit/groups/new/", group_views.group_create, name="credit-group-new"),
    path("credit/groups/<int:pk>/", group_views.group_detail, name="credit-group"),
    path("credit/groups/<int:pk>/edit/", group_views.group_edit, name="credit-group-edit"),
    path(
        "credit/groups/<int:pk>/members/",
        group_views.group_member_add,
        name="credit-group-member-add",
    ),
    path(
        "credit/groups/<int:pk>/members/<int:customer_pk>/remove/",
        group_views.group_member_remove,
        name="credit-group-member-remove",
    ),
    path(
        "credit/groups/<int:pk>/limit/",
        group_views.group_limit_request_new,
        name="credit-group-limit-request-new",
    ),
    path(
        "credit/group-limit-requests/<int:pk>/",
        group_views.group_limit_request_detail,
        name="credit-group-limit-request",
    ),
    path(
        "credit/group-limit-requests/<int:pk>/<slug:action>/",
        group_views.group_limit_request_action,
        name="credit-group-limit-request-action",
    ),
    path(
        "credit/customers/<int:customer_pk>/group/",
        group_views.customer_group_tab,
        name="credit-customer-group",
    ),
]
