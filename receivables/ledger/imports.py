"""CSV/XLSX uploads of ERP data, run as background jobs.

A job reads its file twice, streaming: the first pass validates every row (nothing is written), the
second applies all rows in one transaction, which either commits with the job marked done or leaves
nothing behind. The second pass hands the ledger's batch services a chunk of rows at a time
(invoices, payments and credit notes, as the bulk API does); shipment news for orders go row by row
through the gate. Reading stops at the row cap as it reaches it; an XLSX whose declared uncompressed
size or row count is out of bounds is refused before a row is read (a "zip bomb" is answered in
milliseconds).
"""

import codecs
import csv
import datetime as dt
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import DatabaseError, connection, connections, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import serializers

from creditdesk.authority import may
from creditdesk.errors import DomainError
from creditdesk.notifications import notify
from customers.models import Customer
from receivables.ledger import services
from receivables.ledger.api import (
    CreditNoteRecordSerializer,
    InvoiceRecordSerializer,
    OrderRecordSerializer,
    PaymentRecordSerializer,
    _flatten,
    apply_order,
    credit_note_record,
    payment_record,
)
from receivables.models import ImportJob

logger = logging.getLogger(__name__)

MAX_ROWS = 100_000  # data rows in one file
MAX_BYTES = 20 * 1024 * 1024  # the uploaded file
XLSX_MAX_UNCOMPRESSED = 200 * 1024 * 1024  # all members of the workbook, as declared
XLSX_MAX_MEMBERS = 1000
CSV_FIELD_LIMIT = 64 * 1024  # one cell; an unclosed quote would otherwise swallow the file
PROGRESS_EVERY = 500  # rows between progress writes
CHUNK = 1000  # rows handed to a batch service at once (the bulk API's MAX_BATCH)
STALE_AFTER = dt.timedelta(minutes=10)  # a run silent this long is taken as lost
REPORT_ON_PAGE = 200


def _same(data: dict) -> dict:
    return dict(data)


@dataclass(frozen=True)
class Kind:
    serializer: type[serializers.Serializer]
    # A batch service (records, *, acting_user, all_or_nothing) -> BatchResult, and the validated
    # row as its record; or, with no batch service, `apply(data, user)` row by row.
    batch: Callable | None
    to_record: Callable[[dict], dict]
    apply: Callable | None
    columns: tuple[str, ...]  # required columns
    amounts: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    action: str = "receivables.import"
    reference: str = "number"


KINDS: dict[str, Kind] = {
    "invoices": Kind(
        InvoiceRecordSerializer,
        services.invoices_upsert_batch,
        _same,
        None,
        ("number", "customer", "issue_date", "amount"),
        amounts=("amount",),
        dates=("issue_date", "delivery_date", "due_date"),
    ),
    "payments": Kind(
        PaymentRecordSerializer,
        services.payments_upsert_batch,
        payment_record,
        None,
        ("number", "customer", "paid_on", "amount"),
        amounts=("amount",),
        dates=("paid_on", "bill_maturity"),
    ),
    "credit_notes": Kind(
        CreditNoteRecordSerializer,
        services.credit_notes_upsert_batch,
        credit_note_record,
        None,
        ("number", "customer", "issued_on", "amount"),
        amounts=("amount",),
        dates=("issued_on",),
    ),
    "orders": Kind(
        OrderRecordSerializer,
        None,
        _same,
        apply_order,
        ("order_ref", "status"),
        action="gate.order.mark",
        reference="order_ref",
    ),
}


class FileRefused(ValueError):
    """The file as a whole cannot be read; the message says why, in the user's language."""


@dataclass
class Row:
    number: int  # the row's number in the file (the header is row 1)
    cells: dict[str, str]
    errors: dict[str, list[str]]


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------

_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")


