from django.db import migrations

from creditdesk.jobs import ensure_periodic_task
from creditdesk.roles import sync_roles


def schedule(apps, schema_editor):
    # HANDBOOK §12: daily, early morning in Shanghai.
    ensure_periodic_task(
        apps,
        name="Credit annual review",
        task="credit.annual_review",
        crontab={"minute": "30", "hour": "2"},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("credit", "0002_workflow"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
        migrations.RunPython(schedule, migrations.RunPython.noop),
    ]
