"""The OpenAPI schema's error responses: every operation documents the one error body of
`creditdesk.api.exception_handler` for the statuses it can answer, so clients (and the schema
tests) know them all without each view restating them. Date query parameters state the business
date range they are read in (`creditdesk.api.query_date`)."""

from .inputs import BUSINESS_DATE_PATTERN

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error: a code, a message in the caller's language, and the messages "
    "per input field (`non_field_errors` for the input as a whole).",
    "properties": {
        "code": {"type": "string", "example": "invalid"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {},
            "example": {"amount": ["Enter an amount of at most 999,999,999,999.99 CNY."]},
        },
    },
    "required": ["code", "detail", "errors"],
}
# Status → when it is answered.
EVERY_OPERATION = {
    "400": "Bad input: field errors (also a NUL character in the address or query string).",
    "401": "No or an unknown token or session.",
    "403": "The caller's role or authority does not allow this.",
    "404": "No such record, or not one the caller may see.",
}
WRITES = {
    "409": "The record's state does not allow this step, or it changed at the same time.",
    "413": "The request body is larger than the limit.",
    "415": "The body's content type is not one the operation reads.",
}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_COMPONENT] = ERROR_SCHEMA
    body = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for parameter in operation.get("parameters", []):
                parameter_schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and parameter_schema.get("format") == "date":
                    parameter_schema.setdefault("pattern", BUSINESS_DATE_PATTERN)
            statuses = dict(EVERY_OPERATION)
            if method in WRITE_METHODS:
                statuses.update(WRITES)
            for status, description in statuses.items():
                operation["responses"].setdefault(
                    status, {"description": description, "content": body}
                )
    return result
