"""Periodic work of the release gate (imported from the AppConfig so workers register it)."""

from celery import shared_task

from creditdesk.jobs import tracked_job


@shared_task(name="receivables.expire_releases")
@tracked_job("receivables.expire_releases")
def expire_releases() -> str:
    """HANDBOOK §9: a release is valid for the policy's days; then its reservation is freed."""
    from receivables.gate.services import releases_expire

    return f"{releases_expire()} releases expired"
