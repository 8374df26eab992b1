import datetime as dt

from django.db import migrations

from creditdesk.jobs import ensure_periodic_task
from creditdesk.roles import sync_roles


def initial_policy(apps, schema_editor):
    """The handbook's defaults (HANDBOOK §2) as the first approved version, in force from the start."""
    CreditPolicy = apps.get_model("creditdesk", "CreditPolicy")
    if not CreditPolicy.objects.exists():
        CreditPolicy.objects.create(
            version="2026.1",
            effective_from=dt.date(2000, 1, 1),
            status="approved",
            notes="信用管理手册第2节规定的默认参数。",
            approved_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        )


def schedules(apps, schema_editor):
    ensure_periodic_task(apps, name="Heartbeat", task="creditdesk.heartbeat", every_seconds=60)
    ensure_periodic_task(
        apps,
        name="Document expiry notices",
        task="customers.notify_expiring_documents",
        crontab={"minute": "0", "hour": "7"},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("creditdesk", "0001_initial"),
        ("customers", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
        migrations.RunPython(initial_policy, migrations.RunPython.noop),
        migrations.RunPython(schedules, migrations.RunPython.noop),
    ]
