from django.db import migrations

from creditdesk.jobs import ensure_periodic_task


def schedule(apps, schema_editor):
    # HANDBOOK §8: every morning, the −7 day reminders, the +1 day notices and the monthly statements.
    ensure_periodic_task(
        apps,
        name="Reminder e-mails and monthly statements",
        task="receivables.send_due_reminders",
        crontab={"minute": "30", "hour": "8"},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("receivables", "0003_erp_permission"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
