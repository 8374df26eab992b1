"""The bench's data: 20,000 customers and 1,000,000 invoices, loaded with PostgreSQL COPY.

Columns the generator does not set take the model field's default, so the loader follows the
models without listing every field.
"""

import datetime as dt
import io
import json
import random
from decimal import Decimal

from django.db import connection
from django.utils import timezone

CUSTOMERS = 20_000
INVOICES = 1_000_000
SALESPEOPLE = 50
ERP_PREFIX = "BENCH"
NUMBER_PREFIX = "BI"
NULL = r"\N"
DATA_VERSION = "creditdesk bench data v2"
# Every CLEAN_EVERY-th customer pays on time (no overdue invoice): the gate checks go to them,
# so they measure a release, the gate's common path.
CLEAN_EVERY = 10


def _text(value) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def _defaults(model, given: list[str]) -> tuple[list[str], str]:
    """The columns not given, with their defaults as one tab-joined text."""
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in given:
            continue
        if field.column in given:
            continue
        default = field.get_default() if field.has_default() else None
        if default is None and not field.null:
            default = "" if field.empty_strings_allowed else None
        columns.append(field.column)
        values.append(_text(default))
    return columns, "\t".join(values)


def copy_rows(model, given: list[str], rows) -> int:
    """COPY rows (tuples in the order of `given`) into the model's table."""
    rest, rest_text = _defaults(model, given)
    columns = [*given, *rest]
    buffer = io.StringIO()
    count = 0
    for row in rows:
        line = "\t".join(_text(v) for v in row)
        buffer.write(f"{line}\t{rest_text}\n" if rest else f"{line}\n")
        count += 1
    buffer.seek(0)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy,
    ):
        copy.write(buffer.getvalue())
    return count


def present(invoice_count: int = INVOICES) -> bool:
    from customers.models import Customer
    from receivables.models import Invoice

    with connection.cursor() as cursor:
        cursor.execute("SELECT obj_description(%s::regclass, 'pg_class')", [Invoice._meta.db_table])
        if cursor.fetchone()[0] != DATA_VERSION:
            return False
    customers = Customer.objects.filter(erp_code__startswith=ERP_PREFIX).count()
    invoices = Invoice.objects.filter(number__startswith=NUMBER_PREFIX).count()
    return customers == CUSTOMERS and invoices == invoice_count


def clean_erp_codes() -> list[str]:
    return [f"{ERP_PREFIX}{n:06d}" for n in range(0, CUSTOMERS, CLEAN_EVERY)]


def wipe() -> None:
    """Empty the bench database's business tables (it is the bench's own database)."""
    from credit.models import CreditLine
    from customers.models import Contact, Customer, SentMail
    from receivables.models import CustomerExposure, GateCheck, Invoice, ReminderLog, SalesOrder

    tables = [
        m._meta.db_table
        for m in (
            ReminderLog,
            SentMail,
            SalesOrder,
            GateCheck,
            CustomerExposure,
            Invoice,
            CreditLine,
            Contact,
            Customer,
        )
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in tables) + " CASCADE"
        )


def _users():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    User = get_user_model()
    group = Group.objects.get_or_create(name="sales")[0]
    people = []
    for n in range(SALESPEOPLE):
        user, created = User.objects.get_or_create(
            username=f"bench_sales_{n:02d}",
            defaults={"email": f"sales{n:02d}@bench.test", "last_name": f"销售{n:02d}"},
        )
        if created:
            user.groups.add(group)
        people.append(user.pk)
    return people


