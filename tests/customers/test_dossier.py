import threading

import pytest
from django.db import connection

from creditdesk.errors import ValidationFailed
from customers import services
from customers.models import Customer
from tests.factories import valid_credit_code

pytestmark = pytest.mark.django_db


def fields(n: int) -> dict:
    return {
        "erp_code": f"C-{n}",
        "name": f"并发客户{n}",
        "credit_code": valid_credit_code(50000 + n),
        "registered_address": "上海",
        "established_on": "2012-01-01",
        "registered_capital": "1000000.00",
        "legal_representative": "张三",
    }


@pytest.mark.django_db(transaction=True)
def test_dossier_numbers_stay_unique_under_concurrent_creation(make_user):
    assert connection.vendor == "postgresql"
    director = make_user("sales_director")
    salesperson = make_user("sales")
    barrier = threading.Barrier(8)
    errors: list[Exception] = []

    def create(n: int) -> None:
        try:
            barrier.wait()
            services.customer_create(acting_user=director, salesperson=salesperson, **fields(n))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    numbers = list(Customer.objects.values_list("dossier_number", flat=True))
    assert len(numbers) == 8 == len(set(numbers))


def test_a_salesperson_owns_the_customer_they_create(sales, make_user):
    other = make_user("sales")
    customer = services.customer_create(acting_user=sales, salesperson=other, **fields(1))
    assert customer.salesperson == sales


def test_a_duplicate_credit_code_is_a_clear_field_error(sales):
    services.customer_create(acting_user=sales, **fields(1))
    with pytest.raises(ValidationFailed) as exc:
        services.customer_create(
            acting_user=sales, **(fields(2) | {"credit_code": fields(1)["credit_code"]})
        )
    assert "credit_code" in exc.value.field_errors
    assert Customer.objects.count() == 1


def test_history_shows_who_changed_what(client_as, customer, users):
    services.customer_update(acting_user=users["credit_team"], customer=customer, industry="C29")
    page = client_as("credit_team").get(f"/customers/{customer.pk}/history/").content.decode()
    assert "C29" in page and "C26" in page
    assert users["credit_team"].username in page or users["credit_team"].get_full_name() in page


def test_an_unchanged_save_writes_nothing(customer, users):
    services.customer_update(acting_user=users["credit_team"], customer=customer, industry="C26")
    assert customer.history.count() == 1
