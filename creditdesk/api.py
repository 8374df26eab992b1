"""What every API module shares: one error body, pagination, and the authority permission."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .authority import may
from .errors import DomainError


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def _as_field_errors(detail) -> dict:
    if isinstance(detail, dict):
        return detail
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return {"non_field_errors": [detail]}


def exception_handler(exc, context):
    """Every error is `{"code", "detail", "errors"}` with the fitting status (400/401/403/404/409)."""
    if isinstance(exc, DomainError):
        return Response(
            {"code": exc.code, "detail": str(exc.message), "errors": exc.field_errors},
            status=exc.status_code,
        )
    if isinstance(exc, DjangoValidationError):
        errors = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(
            {"code": "invalid", "detail": _("Some of the input is not valid."), "errors": errors},
            status=400,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": "invalid",
            "detail": _("Some of the input is not valid."),
            "errors": _as_field_errors(exc.detail),
        }
    else:
        detail = getattr(exc, "detail", "")
        code = exc.get_codes() if hasattr(exc, "get_codes") else "error"
        response.data = {
            "code": code if isinstance(code, str) else "error",
            "detail": str(detail),
            "errors": {},
        }
    return response


class Authority(permissions.BasePermission):
    """Checks the view's `authority_action` (and, for objects, the object) with creditdesk.authority."""

    def has_permission(self, request, view) -> bool:
        action = getattr(view, "authority_action", None)
        if action is None:
            return request.user.is_authenticated
        return may(request.user, action)

    def has_object_permission(self, request, view, obj) -> bool:
        action = getattr(view, "authority_object_action", None)
        return True if action is None else may(request.user, action, obj)
