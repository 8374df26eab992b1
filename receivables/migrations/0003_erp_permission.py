from django.db import migrations

from creditdesk.jobs import ensure_periodic_task
from creditdesk.roles import sync_roles


def schedules(apps, schema_editor):
    ensure_periodic_task(
        apps,
        name="Release-gate expiry",
        task="receivables.expire_releases",
        crontab={"minute": "*/15", "hour": "*"},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("receivables", "0002_reminderlog_claimed_at"),
        ("creditdesk", "0002_roles_policy_schedules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="salesorder",
            options={
                "ordering": ["-released_at", "-id"],
                "permissions": [
                    (
                        "erp_integration",
                        "Can push ERP data and run release-gate checks (ERP account)",
                    )
                ],
                "verbose_name": "sales order",
                "verbose_name_plural": "sales orders",
            },
        ),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
        migrations.RunPython(schedules, migrations.RunPython.noop),
    ]
