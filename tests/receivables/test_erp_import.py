"""The CSV/XLSX upload: a background job that validates every row, then imports all or none, with a
row-by-row report (Celery runs eagerly in the tests: the job has run when the upload answers)."""

import codecs
import datetime as dt
import io
import time
import zipfile
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from creditdesk.models import AuditEvent, Notification
from receivables.ledger import imports
from receivables.models import CustomerExposure, ImportJob, Invoice, Payment, SalesOrder

from .factories import credit_customer, make_invoice

pytestmark = pytest.mark.django_db
URL = reverse("receivables-import")


def upload(client, kind, name, content):
    return client.post(URL, {"kind": kind, "file": SimpleUploadedFile(name, content)}, follow=True)


def last_job() -> ImportJob:
    return ImportJob.objects.latest("id")


def error_rows(job) -> list[int]:
    return [number for number, _ref, _result, errors in job.report if errors]


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_csv_all_rows_valid_imports_all_and_tells_the_uploader(client_as, users):
    customer = credit_customer()
    content = (
        "number,customer,order_ref,issue_date,amount\n"
        f"I1,{customer.erp_code},,2026-01-01,100.00\n"
        f"I2,{customer.erp_code},SO-9,2026-01-02,50.00\n"
    ).encode()
    response = upload(client_as("credit_team"), "invoices", "i.csv", content)
    job = last_job()
    assert response.redirect_chain[-1][0] == reverse("receivables-import-job", args=[job.pk])
    assert job.status == ImportJob.Status.DONE and job.progress == 100
    assert job.counts == {"created": 2} and job.rows_read == 2
    assert [line[:3] for line in job.report] == [[2, "I1", "created"], [3, "I2", "created"]]
    assert Invoice.objects.count() == 2
    assert CustomerExposure.objects.get(customer=customer).open_receivables == Decimal("150.00")
    assert "2 rows imported" in response.content.decode()
    note = Notification.objects.get(recipient=users["credit_team"])
    assert "i.csv" in note.title and note.link == reverse("receivables-import-job", args=[job.pk])
    # The same file again changes nothing.
    upload(client_as("credit_team"), "invoices", "i.csv", content)
    assert last_job().counts == {"unchanged": 2}
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
    page = response.content.decode()
    assert "Unknown customer" in page
    job = last_job()
    assert job.status == ImportJob.Status.FAILED
    assert error_rows(job) == [3, 4]
    assert "issue_date" in job.report[1][3]
    assert Invoice.objects.count() == 0
    assert not AuditEvent.objects.filter(kind__startswith="invoice.").exists()


def test_service_error_in_a_later_row_rolls_back_earlier_rows(client_as, users):
    customer = credit_customer()
    make_invoice(customer, "100.00", number="A")
    content = (
        "number,customer,paid_on,amount,allocations\n"
        f"P1,{customer.erp_code},2026-01-01,60.00,A:60.00\n"
        f"P2,{customer.erp_code},2026-01-01,60.00,A:60.00\n"  # A has only 40 open left
    ).encode()
    upload(client_as("credit_team"), "payments", "p.csv", content)
    job = last_job()
    assert job.status == ImportJob.Status.FAILED and error_rows(job) == [3]
    assert Payment.objects.count() == 0
    assert Invoice.objects.get(number="A").open_amount == Decimal("100.00")
    assert CustomerExposure.objects.get(customer=customer).open_receivables == Decimal("100.00")
    assert not AuditEvent.objects.filter(kind__startswith="payment.").exists()
    assert "failed" in Notification.objects.get(recipient=users["credit_team"]).title


