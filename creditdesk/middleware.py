"""The request guard: what no view could read is refused before any view runs, as a translated
400 or 413 (the API's error body under /api/, a page elsewhere)."""

from urllib.parse import parse_qsl

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .error_pages import error_response


def body_too_large_message() -> str:
    return _("The request body is too large: at most %(size)s.") % {
        "size": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    }


def _nul_errors(request) -> dict:
    raw = request.META.get("QUERY_STRING", "")
    errors: dict[str, list[str]] = {}
    if "\x00" in request.path_info:
        errors["non_field_errors"] = [_("The address contains a NUL character.")]
    if "%00" in raw or "\x00" in raw:
        for name, value in parse_qsl(raw, keep_blank_values=True):
            field = name if "\x00" not in name else "non_field_errors"
            if "\x00" in name or "\x00" in value:
                errors.setdefault(field, []).append(_("Remove the NUL character from this value."))
    return errors


class RequestGuard:
    """A NUL byte in the path or query string is a 400 (PostgreSQL cannot store or compare it, so
    any view would answer 500); a body above DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 before anything
    reads it (Django only checks the size when a form is parsed, DRF's JSON parser never)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        errors = _nul_errors(request)
        if errors:
            return error_response(
                request,
                status=400,
                code="invalid",
                detail=_("Some of the input is not valid."),
                errors=errors,
            )
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return error_response(
                request, status=413, code="too_large", detail=body_too_large_message(), errors={}
            )
        return self.get_response(request)
