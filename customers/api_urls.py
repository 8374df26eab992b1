from django.urls import path

from . import api

urlpatterns = [
    path("customers/", api.CustomerListApi.as_view(), name="api-customer-list"),
    path("customers/<int:pk>/", api.CustomerDetailApi.as_view(), name="api-customer-detail"),
    path(
        "customers/<int:pk>/documents/",
        api.CustomerDocumentsApi.as_view(),
        name="api-customer-documents",
    ),
]
