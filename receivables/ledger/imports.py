"""CSV/XLSX upload of ERP data: every row validated before anything is written, then all rows in one
transaction; any error (from validation or from the services) leaves nothing imported."""

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from creditdesk.errors import DomainError
from customers.models import Customer
from receivables.ledger.api import (
    CreditNoteRecordSerializer,
    InvoiceRecordSerializer,
    PaymentRecordSerializer,
    _flatten,
    apply_credit_note,
    apply_invoice,
    apply_payment,
)

KINDS = {
    "invoices": (InvoiceRecordSerializer, apply_invoice),
    "payments": (PaymentRecordSerializer, apply_payment),
    "credit_notes": (CreditNoteRecordSerializer, apply_credit_note),
}
MAX_ROWS = 20000


@dataclass
class ImportReport:
    rows: int = 0
    errors: list[tuple[int, dict[str, list[str]]]] = field(
        default_factory=list
    )  # (row number, errors)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(Decimal(str(value)))
    return str(value).strip()


def read_rows(name: str, content: bytes) -> list[dict[str, str]]:
    """The file's rows as {header: text}; raises ValueError on an unreadable file."""
    if name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds on a broken file
            raise ValueError(_("The file is not a readable XLSX workbook.")) from exc
        sheet = book.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        if not rows:
            return []
        headers = [_cell(h).lower() for h in rows[0]]
        return [
            {h: _cell(v) for h, v in zip(headers, row, strict=False) if h}
            for row in rows[1:]
            if any(v not in (None, "") for v in row)
        ]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise ValueError(_("The file is neither UTF-8 nor GB18030 text.")) from exc
    reader = csv.DictReader(io.StringIO(text))
    return [
        {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        for row in reader
        if any((v or "").strip() for v in row.values())
    ]


def _record(kind: str, row: dict[str, str]) -> dict:
    record = {k: v for k, v in row.items() if v != ""}
    if kind == "payments" and "allocations" in record:
        # "INV-1:100.00;INV-2:50" → [{"invoice": "INV-1", "amount": "100.00"}, …]
        parts = [p for p in record["allocations"].split(";") if p.strip()]
        record["allocations"] = [
            {"invoice": p.split(":", 1)[0].strip(), "amount": p.split(":", 1)[-1].strip()}
            for p in parts
        ]
    return record


def import_rows(*, kind: str, rows: list[dict[str, str]], acting_user) -> ImportReport:
    """All or nothing: returns a report; writes only when every row is valid and applies cleanly."""
    serializer_class, apply = KINDS[kind]
    report = ImportReport(rows=len(rows))
    if len(rows) > MAX_ROWS:
        report.errors.append((0, {"file": [_("At most %(n)s rows.") % {"n": MAX_ROWS}]}))
        return report
    codes = [c for c in {r.get("customer", "") for r in rows} if "\x00" not in c]
    customers = {c.erp_code: c for c in Customer.objects.filter(erp_code__in=codes)}
    valid = []
    for number, row in enumerate(rows, start=2):  # row 1 holds the headers
        ser = serializer_class(data=_record(kind, row), context={"customers": customers})
        if ser.is_valid():
            valid.append((number, ser.validated_data))
        else:
            report.errors.append((number, _flatten(ser.errors)))
    if report.errors:
        return report
    counts: dict[str, int] = {}
    try:
        with transaction.atomic():
            for number, data in valid:
                try:
                    outcome, _freed = apply(dict(data), acting_user)
                except DomainError as exc:
                    errors = _flatten(exc.field_errors) or {"non_field_errors": [str(exc.message)]}
                    report.errors.append((number, errors))
                    continue
                counts[outcome] = counts.get(outcome, 0) + 1
            if report.errors:
                raise _RollBack()
    except _RollBack:
        return report
    except IntegrityError:
        report.errors.append((0, {"file": [_("The file conflicts with stored data.")]}))
        return report
    report.counts = counts
    return report


class _RollBack(Exception):
    pass