def test_a_file_of_thousands_of_rows_imports_in_chunks(client_as, users):
    customers = [credit_customer(), credit_customer()]
    rows = 2 * imports.CHUNK + 500  # three chunks, the last one short
    lines = ["number,customer,issue_date,amount"] + [
        f"N{i},{customers[i % 2].erp_code},2026-01-01,10.00" for i in range(rows)
    ]
    content = ("\n".join(lines) + "\n").encode()
    upload(client_as("credit_team"), "invoices", "n.csv", content)
    job = last_job()
    assert job.status == ImportJob.Status.DONE and job.progress == 100
    assert job.counts == {"created": rows} and job.rows_read == rows
    assert [line[:3] for line in job.report[:2]] == [[2, "N0", "created"], [3, "N1", "created"]]
    assert job.report[-1][:3] == [rows + 1, f"N{rows - 1}", "created"]
    assert Invoice.objects.count() == rows
    assert AuditEvent.objects.filter(kind="invoice.created").count() == rows
    for customer in customers:
        exposure = CustomerExposure.objects.get(customer=customer)
        assert exposure.open_receivables == Decimal("10.00") * (rows // 2)
    upload(client_as("credit_team"), "invoices", "n.csv", content)
    assert last_job().counts == {"unchanged": rows}
    assert Invoice.objects.count() == rows


def test_a_rejected_row_in_a_later_chunk_leaves_nothing_imported(client_as, users):
    payer, other = credit_customer(), credit_customer()
    make_invoice(payer, "100.00", number="A")
    lines = ["number,customer,paid_on,amount,allocations"]
    lines.append(f"P0,{payer.erp_code},2026-01-01,60.00,A:60.00")  # the first chunk
    lines += [f"Q{i},{other.erp_code},2026-01-01,5.00," for i in range(imports.CHUNK + 10)]
    lines.append(f"P1,{payer.erp_code},2026-01-01,60.00,A:60.00")  # A has only 40 open left
    upload(client_as("credit_team"), "payments", "p.csv", ("\n".join(lines) + "\n").encode())
    job = last_job()
    bad_row = len(lines)  # the header is row 1
    assert bad_row > imports.CHUNK + 1
    assert job.status == ImportJob.Status.FAILED and error_rows(job) == [bad_row]
    assert job.report[0][1] == "P1" and "allocations" in job.report[0][3]
    assert Payment.objects.count() == 0
    assert Invoice.objects.get(number="A").open_amount == Decimal("100.00")
    assert CustomerExposure.objects.get(customer=payer).open_receivables == Decimal("100.00")
    assert not AuditEvent.objects.filter(kind__startswith="payment.").exists()
    assert "failed" in Notification.objects.get(recipient=users["credit_team"]).title


def test_a_number_given_twice_in_a_file_is_a_row_error(client_as):
    customer = credit_customer()
    content = (
        "number,customer,issue_date,amount\n"
        f"D1,{customer.erp_code},2026-01-01,100.00\n"
        f"D2,{customer.erp_code},2026-01-01,100.00\n"
        f"D1,{customer.erp_code},2026-01-02,50.00\n"
    ).encode()
    upload(client_as("credit_team"), "invoices", "d.csv", content)
    job = last_job()
    assert job.status == ImportJob.Status.FAILED and error_rows(job) == [4]
    assert "row 2" in " ".join(job.report[0][3]["number"])
    assert Invoice.objects.count() == 0


def test_xlsx_import_and_all_or_nothing(client_as):
    customer = credit_customer()
    good = xlsx(
        [
            ["number", "customer", "issue_date", "amount"],
            ["X1", customer.erp_code, dt.datetime(2026, 1, 1), 100.5],
            ["X2", customer.erp_code, "2026-01-03", "20"],
            ["X5", customer.erp_code, "2026-01-03", 0.1 + 0.2],  # 0.30000000000000004
        ]
    )
    upload(client_as("credit_team"), "invoices", "i.xlsx", good)
    assert Invoice.objects.get(number="X1").amount == Decimal("100.50")
    assert Invoice.objects.get(number="X5").amount == Decimal("0.30")
    bad = xlsx(
        [
            ["number", "customer", "issue_date", "amount"],
            ["X3", customer.erp_code, "2026-01-01", 1],
            ["X4", customer.erp_code, "2026-01-01", -5],
        ]
    )
    upload(client_as("credit_team"), "invoices", "i.xlsx", bad)
    assert error_rows(last_job()) == [3]
    assert not Invoice.objects.filter(number__in=["X3", "X4"]).exists()


def test_orders_can_be_uploaded(client_as):
    from tests.riskwarnings.factories import SalesOrderFactory

    order = SalesOrderFactory()
    content = f"order_ref,status\n{order.order_ref},shipped\n".encode()
    upload(client_as("credit_team"), "orders", "o.csv", content)
    assert last_job().status == ImportJob.Status.DONE
    order.refresh_from_db()
    assert order.status == SalesOrder.Status.SHIPPED


def test_orders_upload_is_refused_to_who_may_not_mark_orders(client_as):
    from tests.riskwarnings.factories import SalesOrderFactory

    order = SalesOrderFactory()
    content = f"order_ref,status\n{order.order_ref},cancelled\n".encode()
    response = upload(client_as("finance_director"), "orders", "o.csv", content)
    assert response.context["form"].errors["kind"]
    assert not ImportJob.objects.exists()
    order.refresh_from_db()
    assert order.status == SalesOrder.Status.RELEASED


# --- Encodings and number formats -------------------------------------------------------------


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: text.encode("gbk"),
        lambda text: text.encode("gb18030"),
    ],
    ids=["utf-8", "utf-8-bom", "gbk", "gb18030"],
)
def test_encodings_are_recognised(client_as, encode):
    customer = credit_customer(customer__erp_code="客户甲")
    text = "number,customer,issue_date,amount\n发票一,客户甲,2026-01-01,100.00\n"
    upload(client_as("credit_team"), "invoices", "i.csv", encode(text))
    assert last_job().status == ImportJob.Status.DONE, last_job().report
    assert Invoice.objects.get(number="发票一").customer == customer


