from celery import shared_task

from .jobs import tracked_job


@shared_task(name="creditdesk.heartbeat")
@tracked_job("creditdesk.heartbeat")
def heartbeat() -> str:
    """Runs every minute: its last run tells the health check that beat and a worker are alive."""
    return "ok"
