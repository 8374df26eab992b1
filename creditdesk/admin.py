from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import PeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

from .audit import EVENT_LABELS, event_label
from .jobs import job_label
from .models import AuditEvent, CreditPolicy, Duty, JobRun, Notification

# The administrator's pages speak the reader's language too (issue 18 §3).
admin.site.site_header = _("CreditDesk administration")
admin.site.site_title = _("CreditDesk administration")
admin.site.index_title = _("System administration")


@admin.register(CreditPolicy)
class CreditPolicyAdmin(admin.ModelAdmin):
    list_display = ["version", "effective_from", "status", "drafted_by", "approved_by"]
    list_filter = ["status"]

    def get_readonly_fields(self, request, obj=None):
        # An approved version is immutable (HANDBOOK §2); status changes only through the approval.
        if obj is not None and obj.is_approved:
            return [f.name for f in self.model._meta.fields]
        return ["status", "approved_by", "approved_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is None or not obj.is_approved


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "event", "actor", "customer", "subject_id"]
    list_filter = ["kind"]
    search_fields = ["kind", "customer__name", "subject_id"]

    @admin.display(description=_("event"), ordering="kind")
    def event(self, obj) -> str:
        return event_label(obj.kind)

    def get_list_filter(self, request):
        return [EventFilter]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "title", "read_at"]


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["name", "last_started_at", "last_finished_at", "last_ok", "last_ok_at"]


@admin.register(Duty)
class DutyAdmin(admin.ModelAdmin):
    """Read-only: duties are opened and closed by the services and the deadline job."""

    list_display = [
        "kind",
        "customer",
        "owner_role_shown",
        "owner",
        "due_at",
        "done_at",
        "escalated_at",
    ]
    list_filter = ["kind"]
    search_fields = ["customer__name", "title"]
    raw_id_fields = ["customer", "owner", "done_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("owner role"))
    def owner_role_shown(self, obj) -> str:
        return obj.owner_role_label


class EventFilter(admin.SimpleListFilter):
    """The audit log filtered by event, named in words (not `customers.customer.created`)."""

    title = _("event")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return sorted(
            ((kind, label) for kind, label in EVENT_LABELS.items()), key=lambda p: str(p[1])
        )

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class PermissionChoice(forms.ModelMultipleChoiceField):
    """A permission as "customer · add" in the reader's language, not Django's stored English."""

    ACTIONS = {"add": _("add"), "change": _("change"), "delete": _("delete"), "view": _("view")}

    def label_from_instance(self, obj: Permission) -> str:
        model = obj.content_type.model_class()
        subject = model._meta.verbose_name if model is not None else obj.content_type.model
        tracked = getattr(model, "instance_type", None)  # django-simple-history's record model
        if tracked is not None:
            subject = gettext("history of %(model)s") % {"model": tracked._meta.verbose_name}
        action, _sep, _rest = obj.codename.partition("_")
        what = self.ACTIONS.get(action)
        return f"{subject} · {what if what is not None else gettext(obj.name)}"


def _permission_field(db_field, formfield):
    if db_field.name in ("permissions", "user_permissions"):
        return PermissionChoice(
            queryset=formfield.queryset,
            required=False,
            widget=formfield.widget,
            label=formfield.label,
            help_text=formfield.help_text,
        )
    return formfield


admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(GroupAdmin):
    """The roles of HANDBOOK §1: each group is shown by its role's name."""

    list_display = ["role"]

    @admin.display(description=_("role"), ordering="name")
    def role(self, obj: Group) -> str:
        return role_name(obj)

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        return _permission_field(
            db_field, super().formfield_for_manytomany(db_field, request, **kwargs)
        )


class RoleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Group) -> str:
        return role_name(obj)


def role_name(group: Group) -> str:
    return str(group)  # the role's name (creditdesk.apps)


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(UserAdmin):
    """Accounts: roles by their names, permissions in words (issue 18 §3)."""

    list_display = ["username", "full_name", "email", "roles", "is_active", "is_staff"]

    @admin.display(description=_("name"))
    def full_name(self, obj) -> str:
        return str(obj)

    @admin.display(description=_("roles"))
    def roles(self, obj) -> str:
        return ", ".join(role_name(g) for g in obj.groups.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups":
            return RoleChoice(
                queryset=formfield.queryset,
                required=False,
                widget=formfield.widget,
                label=formfield.label,
                help_text=formfield.help_text,
            )
        return _permission_field(db_field, formfield)


admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class JobAdmin(PeriodicTaskAdmin):
    """The scheduled jobs, each named in the reader's language."""

    list_display = ["job", "enabled", "schedule", "last_run_at", "one_off"]
    list_filter = ["enabled", "one_off", "last_run_at"]

    @admin.display(description=_("job"), ordering="name")
    def job(self, obj: PeriodicTask) -> str:
        return job_label(obj)

    @admin.display(description=_("schedule"))
    def schedule(self, obj: PeriodicTask) -> str:
        return schedule_words(obj)

    def action_checkbox(self, obj):
        label = gettext("Select this object for an action - {}")
        attrs = {"class": "action-select", "aria-label": format_html(label, job_label(obj))}
        return forms.CheckboxInput(attrs, lambda value: False).render(
            helpers.ACTION_CHECKBOX_NAME, str(obj.pk)
        )


def schedule_words(task: PeriodicTask) -> str:
    """A job's schedule as a person reads it: "daily at 08:45", "every 5 minutes"."""
    if task.interval_id:
        return gettext("every %(n)s %(unit)s") % {
            "n": task.interval.every,
            "unit": task.interval.get_period_display(),
        }
    cron = task.crontab
    if cron is None:
        return "—"
    every = "*"
    if cron.minute.isdigit() and cron.hour.isdigit():
        at = f"{int(cron.hour):02d}:{int(cron.minute):02d}"
        if cron.day_of_month == cron.day_of_week == cron.month_of_year == every:
            return gettext("daily at %(time)s") % {"time": at}
        if cron.day_of_month.isdigit() and cron.day_of_week == cron.month_of_year == every:
            return gettext("monthly on day %(day)s at %(time)s") % {
                "day": cron.day_of_month,
                "time": at,
            }
    if cron.minute.isdigit() and cron.hour == cron.day_of_week == cron.day_of_month == every:
        return gettext("hourly at minute %(minute)s") % {"minute": cron.minute}
    return format_html(
        '<span translate="no">{} {} {} {} {}</span>',
        cron.minute,
        cron.hour,
        cron.day_of_month,
        cron.month_of_year,
        cron.day_of_week,
    )
