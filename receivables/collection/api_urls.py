from django.urls import path

from receivables.collection import api as api

urlpatterns = [
    path("ageing/", api.AgeingApi.as_view(), name="api-ageing"),
    path("ageing/trend/", api.AgeingTrendApi.as_view(), name="api-ageing-trend"),
    path("kpis/", api.KpiApi.as_view(), name="api-receivables-kpis"),
    path(
        "collection/accounts/",
        api.OverdueAccountListApi.as_view(),
        name="api-collection-accounts",
    ),
    path(
        "customers/<int:pk>/collection-log/",
        api.CollectionLogApi.as_view(),
        name="api-collection-log",
    ),
    path(
        "customers/<int:pk>/dunning-letters/",
        api.CustomerDunningLetterListApi.as_view(),
        name="api-dunning-letters",
    ),
    path(
        "dunning-letters/<int:pk>/approve/",
        api.DunningLetterApproveApi.as_view(),
        name="api-dunning-letter-approve",
    ),
    path(
        "dunning-letters/<int:pk>/stop/",
        api.DunningLetterStopApi.as_view(),
        name="api-dunning-letter-stop",
    ),
    path(
        "customers/<int:pk>/statements/",
        api.StatementCreateApi.as_view(),
        name="api-statement-create",
    ),
    path("limitation/", api.LimitationQueueApi.as_view(), name="api-limitation-queue"),
    path("disputes/", api.DisputeListApi.as_view(), name="api-disputes"),
    path("disputes/<int:pk>/", api.DisputeDetailApi.as_view(), name="api-dispute"),
    path("disputes/<int:pk>/resolve/", api.DisputeResolveApi.as_view(), name="api-dispute-resolve"),
    path("customers/<int:pk>/promises/", api.PromiseListApi.as_view(), name="api-promises"),
    path("collection/worklist/", api.WorklistApi.as_view(), name="api-worklist"),
    path(
        "collection/worklist/reassign/",
        api.WorklistReassignApi.as_view(),
        name="api-worklist-reassign",
    ),
]