def generate(seed: int = 20261125, invoice_count: int = INVOICES) -> dict:
    from credit.models import CreditLine
    from customers.models import Contact, Customer
    from receivables.models import CustomerExposure, Invoice

    rng = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()
    salespeople = _users()
    wipe()

    copy_rows(
        Customer,
        [
            "erp_code",
            "name",
            "credit_code",
            "registered_address",
            "established_on",
            "registered_capital",
            "legal_representative",
            "preferred_language",
            "salesperson_id",
            "dossier_number",
        ],
        (
            (
                f"{ERP_PREFIX}{n:06d}",
                f"基准测试化工有限公司{n:05d}",
                f"91310000B{n:08d}X",
                "上海市浦东新区基准路1号",
                dt.date(2005, 1, 1) + dt.timedelta(days=n % 4000),
                "10000000.00",
                "张三",
                "en" if n % 5 == 0 else "zh-hans",
                salespeople[n % SALESPEOPLE],
                f"BENCH-{n:06d}",
            )
            for n in range(CUSTOMERS)
        ),
    )
    ids = list(
        Customer.objects.filter(erp_code__startswith=ERP_PREFIX)
        .order_by("erp_code")
        .values_list("pk", flat=True)
    )
    copy_rows(
        Contact,
        ["customer_id", "name", "email", "receives_reminders"],
        ((pk, "财务", f"ap{pk}@customer.bench", True) for pk in ids),
    )
    copy_rows(
        CreditLine,
        [
            "customer_id",
            "status",
            "limit",
            "term_days",
            "credit_level",
            "asset_class",
            "updated_at",
        ],
        ((pk, CreditLine.Status.ACTIVE, "5000000.00", 60, 2, "B", now) for pk in ids),
    )

    def invoices():
        for n in range(invoice_count):
            issue = today - dt.timedelta(days=rng.randint(0, 1095))
            due = issue + dt.timedelta(days=rng.choice((30, 60, 90)))
            cents = rng.randint(100_00, 500_000_00)
            amount = Decimal(cents) / 100
            overdue_days = (today - due).days
            index = rng.randrange(CUSTOMERS)
            roll = rng.random()
            paid = Decimal("0.00")
            status, written_off, written_off_at = "open", Decimal("0.00"), None
            if overdue_days > 30:
                if roll < 0.92:
                    paid = amount
                elif roll < 0.93:
                    status, written_off, written_off_at = "written_off", amount, now
                elif roll < 0.965:
                    paid = (amount / 2).quantize(Decimal("0.01"))
            elif overdue_days > 0:
                if roll < 0.6:
                    paid = amount
            elif roll < 0.1:
                paid = amount
            if index % CLEAN_EVERY == 0 and overdue_days > 0:
                paid, status, written_off, written_off_at = amount, "open", Decimal("0.00"), None
            open_amount = amount - paid - written_off
            if status == "open" and open_amount == 0:
                status = "paid"
            yield (
                f"{NUMBER_PREFIX}{n:08d}",
                ids[index],
                f"SO{n:08d}",
                issue,
                due,
                amount,
                paid,
                written_off,
                open_amount,
                status,
                written_off_at,
                now,
                now,
            )

    copy_rows(
        Invoice,
        [
            "number",
            "customer_id",
            "order_ref",
            "issue_date",
            "due_date",
            "amount",
            "paid_amount",
            "written_off_amount",
            "open_amount",
            "status",
            "written_off_at",
            "created_at",
            "updated_at",
        ],
        invoices(),
    )
    # The exposure totals the gate reads, consistent with the invoices.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {CustomerExposure._meta.db_table} (customer_id, open_receivables,
                reserved_orders, updated_at)
            SELECT c.id, COALESCE(SUM(i.open_amount) FILTER (WHERE i.status = 'open'), 0), 0, %s
            FROM {Customer._meta.db_table} c
            LEFT JOIN {Invoice._meta.db_table} i ON i.customer_id = c.id
            GROUP BY c.id
            """,
            [now],
        )
        cursor.execute("ANALYZE")
        cursor.execute(f"COMMENT ON TABLE {Invoice._meta.db_table} IS %s", [DATA_VERSION])
    return {"customers": CUSTOMERS, "invoices": invoice_count}
