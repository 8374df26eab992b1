"""The dossier's "my work" queues: quarterly forms due (sales), documents expired or expiring (credit)."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.authority import has_role, is_credit
from creditdesk.registry import QueueItem, QueueSection
from creditdesk.roles import Role

from .models import QualificationDocument
from .selectors import info_form_due_date, missing_info_forms, quarter_of

EXPIRY_WARNING_DAYS = 30


def work_queues(user) -> list[QueueSection]:
    sections = []
    today = timezone.localdate()
    if has_role(user, Role.SALES):
        year, quarter = quarter_of(today)
        due = info_form_due_date(year, quarter)
        missing = missing_info_forms(user, today)
        sections.append(
            QueueSection.of(
                _("Quarterly information forms to file (Q%(q)s %(y)s)") % {"q": quarter, "y": year},
                missing,
                lambda c: QueueItem(
                    label=str(c),
                    url=reverse("info-form-add", args=[c.pk]),
                    due=due,
                    overdue=today > due,
                ),
            )
        )
    if is_credit(user):
        docs = (
            QualificationDocument.objects.filter(
                expires_on__lte=today + dt.timedelta(days=EXPIRY_WARNING_DAYS)
            )
            .select_related("customer")
            .order_by("expires_on")
        )
        sections.append(
            QueueSection.of(
                _("Documents expired or expiring within %(d)s days") % {"d": EXPIRY_WARNING_DAYS},
                docs,
                lambda d: QueueItem(
                    label=f"{d.customer.name}: {d.get_kind_display()}",
                    url=reverse("customer-documents", args=[d.customer_id]),
                    due=d.expires_on,
                    overdue=d.is_expired(today),
                ),
            )
        )
    return sections
