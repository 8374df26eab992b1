from celery import shared_task

from creditdesk.jobs import tracked_job

from .rules import run_warning_rules


@shared_task(name="riskwarnings.run_warning_rules")
@tracked_job("riskwarnings.run_warning_rules")
def run_warning_rules_task() -> str:
    """Daily (HANDBOOK §10): raise or propose levels from overdue days and credit-line status, and
    propose lowering the levels whose cause is gone."""
    result = run_warning_rules()
    return (
        f"{result['raised']} raised, {result['proposed']} proposed, "
        f"{result['lowering_proposed']} proposed for lowering"
    )
