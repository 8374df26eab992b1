from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authtoken.views import obtain_auth_token

from . import health, views

APPS = ("customers", "credit", "receivables", "riskwarnings", "baddebt")
# Receivables first: the release gate is the busiest route (the ERP and logistics call it before
# every shipment), and the resolver tries patterns in order.
API_APPS = ("receivables", "customers", "credit", "riskwarnings", "baddebt")
api_v1 = [path("", include(f"{app}.api_urls")) for app in API_APPS]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("healthz/live", health.live, name="healthz-live"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("deadlines/", views.deadlines, name="deadlines"),
    path("policy/", views.policy_list, name="policy-list"),
    path("policy/new/", views.policy_new, name="policy-new"),
    path("policy/<int:pk>/", views.policy_detail, name="policy-detail"),
    path("policy/<int:pk>/edit/", views.policy_edit, name="policy-edit"),
    path("policy/<int:pk>/approve/", views.policy_approve_view, name="policy-approve"),
    path("policy/execution/", views.execution_report_view, name="policy-execution"),
    path("customers/", include("customers.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/auth/token/", obtain_auth_token, name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
urlpatterns += [path("", include(f"{app}.urls")) for app in APPS[1:]]

# Under /api/ these answer with the API's error body, elsewhere with the pages.
handler400 = "creditdesk.error_pages.bad_request"
handler403 = "creditdesk.error_pages.permission_denied"
handler404 = "creditdesk.error_pages.page_not_found"
handler500 = "creditdesk.error_pages.server_error"
