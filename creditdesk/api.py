"""What every API module shares: one error body, pagination, the authority permission, date
query parameters, and a serializer for hot paths."""

import datetime as dt
from functools import cached_property

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .authority import may
from .errors import DomainError, ValidationFailed
from .inputs import parse_business_date
from .middleware import body_too_large_message


class Pagination(PageNumberPagination):
    """`page` and `page_size` (1 to 500) as the schema says: whole numbers in range, or a 400
    naming the parameter (DRF would quietly read a bad page size as the default). A page past the
    end stays a 404."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        size = query_int(request, self.page_size_query_param, minimum=1, maximum=self.max_page_size)
        return self.page_size if size is None else size

    def paginate_queryset(self, queryset, request, view=None):
        if request.query_params.get(self.page_query_param) not in self.last_page_strings:
            query_int(request, self.page_query_param, minimum=1, maximum=10**9)
        return super().paginate_queryset(queryset, request, view=view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        limits = {
            self.page_query_param: {"minimum": 1, "maximum": 10**9},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        }
        for parameter in parameters:
            parameter["schema"].update(limits.get(parameter["name"], {}))
        return parameters


def paginated(view, request, rows, serializer_class, decorate=None) -> Response:
    """One page of `rows` (a queryset or a list) in the paginated body `{count, next, previous,
    results}` (`page`, `page_size` up to 500): a list of any length is read whole, page by page.
    The view sets `pagination_class = Pagination`, so that its schema describes this body.
    `decorate(page)` completes the page's rows (names read for the page only)."""
    paginator = Pagination()
    page = paginator.paginate_queryset(rows, request, view=view)
    if decorate is not None:
        page = decorate(page)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


def _as_field_errors(detail) -> dict:
    if isinstance(detail, dict):
        return detail
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return {"non_field_errors": [detail]}


def exception_handler(exc, context):
    """Every error is `{"code", "detail", "errors"}` with the fitting status
    (400/401/403/404/405/409/413/415)."""
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"code": "too_large", "detail": body_too_large_message(), "errors": {}}, status=413
        )
    if isinstance(exc, SuspiciousOperation | RecursionError):
        # Too many fields or files, a form nested beyond reading: the input, not the server.
        return Response(
            {"code": "invalid", "detail": _("The request could not be read."), "errors": {}},
            status=400,
        )
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
    """The query parameter `name` as a business date (YYYY-MM-DD, 2000–2099); None when it is
    absent, a 400 with the field's error when it is anything else (empty included)."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return parse_business_date(raw)
    except DjangoValidationError as error:
        raise ValidationFailed(field_errors={name: error.messages}) from None


def _present(request, name: str) -> str | None:
    """The parameter's (last) value; None when it is absent. Present but empty is a value."""
    return request.query_params.get(name)


def query_int(request, name: str, *, minimum: int, maximum: int) -> int | None:
    """The query parameter `name` as a whole number in [minimum, maximum]; None when absent, a 400
    with the field's error when it is anything else (empty, a word, out of range)."""
    raw = _present(request, name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.lstrip("-").isdigit() and len(raw) <= 12):
        raise ValidationFailed(field_errors={name: [_("Enter a whole number.")]})
    value = int(raw)
    if not minimum <= value <= maximum:
        message = _("Enter a whole number between %(minimum)d and %(maximum)d.") % {
            "minimum": minimum,
            "maximum": maximum,
        }
        raise ValidationFailed(field_errors={name: [message]})
    return value


def query_choice(request, name: str, choices) -> str | None:
    """The query parameter `name` as one of `choices`; None when absent, a 400 otherwise."""
    raw = _present(request, name)
    if raw is None:
        return None
    if raw not in choices:
        message = _("Choose one of: %(choices)s.") % {"choices": ", ".join(map(str, choices))}
        raise ValidationFailed(field_errors={name: [message]})
    return raw


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
