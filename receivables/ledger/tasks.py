"""Background work of the ledger (imported from the AppConfig so workers register it)."""

from celery import shared_task

from creditdesk.jobs import tracked_job


@shared_task(name="receivables.run_import_job")
def run_import_job(job_id: int) -> str:
    """Runs an uploaded file's import once; a repeated or retried delivery of a job that is done,
    failed or still running does nothing (`import_job_run` claims the job first)."""
    from receivables.ledger.imports import import_job_run

    return import_job_run(job_id)


BILLS_JOB = "receivables.release_matured_bills"


@shared_task(name=BILLS_JOB)
@tracked_job(BILLS_JOB)
def release_matured_bills_task(on: str | None = None) -> str:
    """Issue 17 §7: every morning the commercial bills that have matured leave their customers'
    exposure. Idempotent, and a missed day is caught up: the job works from the bills still held,
    not from the days it ran."""
    import datetime as dt

    from receivables.ledger.bills import bills_release_matured

    return f"released={bills_release_matured(dt.date.fromisoformat(on) if on else None)}"