@pytest.mark.parametrize(
    ("written", "amount"),
    [
        ('"1,234.50"', "1234.50"),
        ("１２３４．５", "1234.50"),  # full-width digits and point
        ('"１，２３４．５０"', "1234.50"),
        ("¥1234.5", "1234.50"),
        ('"￥1,234.50"', "1234.50"),
        ("1234.50元", "1234.50"),
        ('"1,000,000元"', "1000000.00"),
    ],
)
def test_amounts_as_people_write_them_are_read(client_as, written, amount):
    customer = credit_customer()
    content = f"number,customer,issue_date,amount\nI1,{customer.erp_code},2026-01-01,{written}\n"
    upload(client_as("credit_team"), "invoices", "i.csv", content.encode())
    assert last_job().status == ImportJob.Status.DONE, last_job().report
    assert Invoice.objects.get(number="I1").amount == Decimal(amount)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ('"1,23.4"', "thousands separators go between groups of three digits"),
        ('"1.234,50"', "thousands separators go between groups of three digits"),
        ("12 USD", "is not an amount"),
        ("abc", "is not an amount"),
        ("1234.567", "no more than 2 decimal places"),
    ],
)
def test_bad_amounts_are_rejected_per_row(client_as, written, message):
    customer = credit_customer()
    content = (
        "number,customer,issue_date,amount\n"
        f"I1,{customer.erp_code},2026-01-01,10\n"
        f"I2,{customer.erp_code},2026-01-01,{written}\n"
    )
    response = upload(client_as("credit_team"), "invoices", "i.csv", content.encode())
    job = last_job()
    assert error_rows(job) == [3]
    assert message in " ".join(job.report[0][3]["amount"])
    assert message in response.content.decode()
    assert Invoice.objects.count() == 0


def test_unquoted_thousands_separator_is_told_per_row(client_as):
    customer = credit_customer()
    content = (
        "number,customer,issue_date,amount\n"
        f"I1,{customer.erp_code},2026-01-01,1,234.50\n"
        f'I2,{customer.erp_code},2026-01-01,"1,234.50"\n'
    )
    upload(client_as("credit_team"), "invoices", "i.csv", content.encode())
    job = last_job()
    assert error_rows(job) == [2]
    assert "must be in quotes" in job.report[0][3]["non_field_errors"][0]
    assert Invoice.objects.count() == 0


def test_dates_with_full_width_digits_and_slashes_are_read(client_as):
    customer = credit_customer()
    content = f"number,customer,issue_date,amount\nI1,{customer.erp_code},２０２６/１/５,10\n"
    upload(client_as("credit_team"), "invoices", "i.csv", content.encode())
    assert Invoice.objects.get(number="I1").issue_date == dt.date(2026, 1, 5)


# --- Bad files --------------------------------------------------------------------------------


def refused(job, words: str) -> None:
    assert job.status == ImportJob.Status.FAILED
    assert words in job.message, job.message
    assert Invoice.objects.count() == 0


def test_not_a_workbook_is_refused_by_the_form(client_as):
    response = upload(client_as("credit_team"), "invoices", "i.xlsx", b"not a workbook")
    assert response.context["form"].errors["file"]
    assert not ImportJob.objects.exists()


def test_broken_workbook_is_refused(client_as):
    upload(client_as("credit_team"), "invoices", "i.xlsx", b"PK\x03\x04 broken zip")
    refused(last_job(), "not a readable XLSX workbook")


def test_other_file_types_are_refused_by_the_form(client_as):
    response = upload(client_as("credit_team"), "invoices", "i.txt", b"number\n")
    assert response.context["form"].errors["file"]
    assert not ImportJob.objects.exists()


def test_text_in_no_known_encoding_is_refused(client_as):
    # 0x80 and 0xFF are neither UTF-8 nor GB18030.
    upload(client_as("credit_team"), "invoices", "i.csv", b"number,customer\n\x80\xff\x80\n")
    refused(last_job(), "neither UTF-8 nor GB18030")


