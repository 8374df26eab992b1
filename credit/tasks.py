from celery import shared_task

from creditdesk.jobs import tracked_job


@shared_task(name="credit.annual_review")
@tracked_job("credit.annual_review")
def annual_review() -> dict:
    """HANDBOOK §12: daily; opens reviews falling due and suspends lines past their date."""
    from .services import annual_review_run

    return annual_review_run()
