"""What every API module shares: one error body, pagination, the authority permission, date
query parameters, and a serializer for hot paths."""

import datetime as dt
from functools import cached_property

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .authority import may
from .errors import DomainError, ValidationFailed


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def paginated(view, request, rows, serializer_class) -> Response:
    """One page of `rows` (a queryset or a list) in the paginated body `{count, next, previous,
    results}` (`page`, `page_size` up to 500): a list of any length is read whole, page by page.
    The view sets `pagination_class = Pagination`, so that its schema describes this body."""
    paginator = Pagination()
    page = paginator.paginate_queryset(rows, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


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


def query_date(request, name: str) -> dt.date | None:
    """The query parameter `name` as a date (YYYY-MM-DD); None when it is absent or empty, a 400
    with the field's error when it is not a date."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(field_errors={name: [_("Enter a date as YYYY-MM-DD.")]}) from None


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


class PreboundSerializer(serializers.Serializer):
    """A serializer whose fields are copied and bound once per class instead of once per instance.

    DRF deep-copies and binds the declared fields for every instance: for the release gate's five
    fields that is about 70 µs a check (bench machine), more than its rules cost. Validation and
    errors are DRF's own; only the copying is shared.

    Only for plain scalar fields that keep nothing of a request. The shared fields are bound to a
    template instance, so the serializer cannot take a `context` or `partial=True`, and nested
    serializers are refused.
    """

    def __init__(self, *args, **kwargs):
        if kwargs.get("context") or kwargs.get("partial"):
            raise TypeError(f"{type(self).__name__} takes no context and no partial validation.")
        super().__init__(*args, **kwargs)

    @cached_property
    def fields(self):
        cls = type(self)
        bound = cls.__dict__.get("_prebound_fields")
        if bound is None:
            template = cls()
            bound = serializers.BindingDict(template)
            for name, field in template.get_fields().items():
                if isinstance(field, serializers.BaseSerializer):
                    raise TypeError(f"{cls.__name__}.{name}: nested serializers are not shared.")
                bound[name] = field
            cls._prebound_fields = bound
        return bound
