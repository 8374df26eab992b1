"""The API's JSON parser (kept apart from creditdesk.api: DRF reads DEFAULT_PARSER_CLASSES while
rest_framework.views is imported)."""

import json

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

# Objects and lists inside one another: the deepest body any operation takes is three levels
# (a bulk feed's records with their lines); well beyond that is an attack, not a document.
MAX_JSON_DEPTH = 32


def _too_deep(data, limit: int) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number")


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a translated message for a body that is not JSON (or not UTF-8),
    NaN and Infinity refused, and a nesting limit (a 400, not a RecursionError). The body's size
    is bounded before this reads it (creditdesk.middleware.RequestGuard)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(stream.read().decode(encoding), parse_constant=_refuse_constant)
        except RecursionError:
            raise self._nested_too_deeply() from None
        except ValueError:  # also UnicodeDecodeError
            raise exceptions.ParseError(
                _("The request body is not valid JSON in UTF-8."), code="parse_error"
            ) from None
        if isinstance(data, dict | list) and _too_deep(data, MAX_JSON_DEPTH):
            raise self._nested_too_deeply()
        return data

    @staticmethod
    def _nested_too_deeply() -> exceptions.ParseError:
        return exceptions.ParseError(
            _("The JSON body is nested too deeply (at most %(depth)d levels).")
            % {"depth": MAX_JSON_DEPTH},
            code="too_deep",
        )