def parse_amount(raw: str) -> str:
    """An amount as people write it in a sheet, as a plain decimal string: full-width digits
    (１２３), thousands separators (1,234.50), a ¥ sign or a 元 suffix. Raises ValueError with the
    reason otherwise."""
    # NFKC turns full-width digits, commas, points and ￥ into their ASCII forms.
    text = unicodedata.normalize("NFKC", raw).strip().replace(" ", "")
    sign = ""
    if text[:1] in ("-", "+"):
        sign, text = text[0], text[1:]
    if text.startswith("¥"):
        text = text[1:]
    if text.endswith("元"):
        text = text[:-1]
    if not sign and text[:1] in ("-", "+"):  # ¥-5
        sign, text = text[0], text[1:]
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    elif not _PLAIN.fullmatch(text):
        if "," in text and _PLAIN.fullmatch(text.replace(",", "")):
            raise ValueError(
                _(
                    "“%(value)s” is not an amount: thousands separators go between groups of "
                    "three digits, as in 1,234.50."
                )
                % {"value": raw}
            )
        raise ValueError(
            _(
                "“%(value)s” is not an amount: write digits with a decimal point, such as "
                "1234.50, 1,234.50, ¥1,234.50 or 1234.50元."
            )
            % {"value": raw}
        )
    return ("-" if sign == "-" else "") + text


