"""CSV and XLSX downloads: formulas neutralised, money as numbers, a frozen header, fitting widths."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from creditdesk import exports
from creditdesk.exports import MONEY, Column
from receivables.models import Invoice

COLUMNS = [Column("Customer code"), Column("Customer"), Column("Amount", MONEY)]
HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "安全"]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the Chinese right
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_csv_neutralises_formulas_and_formats_money():
    rows = [[text, "上海某某贸易有限公司", Decimal("1234.5")] for text in HOSTILE]
    body = csv_rows(exports.write_csv(COLUMNS, rows))
    assert body[0] == ["Customer code", "Customer", "Amount"]
    assert [r[0] for r in body[1:]] == [
        '\'=HYPERLINK("http://x")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\t=1",
        "安全",
    ]
    assert {r[2] for r in body[1:]} == {"1,234.50"}


def test_csv_negative_money_stays_a_number():
    body = csv_rows(exports.write_csv(COLUMNS, [["C1", "甲", Decimal("-5")]]))
    assert body[1][2] == "-5.00"


def test_xlsx_text_is_never_a_formula_and_money_is_a_number():
    rows = [[text, "上海某某贸易有限公司", Decimal("1234567.891")] for text in HOSTILE]
    book = load_workbook(io.BytesIO(exports.write_xlsx(COLUMNS, rows, sheet_title="账龄")))
    sheet = book.active
    assert sheet.title == "账龄"
    for row, text in enumerate(HOSTILE, start=2):
        cell = sheet.cell(row, 1)
        assert cell.data_type == "s" and cell.value == text  # text, not a formula
        if text[0] in "=+-@\t":
            assert cell.quotePrefix
        money = sheet.cell(row, 3)
        assert money.data_type == "n" and money.value == pytest.approx(1234567.89)
        assert money.number_format == "#,##0.00"


def test_xlsx_freezes_header_and_sizes_chinese_columns():
    rows = [["C-001", "上海某某贸易有限公司", Decimal("1")]]
    sheet = load_workbook(io.BytesIO(exports.write_xlsx(COLUMNS, rows))).active
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(1, 1).font.bold
    # Ten Chinese characters take the room of twenty Latin ones.
    assert sheet.column_dimensions["B"].width >= 20
    assert sheet.column_dimensions["A"].width < sheet.column_dimensions["B"].width


def test_display_width_counts_cjk_as_two():
    assert exports.display_width("ABC") == 3
    assert exports.display_width("账龄") == 4
    assert exports.display_width("ＡＢ") == 4  # full-width Latin


@pytest.mark.django_db
def test_ageing_export_has_code_and_name_columns_and_neutralises_names(client_as):
    from tests.receivables.factories import credit_customer, make_invoice

    customer = credit_customer(customer__name="=cmd|' /C calc'!A0")
    make_invoice(customer, "1234.50", number="E1")
    assert Invoice.objects.count() == 1
    client = client_as("credit_manager")
    body = csv_rows(client.get(reverse("receivables-ageing-export", args=["csv"])).content)
    assert body[0][:2] == ["Customer code", "Customer"]
    assert body[1][0] == customer.erp_code
    assert body[1][1] == "'=cmd|' /C calc'!A0"
    assert body[1][body[0].index("Open total")] == "1,234.50"
    response = client.get(reverse("receivables-ageing-export", args=["xlsx"]))
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(2, 2).data_type == "s"
    assert sheet.cell(2, 2).value == "=cmd|' /C calc'!A0"