def test_missing_columns_are_told_once(client_as):
    upload(client_as("credit_team"), "invoices", "i.csv", b"number,amount\nI1,10\n")
    refused(last_job(), "missing: customer, issue_date")


def test_empty_file_and_header_only_are_refused(client_as):
    response = upload(client_as("credit_team"), "invoices", "i.csv", b"")
    assert response.context["form"].errors["file"]
    upload(client_as("credit_team"), "invoices", "i.csv", b"\n\n")
    refused(last_job(), "must name the columns")
    upload(client_as("credit_team"), "invoices", "i.csv", b"number,customer,issue_date,amount\n")
    refused(last_job(), "no data rows")


def test_unclosed_quote_and_nul_are_refused(client_as, monkeypatch):
    monkeypatch.setattr(imports, "CSV_FIELD_LIMIT", 1000)
    content = b'number,customer,issue_date,amount\nI1,"C' + b"x" * 2000 + b"\n"
    upload(client_as("credit_team"), "invoices", "i.csv", content)
    refused(last_job(), "cannot be read as CSV")
    customer = credit_customer()
    content = f"number,customer,issue_date,amount\nI\x001,{customer.erp_code},2026-01-01,1\n"
    upload(client_as("credit_team"), "invoices", "i.csv", content.encode())
    job = last_job()
    assert error_rows(job) == [2] and "number" in job.report[0][3]
    assert Invoice.objects.count() == 0


def test_row_cap_is_checked_while_reading(client_as, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 50)
    customer = credit_customer()
    good = f"I{{}},{customer.erp_code},2026-01-01,10\n"
    lines = [good.format(i) for i in range(3000)]  # 51 and more: past the cap
    # Far past the cap the file turns unreadable: reading stopped at the cap, before it.
    content = "number,customer,issue_date,amount\n" + "".join(lines)
    upload(client_as("credit_team"), "invoices", "i.csv", content.encode() + b"\x80\xff" * 100)
    refused(last_job(), "more than 50 rows")


def test_xlsx_declaring_too_many_rows_is_refused(client_as, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 50)
    content = xlsx([["number", "customer", "issue_date", "amount"], *[["I", "C", "", 1]] * 60])
    upload(client_as("credit_team"), "invoices", "i.xlsx", content)
    refused(last_job(), "more than 50 rows")


def bomb(uncompressed_mb: int) -> bytes:
    """A workbook whose sheet unpacks to `uncompressed_mb` MB of blanks (a few hundred kB zipped)."""
    source = io.BytesIO(xlsx([["number", "customer", "issue_date", "amount"]]))
    out = io.BytesIO()
    with (
        zipfile.ZipFile(source) as template,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for item in template.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                with archive.open(item.filename, "w", force_zip64=True) as member:
                    member.write(template.read(item.filename)[: -len(b"</worksheet>")])
                    chunk = b" " * (1024 * 1024)
                    for _ in range(uncompressed_mb):
                        member.write(chunk)
                    member.write(b"</worksheet>")
            else:
                archive.writestr(item, template.read(item.filename))
    return out.getvalue()


def test_xlsx_bomb_is_refused_in_seconds(client_as):
    content = bomb(1024)  # 1 GB unpacked
    assert len(content) < 5 * 1024 * 1024
    started = time.monotonic()
    upload(client_as("credit_team"), "invoices", "bomb.xlsx", content)
    elapsed = time.monotonic() - started
    refused(last_job(), "unpacks to more than")
    assert elapsed < 5  # generous: the refusal reads only the zip's directory


# --- The job ----------------------------------------------------------------------------------


def test_job_runs_once(client_as, users):
    customer = credit_customer()
    content = f"number,customer,issue_date,amount\nI1,{customer.erp_code},2026-01-01,10\n"
    upload(client_as("credit_team"), "invoices", "i.csv", content.encode())
    job = last_job()
    assert imports.import_job_run(job.pk) == "skipped"  # a redelivered task
    assert Notification.objects.filter(recipient=users["credit_team"]).count() == 1
    assert AuditEvent.objects.filter(kind="invoice.created").count() == 1


def test_running_job_is_left_alone_until_its_run_falls_silent(client_as, users, time_machine):
    from django.core.files.base import ContentFile

    customer = credit_customer()
    job = ImportJob(kind="invoices", original_name="i.csv", uploaded_by=users["credit_team"])
    job.file.save(
        "i.csv",
        ContentFile(f"number,customer,issue_date,amount\nI1,{customer.erp_code},2026-01-01,10\n"),
    )
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.APPLYING, attempt=1)
    assert imports.import_job_run(job.pk) == "skipped"
    assert not Invoice.objects.exists()
    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11))
    assert imports.import_job_run(job.pk) == "done"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.attempt == 2
    assert Invoice.objects.count() == 1