def parse_date(raw: str) -> str:
    """A date as ISO text; full-width digits and 2026/01/31 are read too."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if re.fullmatch(r"[0-9]{4}[/.][0-9]{1,2}[/.][0-9]{1,2}", text):
        year, month, day = re.split(r"[/.]", text)
        text = f"{year}-{int(month):02d}-{int(day):02d}"
    return text


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        # A sheet's number is a binary float: 1234.5 is meant, not 1234.4999999999999.
        exact = Decimal(repr(value))
        cents = exact.quantize(Decimal("0.01"))
        return str(cents if abs(exact - cents) < Decimal("1e-9") else exact)
    return str(value).strip()


def _header(value) -> str:
    return _cell(value).replace("\ufeff", "").strip().lower()


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _encoding(file) -> str:
    """UTF-8 (with or without BOM) if every byte decodes as such, else GB18030 (a superset of
    GBK and GB2312)."""
    file.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := file.read(1024 * 1024):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "gb18030"
    finally:
        file.seek(0)
    return "utf-8-sig"


def _csv_rows(file, progress: Callable[[float], None]) -> Iterator[list[str]]:
    size = max(_size(file), 1)
    text = io.TextIOWrapper(file, encoding=_encoding(file), newline="")
    reader = csv.reader(text)
    count = 0
    try:
        for values in reader:
            count += 1
            if count % PROGRESS_EVERY == 0:
                progress(file.tell() / size)
            yield values
    except UnicodeDecodeError as exc:
        raise FileRefused(_("The file is neither UTF-8 nor GB18030 (GBK) text.")) from exc
    except csv.Error as exc:
        raise FileRefused(
            _(
                "Row %(row)s cannot be read as CSV (a cell too long, an unclosed quote or a NUL "
                "character)."
            )
            % {"row": count + 1}
        ) from exc
    finally:
        text.detach()


def _size(file) -> int:
    position = file.tell()
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(position)
    return size


def check_xlsx(file) -> None:
    """Refuses a workbook whose members declare more than the bounds: before anything is
    decompressed. (Python's zipfile stops at the declared size, so a member cannot hold more.)"""
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise FileRefused(_("The file is not a readable XLSX workbook.")) from exc
    finally:
        file.seek(0)
    if len(members) > XLSX_MAX_MEMBERS or sum(m.file_size for m in members) > XLSX_MAX_UNCOMPRESSED:
        raise FileRefused(
            _(
                "The workbook unpacks to more than %(size)s MB: it is refused. Save the sheet as "
                "CSV or split it."
            )
            % {"size": XLSX_MAX_UNCOMPRESSED // (1024 * 1024)}
        )


def _xlsx_rows(file, progress: Callable[[float], None]) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    check_xlsx(file)
    try:
        book = load_workbook(file, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        declared = sheet.max_row  # from the sheet's <dimension>, when it has one
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise FileRefused(_("The file is not a readable XLSX workbook.")) from exc
    if declared and declared > MAX_ROWS + 1:
        book.close()
        raise _too_many_rows()
    sheet.reset_dimensions()  # no padding of short rows to a declared width
    count = 0
    try:
        for values in sheet.iter_rows(values_only=True):
            count += 1
            if count % PROGRESS_EVERY == 0:  # also the run's heartbeat
                progress(count / declared if declared else 0.0)
            yield [_cell(v) for v in values]
    except FileRefused:
        raise
    except Exception as exc:
        raise FileRefused(
            _("Row %(row)s of the workbook cannot be read.") % {"row": count + 1}
        ) from exc
    finally:
        book.close()


def _too_many_rows() -> FileRefused:
    return FileRefused(
        _("The file has more than %(n)s rows: split it into several files.")
        % {"n": f"{MAX_ROWS:,}"}
    )


def read_file(
    file, name: str, *, kind: str, progress: Callable[[float], None] = lambda f: None
) -> Iterator[Row]:
    """The file's data rows, one at a time, as {column: text}; raises FileRefused for the file as
    a whole (unreadable, too many rows, required columns missing). Blank rows are skipped, and
    counted, so row numbers are the ones the user sees in the sheet."""
    csv.field_size_limit(CSV_FIELD_LIMIT)
    xlsx = name.lower().endswith(".xlsx")
    values_iter = _xlsx_rows(file, progress) if xlsx else _csv_rows(file, progress)
    try:
        header = next(values_iter, None)
        if header is None:
            raise FileRefused(_("The file is empty."))
        headers = [_header(h) for h in header]
        named = [h for h in headers if h]
        if len(named) != len(set(named)):
            raise FileRefused(_("Two columns have the same name in the first row."))
        missing = [c for c in KINDS[kind].columns if c not in named]
        if missing:
            raise FileRefused(
                _("The first row must name the columns; missing: %(columns)s.")
                % {"columns": ", ".join(missing)}
            )
        width = len(headers)
        data_rows = 0
        for number, values in enumerate(values_iter, start=2):
            if not any((v or "").strip() for v in values):
                continue
            data_rows += 1
            if data_rows > MAX_ROWS:
                raise _too_many_rows()
            errors: dict[str, list[str]] = {}
            extra = [v for v in values[width:] if (v or "").strip()]
            if extra:
                errors["non_field_errors"] = [
                    _(
                        "This row has more values than the first row has columns. An amount "
                        'with a thousands separator must be in quotes in a CSV file ("1,234.50").'
                    )
                ]
            cells = {h: (v or "").strip() for h, v in zip(headers, values, strict=False) if h}
            yield Row(number, cells, errors)
    finally:
        values_iter.close()  # while the file is still open


def _record(kind: str, row: Row) -> dict:
    spec = KINDS[kind]
    record = {k: v for k, v in row.cells.items() if v != ""}
    for name in spec.amounts:
        if name in record:
            try:
                record[name] = parse_amount(record[name])
            except ValueError as exc:
                row.errors.setdefault(name, []).append(str(exc))
    for name in spec.dates:
        if name in record:
            record[name] = parse_date(record[name])
    if kind == "payments" and "allocations" in record:
        # "INV-1:100.00;INV-2:50" → [{"invoice": "INV-1", "amount": "100.00"}, …]
        allocations = []
        for part in unicodedata.normalize("NFKC", record["allocations"]).split(";"):
            if not part.strip():
                continue
            invoice, _sep, amount = part.partition(":")
            try:
                amount = parse_amount(amount)
            except ValueError as exc:
                row.errors.setdefault("allocations", []).append(str(exc))
            allocations.append({"invoice": invoice.strip(), "amount": amount.strip()})
        record["allocations"] = allocations
    return record


class _Validator:
    """Validates rows against the customers named in the file with one serializer for the whole
    pass (its fields are bound once, not once per row, as the bulk API does)."""

    def __init__(self, kind: str, customers):
        self.kind = kind
        self.serializer = KINDS[kind].serializer(context={"customers": customers})

    def __call__(self, row: Row) -> dict | None:
        record = _record(self.kind, row)
        try:
            data = self.serializer.run_validation(record)
        except serializers.ValidationError as exc:
            for field, messages in _flatten(exc.detail).items():
                row.errors.setdefault(field, []).extend(messages)
            return None
        return None if row.errors else dict(data)


def _reference(kind: str, row: Row) -> str:
    return row.cells.get(KINDS[kind].reference, "")


# --------------------------------------------------------------------------------------------
# The job
# --------------------------------------------------------------------------------------------


@transaction.atomic
def import_job_create(*, kind: str, upload, acting_user) -> ImportJob:
    """A queued job for an uploaded file (stored under MEDIA_ROOT); the worker takes it from there."""
    from creditdesk.authority import require

    require(acting_user, KINDS[kind].action)
    job = ImportJob(
        kind=kind,
        original_name=str(upload.name)[-255:],
        uploaded_by=acting_user,
        language=translation.get_language() or "",
    )
    job.file.save(upload.name, upload, save=False)
    job.save()
    return job


def import_job_enqueue(job: ImportJob) -> None:
    from receivables.ledger.tasks import run_import_job

    try:
        run_import_job.delay(job.pk)
    except Exception:  # the broker is down: say so now rather than leave the job queued forever
        logger.exception("import job %s could not be queued", job.pk)
        _finish_failed(
            job.pk,
            None,
            _("The background worker could not be reached. Nothing was imported; try again later."),
        )


def _claim(job_id: int) -> ImportJob | None:
    """Takes the job for this run: a queued job, or a running one whose run fell silent (its worker
    was lost). A finished job, or one another run is working on, is left alone."""
    now = timezone.now()
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.finished:
        return None
    if job.status in ImportJob.RUNNING and job.updated_at > now - STALE_AFTER:
        return None
    claimed = ImportJob.objects.filter(pk=job.pk, status=job.status, attempt=job.attempt).update(
        status=ImportJob.Status.VALIDATING,
        attempt=F("attempt") + 1,
        progress=0,
        started_at=now,
        updated_at=now,
    )
    if not claimed:
        return None
    job.refresh_from_db()
    return job


def import_job_run(job_id: int) -> str:
    """The worker's part: validate every row, then apply all or none; tells the uploader."""
    job = _claim(job_id)
    if job is None:
        return "skipped"
    with translation.override(job.language or None):
        try:
            return _run(job)
        except Exception:
            logger.exception("import job %s failed", job.pk)
            _finish_failed(
                job.pk,
                job.attempt,
                _("The import stopped on an unexpected error. Nothing was imported."),
            )
            return "error"


def _run(job: ImportJob) -> str:
    kind, attempt = job.kind, job.attempt
    if not may(job.uploaded_by, KINDS[kind].action):
        return _finish_failed(job.pk, attempt, _("You may no longer import this data."))

    def validation_progress(fraction: float, rows: int | None = None) -> None:
        fields = {"progress": min(int(fraction * 40), 40), "updated_at": timezone.now()}
        if rows is not None:
            fields["rows_read"] = rows
        ImportJob.objects.filter(pk=job.pk, attempt=attempt).update(**fields)

    # Pass 1: read and validate everything; nothing is written.
    report: list = []
    customers = _Customers()
    validate = _Validator(kind, customers)
    first_seen: dict[str, int] = {}  # number → the row it first appears in
    rows = 0
    try:
        with job.file.open("rb") as file:
            for row in read_file(file, job.original_name, kind=kind, progress=validation_progress):
                rows += 1
                unreadable = bool(row.errors)  # its values do not line up with the columns
                if KINDS[kind].batch is not None:
                    _once_in_file(row, first_seen)
                if unreadable or validate(row) is None:
                    report.append(_line(kind, row))
    except FileRefused as exc:
        return _finish_failed(job.pk, attempt, str(exc))
    if not rows:
        return _finish_failed(job.pk, attempt, _("The file has no data rows."))
    if report:
        return _finish_failed(
            job.pk,
            attempt,
            _("Nothing was imported: correct the rows with errors and upload the file again."),
            report=report,
            rows=rows,
        )
    moved = ImportJob.objects.filter(
        pk=job.pk, attempt=attempt, status=ImportJob.Status.VALIDATING
    ).update(
        status=ImportJob.Status.APPLYING, rows_read=rows, progress=40, updated_at=timezone.now()
    )
    if not moved:
        return "superseded"
    return _apply(job, customers, rows)


def _once_in_file(row: Row, first_seen: dict[str, int]) -> None:
    """A number names one record: a file that gives it twice is ambiguous (which row is meant?),
    so the later row is an error (as a repeated number in one call of the bulk API)."""
    number = row.cells.get("number", "")
    if not number:
        return
    if number in first_seen:
        row.errors.setdefault("number", []).append(
            _("This number appears earlier in the file (row %(row)s).")
            % {"row": first_seen[number]}
        )
    else:
        first_seen[number] = row.number


def _line(kind: str, row: Row, result: str = "rejected") -> list:
    errors = {_storable(k): [_storable(m) for m in msgs] for k, msgs in row.errors.items()}
    return [row.number, _storable(_reference(kind, row)), result, errors]


def _storable(text: str) -> str:
    # PostgreSQL's JSON cannot hold NUL; the report shows it as the symbol for NUL.
    return str(text).replace("\x00", "\u2400")


class _RollBack(Exception):
    pass


class _Customers:
    """The customers named in the file, by ERP code, each looked up once (for the serializers)."""

    def __init__(self):
        self._known: dict[str, Customer | None] = {}

    def get(self, code, default=None):
        if not isinstance(code, str) or "\x00" in code:
            return default  # names no customer (PostgreSQL cannot even compare it)
        if code not in self._known:
            self._known[code] = Customer.objects.filter(erp_code=code).first()
        found = self._known[code]
        return default if found is None else found


def _apply(job: ImportJob, customers: "_Customers", rows: int) -> str:
    """Pass 2: the rows applied through the ledger's services, a chunk at a time, in one
    transaction: any rejected row rolls everything back, and the report lists every such row."""
    kind, attempt = job.kind, job.attempt
    validate = _Validator(kind, customers)
    applier = _Applier(kind, job.uploaded_by)
    side = _ProgressWriter(job.pk, attempt)
    try:
        with transaction.atomic():
            chunk: list[tuple[Row, dict]] = []
            with job.file.open("rb") as file:
                for row in read_file(file, job.original_name, kind=kind):
                    data = validate(row)
                    if data is None:  # the data changed under the file since the check
                        applier.errors.append(_line(kind, row))
                        continue
                    chunk.append((row, data))
                    if len(chunk) == CHUNK:
                        applier.apply(chunk)
                        chunk = []
                        side.write(40 + int(applier.done / rows * 59))
            if chunk:
                applier.apply(chunk)
            if applier.errors:
                raise _RollBack()
            finished = ImportJob.objects.filter(
                pk=job.pk, attempt=attempt, status=ImportJob.Status.APPLYING
            ).update(
                status=ImportJob.Status.DONE,
                progress=100,
                counts=applier.counts,
                report=applier.report,
                rows_read=rows,
                rows_with_errors=0,
                message="",
                updated_at=timezone.now(),
                finished_at=timezone.now(),
            )
            if not finished:  # another run took the job over: this one leaves no trace
                raise _RollBack()
            _tell(job, done=True, rows=rows)
    except _RollBack:
        if not applier.errors:
            return "superseded"
        return _finish_failed(
            job.pk,
            attempt,
            _("Nothing was imported: correct the rows with errors and upload the file again."),
            report=sorted(applier.errors, key=lambda line: line[0]),  # by row
            rows=rows,
        )
    except FileRefused as exc:
        return _finish_failed(job.pk, attempt, str(exc))
    finally:
        side.close()
    return "done"


class _Applier:
    """Applies chunks of validated rows and keeps every row's answer. A batch service answers each
    record of its chunk; a rejected record is reported with its row and the whole import is rolled
    back by the caller (the later chunks are still applied, so that the report is complete)."""

    def __init__(self, kind: str, user):
        self.kind, self.user, self.spec = kind, user, KINDS[kind]
        self.report: list = []
        self.errors: list = []
        self.counts: dict[str, int] = {}
        self.done = 0

    def apply(self, chunk: list[tuple[Row, dict]]) -> None:
        if self.spec.batch is None:
            outcomes = [self._one(data) for _row, data in chunk]
        else:
            records = [self.spec.to_record(data) for _row, data in chunk]
            try:
                with transaction.atomic():
                    result = self.spec.batch(records, acting_user=self.user)
                outcomes = [(o.result, o.errors) for o in result.outcomes]
            except DomainError as exc:  # the batch as a whole was refused
                outcomes = [("rejected", _errors(exc))] * len(chunk)
            except DatabaseError:
                outcomes = [("rejected", _conflict())] * len(chunk)
        for (row, _data), (outcome, errors) in zip(chunk, outcomes, strict=True):
            if outcome == services.REJECTED:
                row.errors = errors or {"non_field_errors": [_("The row was rejected.")]}
                self.errors.append(_line(self.kind, row))
                continue
            self.counts[outcome] = self.counts.get(outcome, 0) + 1
            self.report.append([row.number, _storable(_reference(self.kind, row)), outcome, {}])
        self.done += len(chunk)

    def _one(self, data: dict) -> tuple[str, dict]:
        try:
            with transaction.atomic():
                outcome, _freed = self.spec.apply(data, self.user)
        except DomainError as exc:
            return "rejected", _errors(exc)
        except DatabaseError:
            return "rejected", _conflict()
        return outcome, {}


def _errors(exc: DomainError) -> dict[str, list[str]]:
    return _flatten(exc.field_errors) or {"non_field_errors": [str(exc.message)]}


def _conflict() -> dict[str, list[str]]:
    return {"non_field_errors": [_("The record conflicts with stored data.")]}


class _ProgressWriter:
    """Progress of the apply pass, written on a connection of its own so that the page sees it while
    the transaction is open. SQLite allows one writer at a time: there the bar waits for the end."""

    def __init__(self, job_id: int, attempt: int):
        self.job_id, self.attempt, self.connection = job_id, attempt, None

    def write(self, progress: int) -> None:
        if connection.vendor != "postgresql":
            return
        if self.connection is None:
            self.connection = connections.create_connection("default")
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ImportJob._meta.db_table} SET progress = %s, updated_at = %s "  # noqa: S608
                "WHERE id = %s AND attempt = %s",
                [progress, timezone.now(), self.job_id, self.attempt],
            )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def _finish_failed(
    job_id: int, attempt: int | None, message: str, *, report=None, rows: int | None = None
) -> str:
    jobs = ImportJob.objects.filter(pk=job_id).exclude(status__in=ImportJob.FINISHED)
    if attempt is not None:
        jobs = jobs.filter(attempt=attempt)
    fields = {
        "status": ImportJob.Status.FAILED,
        "message": _storable(message),
        "report": report or [],
        "rows_with_errors": len(report or []),
        "progress": 100,
        "updated_at": timezone.now(),
        "finished_at": timezone.now(),
    }
    if rows is not None:
        fields["rows_read"] = rows
    with transaction.atomic():
        if jobs.update(**fields):
            job = ImportJob.objects.select_related("uploaded_by").get(pk=job_id)
            _tell(job, done=False, rows=job.rows_read)
    return "failed"


def _tell(job: ImportJob, *, done: bool, rows: int) -> None:
    if done:
        title = ngettext(
            "Import finished: %(n)s row of %(file)s imported",
            "Import finished: %(n)s rows of %(file)s imported",
            rows,
        ) % {"n": f"{rows:,}", "file": job.original_name}
    else:
        title = _("Import of %(file)s failed: nothing was imported") % {"file": job.original_name}
    notify(
        [job.uploaded_by],
        title=title,
        link=reverse("receivables-import-job", args=[job.pk]),
    )


def report_rows(job: ImportJob) -> list[list]:
    """The job's report as rows for a download: row, reference, result, errors."""
    results = {
        "created": _("created"),
        "updated": _("updated"),
        "unchanged": _("unchanged"),
        "rejected": _("rejected"),
    }
    lines = []
    for number, reference, result, errors in job.report:
        text = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
        lines.append([number, reference, results.get(result, result), text])
    return lines
