"""Background work of the ledger (imported from the AppConfig so workers register it)."""

from celery import shared_task


@shared_task(name="receivables.run_import_job")
def run_import_job(job_id: int) -> str:
    """Runs an uploaded file's import once; a repeated or retried delivery of a job that is done,
    failed or still running does nothing (`import_job_run` claims the job first)."""
    from receivables.ledger.imports import import_job_run

    return import_job_run(job_id)
