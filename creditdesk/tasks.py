from celery import shared_task

from .jobs import tracked_job


@shared_task(name="creditdesk.heartbeat")
@tracked_job("creditdesk.heartbeat")
def heartbeat() -> str:
    """Runs every minute: its last run tells the health check that beat and a worker are alive."""
    return "ok"


@shared_task(name="creditdesk.duties_chase")
@tracked_job("creditdesk.duties_chase")
def duties_chase_task() -> str:
    """Every quarter of an hour: open the recurring duties, remind owners, escalate breaches."""
    from .duties import duties_chase

    return str(duties_chase())
