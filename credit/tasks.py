from celery import shared_task

from creditdesk.jobs import tracked_job


@shared_task(name="credit.annual_review")
@tracked_job("credit.annual_review")
def annual_review() -> dict:
    """HANDBOOK §12: daily; opens reviews falling due and suspends lines past their date."""
    from .services import annual_review_run

    return annual_review_run()


@shared_task(name="credit.overdue_evaluations")
@tracked_job("credit.overdue_evaluations")
def overdue_evaluations() -> int:
    """HANDBOOK §2/§4.1: daily; an invoice overdue beyond the risk-evaluation days opens an
    evaluation of its customer (idempotent, catches up)."""
    from .services import overdue_evaluations_run

    return overdue_evaluations_run()
