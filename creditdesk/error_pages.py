"""Error answers outside DRF's views: under /api/ the API's error body (an address that matches no
operation, a request refused before any view), elsewhere Django's pages."""

from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views import defaults


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def error_response(request, *, status: int, code: str, detail: str, errors: dict):
    """The API's error body `{"code", "detail", "errors"}` under /api/, the error page elsewhere."""
    if is_api(request):
        return JsonResponse({"code": code, "detail": detail, "errors": errors}, status=status)
    problems = [m for field_messages in errors.values() for m in field_messages] or [detail]
    return TemplateResponse(
        request, "400.html", {"title": detail, "problems": problems}, status=status
    ).render()


def bad_request(request, exception=None):
    if is_api(request):
        detail = _("The request could not be read.")
        return error_response(request, status=400, code="invalid", detail=detail, errors={})
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if is_api(request):
        detail = _("You are not allowed to do this.")
        return error_response(request, status=403, code="not_allowed", detail=detail, errors={})
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if is_api(request):
        detail = _("Not found.")
        return error_response(request, status=404, code="not_found", detail=detail, errors={})
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api(request):
        detail = _("Something went wrong and has been logged; please try again.")
        return error_response(request, status=500, code="server_error", detail=detail, errors={})
    return defaults.server_error(request)
