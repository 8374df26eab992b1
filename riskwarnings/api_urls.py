from django.urls import path

from . import api

urlpatterns = [
    path("warnings/", api.WarningListApi.as_view(), name="api-warning-list"),
    path(
        "customers/<int:pk>/warning/",
        api.WarningDetailApi.as_view(),
        name="api-customer-warning",
    ),
    path(
        "customers/<int:pk>/warning/level/",
        api.WarningLevelChangeApi.as_view(),
        name="api-customer-warning-level",
    ),
    path(
        "customers/<int:pk>/agency-referrals/",
        api.ReferralRecordApi.as_view(),
        name="api-customer-agency-referrals",
    ),
    path(
        "customers/<int:pk>/signals/",
        api.CustomerSignalsApi.as_view(),
        name="api-customer-signals",
    ),
    path("signals/<int:pk>/", api.SignalDetailApi.as_view(), name="api-signal-detail"),
    path(
        "evaluations/<int:pk>/assessments/",
        api.EvaluationAssessApi.as_view(),
        name="api-evaluation-assess",
    ),
    path(
        "evaluations/<int:pk>/conclusion/",
        api.EvaluationConcludeApi.as_view(),
        name="api-evaluation-conclude",
    ),
    path("warning-proposals/", api.ProposalListApi.as_view(), name="api-proposal-list"),
    path(
        "warning-proposals/<int:pk>/decision/",
        api.ProposalDecideApi.as_view(),
        name="api-proposal-decide",
    ),
    path("recalls/", api.RecallListApi.as_view(), name="api-recall-list"),
    path("recalls/<int:pk>/mark/", api.RecallMarkApi.as_view(), name="api-recall-mark"),
]
