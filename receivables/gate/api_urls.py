from django.urls import path

from receivables.gate import api

urlpatterns = [
    path("gate/checks/", api.GateCheckCreateApi.as_view(), name="api-gate-check-create"),
    path("gate/checks/<int:pk>/", api.GateCheckDetailApi.as_view(), name="api-gate-check-detail"),
    path(
        "gate/checks/<int:pk>/cancel/",
        api.GateCheckCancelApi.as_view(),
        name="api-gate-check-cancel",
    ),
    path(
        "gate/checks/<int:pk>/release-request/",
        api.GateReleaseAskApi.as_view(),
        name="api-gate-check-release-ask",
    ),
]
