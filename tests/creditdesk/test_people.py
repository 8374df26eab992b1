"""A person is named one way on every page, PDF and e-mail (issue 18 §3)."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("first", "last", "shown"),
    [("信用", "陈", "陈信用"), ("Anna", "Weber", "Anna Weber"), ("", "", "login-name")],
)
def test_a_person_is_named_family_name_first_in_chinese_given_name_first_otherwise(
    first, last, shown
):
    user = UserFactory(username="login-name", first_name=first, last_name=last)
    assert str(user) == shown
    assert user.get_full_name() == shown
