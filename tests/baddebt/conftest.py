import pytest

from baddebt.models import BadDebtCase
from baddebt.services import case_review, case_submit
from tests.baddebt.factories import ready_case


@pytest.fixture
def draft_case(credit_team, customer):
    return ready_case(opened_by=credit_team, customer=customer)


@pytest.fixture
def review_case(draft_case, credit_team):
    return case_submit(acting_user=credit_team, case=draft_case)


@pytest.fixture
def confirm_case(review_case, legal):
    return case_review(
        acting_user=legal, case=review_case, opinion="not_viable", causes="债务人已破产清算"
    )


@pytest.fixture
def written_off_case(confirm_case, finance_director):
    from baddebt.services import case_confirm

    case = case_confirm(acting_user=finance_director, case=confirm_case)
    assert case.status == BadDebtCase.Status.WRITTEN_OFF
    return case
