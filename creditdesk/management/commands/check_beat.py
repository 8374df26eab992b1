from django.core.management.base import BaseCommand, CommandError

from creditdesk.health import beat_is_fresh


class Command(BaseCommand):
    help = "Exit non-zero when the heartbeat job has not run in the last three minutes."

    def handle(self, *args, **options):
        if not beat_is_fresh():
            raise CommandError("The heartbeat job is stale: beat or the workers are not running.")
        self.stdout.write("Beat and workers are running.")
