from django.db import migrations

from creditdesk.jobs import ensure_periodic_task
from creditdesk.roles import sync_roles


def schedule(apps, schema_editor):
    # HANDBOOK §10: the automatic warning rules run every morning, before the working day.
    ensure_periodic_task(
        apps,
        name="Warning rules",
        task="riskwarnings.run_warning_rules",
        crontab={"minute": "30", "hour": "6"},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("riskwarnings", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
        migrations.RunPython(schedule, migrations.RunPython.noop),
    ]