def test_status_endpoint_and_report_downloads(client_as):
    customer = credit_customer(customer__name="=HYPERLINK(1)")
    content = (
        "number,customer,issue_date,amount\n"
        f"=1+1,{customer.erp_code},2026-01-01,10\n"
        f"I2,NOPE,2026-01-01,10\n"
    )
    client = client_as("credit_team")
    upload(client, "invoices", "i.csv", content.encode())
    job = last_job()
    status = client.get(reverse("receivables-import-job-status", args=[job.pk])).json()
    assert status["status"] == "failed" and status["finished"] and status["progress"] == 100
    report = client.get(reverse("receivables-import-job-report", args=[job.pk, "csv"]))
    text = report.content.decode("utf-8-sig")
    assert "Unknown customer" in text and "NOPE" not in text.split("\n")[0]
    assert "\n3,I2,rejected," in text.replace("\r\n", "\n")
    workbook = client.get(reverse("receivables-import-job-report", args=[job.pk, "xlsx"]))
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet.freeze_panes == "A2" and sheet.cell(2, 1).value == 3
    assert (
        client.get(reverse("receivables-import-job-report", args=[job.pk, "pdf"])).status_code
        == 404
    )


def test_formula_in_a_reference_is_neutralised_in_the_report(client_as):
    customer = credit_customer()
    content = f"number,customer,issue_date,amount\n=1+1,{customer.erp_code},2026-01-01,10\n"
    client = client_as("credit_team")
    upload(client, "invoices", "i.csv", content.encode())
    job = last_job()
    assert job.status == ImportJob.Status.DONE
    text = client.get(reverse("receivables-import-job-report", args=[job.pk, "csv"])).content
    assert "\n2,'=1+1,created," in text.decode("utf-8-sig").replace("\r\n", "\n")


def test_other_roles_cannot_see_or_start_jobs(client_as):
    customer = credit_customer()
    content = f"number,customer,issue_date,amount\nI1,{customer.erp_code},2026-01-01,10\n"
    upload(client_as("credit_team"), "invoices", "i.csv", content.encode())
    job = last_job()
    client = client_as("sales")
    assert client.get(reverse("receivables-import-job", args=[job.pk])).status_code == 403
    assert client.get(reverse("receivables-import-job-status", args=[job.pk])).status_code == 403
    response = client.post(URL, {"kind": "invoices", "file": SimpleUploadedFile("i.csv", b"x")})
    assert response.status_code == 403
    assert ImportJob.objects.count() == 1
    assert len(mail.outbox) == 0 or all("i.csv" in m.subject for m in mail.outbox)


def test_job_page_polls_while_running_and_stops_when_finished(client_as, users):
    job = ImportJob.objects.create(
        kind="invoices", original_name="i.csv", uploaded_by=users["credit_team"]
    )
    client = client_as("credit_team")
    page = client.get(reverse("receivables-import-job", args=[job.pk])).content.decode()
    assert reverse("receivables-import-job-status", args=[job.pk]) in page
    assert "js/import_job.js" in page
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, message="x")
    page = client.get(reverse("receivables-import-job", args=[job.pk])).content.decode()
    assert "js/import_job.js" not in page


def _fresh_broker_pool(app) -> None:
    # The producer pools hold connections to the broker they were made for: the next ones are new.
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def test_unreachable_broker_fails_the_job_at_once(client_as, settings):
    from creditdesk.celery import app

    customer = credit_customer()
    content = f"number,customer,issue_date,amount\nI1,{customer.erp_code},2026-01-01,10\n"
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url")}
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        _fresh_broker_pool(app)
        response = upload(client_as("credit_team"), "invoices", "i.csv", content.encode())
    finally:
        app.conf.update(saved)
        _fresh_broker_pool(app)
    job = last_job()
    assert job.status == ImportJob.Status.FAILED
    assert "could not be reached" in response.content.decode()
    assert Invoice.objects.count() == 0


def test_nul_in_a_customer_code_is_a_row_error(client_as):
    content = "number,customer,issue_date,amount\nI1,C\x001,2026-01-01,1\n"
    upload(client_as("credit_team"), "invoices", "i.csv", content.encode())
    job = last_job()
    assert job.status == ImportJob.Status.FAILED
    assert error_rows(job) == [2] and "customer" in job.report[0][3]
    assert Invoice.objects.count() == 0
