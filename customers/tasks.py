from celery import shared_task

from creditdesk.jobs import tracked_job

from .services import notify_expiring_documents


@shared_task(name="customers.notify_expiring_documents")
@tracked_job("customers.notify_expiring_documents")
def notify_expiring_documents_task() -> str:
    count = notify_expiring_documents()
    return f"{count} salespeople notified"
