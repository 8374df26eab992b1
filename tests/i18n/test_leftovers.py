"""The leftover-English detector the route walker runs on every page in zh-hans, and the readings
it relies on (events and policy parameters in words)."""

from decimal import Decimal

import pytest
from django.utils import translation

from creditdesk.audit import event_changes, record_event
from creditdesk.policy import parameter_lines, policy_on
from tests.i18n.leftovers import leftover_words


def test_english_words_and_raw_codes_are_found():
    html = "<p>额度 <span title='limit_exceeded'>超限</span> Over the limit</p>"
    assert leftover_words(html) == ["Over", "limit", "limit_exceeded", "the"]


def test_a_unit_glued_to_a_number_is_found_but_codes_and_ratings_are_not():
    html = "<p>期限 45d，评级 B2，信用代码 91310115YUYU122BT2，金额 1,000.00，2026-11-30</p>"
    assert leftover_words(html) == ["45d"]


def test_what_a_reader_does_not_read_as_text_is_left_alone():
    html = (
        "<script>var x = 'English';</script><style>.a{color:red}</style>"
        "<p>联系 ap1@customer.test，见 /customers/1/ 与 report.pdf，金额 CNY，格式 "
        "<code translate='no'>order_ref, due_date</code></p>"
    )
    assert leftover_words(html) == []


@pytest.mark.django_db
def test_an_event_reads_as_labelled_changes_in_chinese(users):
    from tests.factories import CustomerFactory

    customer = CustomerFactory()
    event = record_event(
        kind="credit.adjustment.proposed",
        actor=users["credit_team"],
        customer=customer,
        subject=customer,
        old={"status": "draft", "limit": "1000000.00"},
        new={"status": "approved", "limit": "1200000.00", "reason": "shrinking_orders"},
    )
    with translation.override("zh-hans"):
        rows = [(str(c.label), c.old, c.new) for c in event_changes(event)]
    assert ("信用额度（CNY）", "1,000,000.00", "1,200,000.00") in rows
    assert any(new == "订单量萎缩" for _label, _old, new in rows), rows


@pytest.mark.django_db
def test_policy_parameters_read_in_words():
    policy = policy_on()
    with translation.override("zh-hans"):
        rates = parameter_lines("provision_rates", policy.provision_rates)
        levels = parameter_lines("dunning_levels", policy.dunning_levels)
    assert rates[0] == "逾期 365 天以内：5%"
    assert rates[-1] == "更长：100%"
    assert levels[-1].endswith("（经法务批准后）（同时邮寄）")
    assert parameter_lines(
        "reference_matrix", {"A": {"1": {"limit": "10000000.00", "term_days": 120}}}
    ) == ["A1: up to 10,000,000.00 CNY, 120 days"]
    assert parameter_lines("x", Decimal("1500.5")) == ["1,500.50"]


def test_words_with_two_meanings_have_a_context_each():
    """The date range's "to" is not the mail's recipient; "by" a person is not "group by"."""
    from baddebt.forms import PeriodForm
    from customers.models import SentMail
    from receivables.collection.forms import AgeingFilterForm

    with translation.override("zh-hans"):
        assert str(PeriodForm().fields["end"].label) == "至"
        assert str(SentMail._meta.get_field("to").verbose_name) == "收件人"
        assert str(AgeingFilterForm().fields["group"].label) == "分组方式"
        assert translation.pgettext("person who acted", "By") == "经办人"
