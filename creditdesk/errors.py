"""Domain errors: raised by services, shown by the UI as a message and by the API as 400/403/404/409."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status_code = 400
    code = "invalid"
    default_message = _("The request could not be carried out.")

    def __init__(self, message=None, *, code: str | None = None, field_errors=None):
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.field_errors = field_errors or {}
        super().__init__(str(self.message))


class ValidationFailed(DomainError):
    status_code = 400
    code = "invalid"
    default_message = _("Some of the input is not valid.")


class NotAllowed(DomainError):
    status_code = 403
    code = "not_allowed"
    default_message = _("You are not allowed to do this.")


class SegregationOfDuties(NotAllowed):
    code = "segregation_of_duties"
    default_message = _("You submitted or already approved this request, so you cannot approve it.")


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
    default_message = _("Not found.")


class InvalidTransition(DomainError):
    status_code = 409
    code = "invalid_transition"
    default_message = _("This step is not possible in the current state.")


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    default_message = _("Someone else changed this at the same time. Reload and try again.")
