"""The CSV/XLSX upload: validated in full, a row-by-row report, nothing half-imported."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from creditdesk.models import AuditEvent
from receivables.models import CustomerExposure, Invoice, Payment

from .factories import credit_customer, make_invoice

pytestmark = pytest.mark.django_db
URL = reverse("receivables-import")


def upload(client, kind, name, content):
    return client.post(URL, {"kind": kind, "file": SimpleUploadedFile(name, content)})


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_csv_all_rows_valid_imports_all(client_as):
    customer = credit_customer()
    content = (
        "number,customer,order_ref,issue_date,amount\n"
        f"I1,{customer.erp_code},,2026-01-01,100.00\n"
        f"I2,{customer.erp_code},SO-9,2026-01-02,50.00\n"
    ).encode()
    response = upload(client_as("credit_team"), "invoices", "i.csv", content)
    assert response.status_code == 200
    assert Invoice.objects.count() == 2
    assert CustomerExposure.objects.get(customer=customer).open_receivables == Decimal("150.00")
    # The same file again changes nothing.
    upload(client_as("credit_team"), "invoices", "i.csv", content)
    assert Invoice.objects.count() == 2


def test_csv_one_bad_row_imports_nothing(client_as):
    customer = credit_customer()
    content = (
        "number,customer,issue_date,amount\n"
        f"I1,{customer.erp_code},2026-01-01,100.00\n"
        f"I2,NOPE,2026-01-02,50.00\n"
        f"I3,{customer.erp_code},not-a-date,50.00\n"
    ).encode()
    response = upload(client_as("credit_team"), "invoices", "i.csv", content)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Unknown customer" in page
    assert response.context["report"].errors[0][0] == 3
    assert response.context["report"].errors[1][0] == 4
    assert "issue_date" in response.context["report"].errors[1][1]
    assert Invoice.objects.count() == 0
    assert not AuditEvent.objects.filter(kind__startswith="invoice.").exists()


def test_service_error_in_a_later_row_rolls_back_earlier_rows(client_as):
    customer = credit_customer()
    make_invoice(customer, "100.00", number="A")
    content = (
        "number,customer,paid_on,amount,allocations\n"
        f"P1,{customer.erp_code},2026-01-01,60.00,A:60.00\n"
        f"P2,{customer.erp_code},2026-01-01,60.00,A:60.00\n"  # A has only 40 open left
    ).encode()
    response = upload(client_as("credit_team"), "payments", "p.csv", content)
    report = response.context["report"]
    assert [n for n, _e in report.errors] == [3]
    assert Payment.objects.count() == 0
    assert Invoice.objects.get(number="A").open_amount == Decimal("100.00")
    assert CustomerExposure.objects.get(customer=customer).open_receivables == Decimal("100.00")


def test_xlsx_import_and_all_or_nothing(client_as):
    import datetime as dt

    customer = credit_customer()
    good = xlsx(
        [
            ["number", "customer", "issue_date", "amount"],
            ["X1", customer.erp_code, dt.datetime(2026, 1, 1), 100.5],
            ["X2", customer.erp_code, "2026-01-03", "20"],
        ]
    )
    upload(client_as("credit_team"), "invoices", "i.xlsx", good)
    assert Invoice.objects.get(number="X1").amount == Decimal("100.50")
    bad = xlsx(
        [
            ["number", "customer", "issue_date", "amount"],
            ["X3", customer.erp_code, "2026-01-01", 1],
            ["X4", customer.erp_code, "2026-01-01", -5],
        ]
    )
    response = upload(client_as("credit_team"), "invoices", "i.xlsx", bad)
    assert [n for n, _e in response.context["report"].errors] == [3]
    assert not Invoice.objects.filter(number__in=["X3", "X4"]).exists()


def test_unreadable_file_is_refused(client_as):
    response = upload(client_as("credit_team"), "invoices", "i.xlsx", b"not a workbook")
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert Invoice.objects.count() == 0
