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
]
