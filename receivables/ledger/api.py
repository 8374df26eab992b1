"""The release gate and the ERP data feeds over the API (HANDBOOK §8, §9).

`POST /api/v1/gate/checks/` is a published contract the ERP and logistics integrate against: keep its
input and output exactly. Bulk feeds answer per record (created / updated / unchanged / rejected with
reasons); the batch is validated record by record and written by the ledger's batch services, so
one bad record never fails the batch.
"""

from decimal import Decimal

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from creditdesk.api import Authority
from creditdesk.errors import DomainError, ValidationFailed
from creditdesk.inputs import BusinessDateField, MoneyField, ReferenceField, TextField
from customers.models import Customer
from receivables.gate import services as gate_services
from receivables.ledger import bills, services

MAX_BATCH = 1000


def _currency(value: str) -> str:
    if value != "CNY":
        raise serializers.ValidationError(_("Only CNY is accepted."))
    return value


# --------------------------------------------------------------------------------------------
# Bulk feeds from the ERP
# --------------------------------------------------------------------------------------------


class RecordResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    number = serializers.CharField(allow_blank=True)
    result = serializers.CharField(help_text="created | updated | unchanged | rejected")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class BulkOutputSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()
    records = RecordResultSerializer(many=True)
    released_checks = serializers.ListField(child=serializers.IntegerField(), required=False)


def _flatten(errors) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in (errors or {}).items():
        if isinstance(value, dict):
            for sub, msgs in _flatten(value).items():
                out[f"{key}.{sub}"] = msgs
        elif isinstance(value, list | tuple):
            msgs = []
            for item in value:
                if isinstance(item, dict):
                    for sub, sub_msgs in _flatten(item).items():
                        out[f"{key}.{sub}"] = sub_msgs
                else:
                    msgs.append(str(item))
            if msgs:
                out[key] = msgs
        else:
            out[key] = [str(value)]
    return out


class CustomerCodeField(ReferenceField):
    """An ERP customer code, resolved from the batch's prefetched customers."""

    def run_validation(self, data=serializers.empty):
        code = super().run_validation(data)
        customer = self.context.get("customers", {}).get(code)
        if customer is None:
            raise serializers.ValidationError(_("Unknown customer."))
        return customer


def _record_number(record) -> str:
    if not isinstance(record, dict):
        return ""
    value = record.get("number", record.get("order_ref"))
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def run_bulk(request, serializer_class, batch, to_record=dict) -> Response:
    """Validates every record, then hands the valid ones to the batch service `batch`, which
    answers each of them; the answer lists every record in order. Never a 500 for one bad record:
    a record the serializer or the service refuses is `rejected` with field errors in the caller's
    language, and the others proceed."""
    records = request.data
    if not isinstance(records, list):
        raise ValidationFailed(field_errors={"non_field_errors": [_("Send a list of records.")]})
    if len(records) > MAX_BATCH:
        raise ValidationFailed(
            field_errors={
                "non_field_errors": [_("At most %(n)s records per call.") % {"n": MAX_BATCH}]
            }
        )
    # Only text can be a customer code, and a code with a NUL character names no customer
    # (PostgreSQL could not even compare it); the record's own validation says what is wrong.
    codes = {
        r["customer"]
        for r in records
        if isinstance(r, dict)
        and isinstance(r.get("customer"), str)
        and "\x00" not in r["customer"]
    }
    customers = (
        {c.erp_code: c for c in Customer.objects.filter(erp_code__in=codes).only("pk", "erp_code")}
        if codes
        else {}
    )
    answers: list[tuple[str, dict]] = [("rejected", {})] * len(records)
    valid, positions = [], []
    # One serializer validates every record (as a ListSerializer does with its child): its fields
    # are bound once per batch, not once per record.
    ser = serializer_class(context={"customers": customers})
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            answers[index] = ("rejected", {"non_field_errors": [_("A record must be an object.")]})
            continue
        try:
            data = ser.run_validation(record)
        except serializers.ValidationError as exc:
            answers[index] = ("rejected", _flatten(exc.detail))
            continue
        valid.append(to_record(data))
        positions.append(index)
    result = batch(valid, acting_user=request.user) if valid else services.BatchResult([])
    for index, outcome in zip(positions, result.outcomes, strict=True):
        answers[index] = (outcome.result, outcome.errors)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    rows = []
    for index, (outcome, errors) in enumerate(answers):
        counts[outcome] += 1
        rows.append(
            {
                "index": index,
                "number": _record_number(records[index]),
                "result": outcome,
                "errors": errors,
            }
        )
    body = {**counts, "records": rows}
    if result.released:
        body["released_checks"] = [c.pk for c in result.released]
    return Response(body)


class InvoiceDisputeSerializer(serializers.Serializer):
    amount = MoneyField(
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        default=None,
        help_text="the disputed part; absent or null: all that is open and not yet disputed",
    )
    # Plain text (checked by the service), so the schema's enum names stay unique across apps.
    reason = ReferenceField(
        max_length=16, help_text="price | quantity | quality | delivery | duplicate | other"
    )
    note = TextField(max_length=2000, required=False, allow_blank=True, default="")


class InvoiceRecordSerializer(serializers.Serializer):
    number = ReferenceField(max_length=64)
    customer = CustomerCodeField(max_length=40)
    order_ref = ReferenceField(max_length=64, required=False, allow_blank=True, default="")
    issue_date = BusinessDateField()
    delivery_date = BusinessDateField(required=False, allow_null=True, default=None)
    due_date = BusinessDateField(required=False, allow_null=True, default=None)
    amount = MoneyField(min_value=Decimal("0"))
    currency = serializers.CharField(max_length=3, default="CNY", validators=[_currency])
    dispute = InvoiceDisputeSerializer(
        required=False,
        help_text="Optional (issue 17 §1): the customer disputes this invoice, all or part. Sent "
        "again unchanged it changes nothing; the invoice is written even when the dispute cannot "
        "be raised, which the record's errors then say under `dispute`.",
    )


def apply_invoice(data: dict, user) -> tuple[str, list]:
    data = {k: v for k, v in data.items() if k != "dispute"}
    _invoice, outcome = services.invoice_upsert(acting_user=user, **data)
    return outcome, []


class InvoiceBulkApi(APIView):
    """Invoices from the ERP, upserted by number. Due date = delivery (or invoice) date + the term."""

    permission_classes = [Authority]
    authority_action = "receivables.import"

    @extend_schema(
        operation_id="invoices_bulk",
        request=InvoiceRecordSerializer(many=True),
        responses={200: BulkOutputSerializer},
    )
    def post(self, request):
        return run_bulk(request, InvoiceRecordSerializer, services.invoices_upsert_batch)


class AllocationSerializer(serializers.Serializer):
    invoice = ReferenceField(max_length=64)
    amount = MoneyField(min_value=Decimal("0.01"))


class PaymentRecordSerializer(serializers.Serializer):
    number = ReferenceField(max_length=64)
    customer = CustomerCodeField(max_length=40)
    paid_on = BusinessDateField()
    amount = MoneyField(min_value=Decimal("0.01"))
    currency = serializers.CharField(max_length=3, default="CNY", validators=[_currency])
    allocations = AllocationSerializer(
        many=True,
        required=False,
        help_text="As given, or oldest due first when absent. Money allocated to a written-off "
        "invoice is recorded as a recovery of the write-off.",
    )
    # Issue 17 §7, optional: checked by the service (plain text, so the schema's enum names stay
    # unique across apps).
    instrument = ReferenceField(
        max_length=16,
        required=False,
        default=None,
        allow_null=True,
        help_text="transfer | bank_bill | commercial_bill | cheque | letter_of_credit. Absent: a "
        "new payment is a transfer, a stored one keeps its instrument. A commercial acceptance "
        "bill settles the invoices it pays but stays in the customer's exposure until it matures.",
    )
    bill_number = ReferenceField(
        max_length=64, required=False, allow_blank=True, default="", help_text="bills only"
    )
    bill_acceptor = TextField(
        max_length=200, required=False, allow_blank=True, default="", help_text="bills only"
    )
    bill_maturity = BusinessDateField(
        required=False, allow_null=True, default=None, help_text="bills only"
    )


def payment_record(data: dict) -> dict:
    """The validated payment as the batch service takes it (allocations as (invoice, amount))."""
    record = dict(data)
    allocations = record.pop("allocations", None)
    record["allocations"] = (
        [(a["invoice"], a["amount"]) for a in allocations] if allocations is not None else None
    )
    return record


def apply_payment(data: dict, user) -> tuple[str, list]:
    _payment, outcome, released = services.payment_upsert(acting_user=user, **payment_record(data))
    return outcome, [c.pk for c in released]


class PaymentBulkApi(APIView):
    """Payments from the ERP, allocated as given or oldest due first; blocked checks are re-run."""

    permission_classes = [Authority]
    authority_action = "receivables.import"

    @extend_schema(
        operation_id="payments_bulk",
        request=PaymentRecordSerializer(many=True),
        responses={200: BulkOutputSerializer},
    )
    def post(self, request):
        return run_bulk(
            request, PaymentRecordSerializer, services.payments_upsert_batch, payment_record
        )


class PaymentDishonourInputSerializer(serializers.Serializer):
    date = BusinessDateField(help_text="the day the acceptor refused to pay")
    note = TextField(max_length=2000, required=False, allow_blank=True, default="")


class PaymentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    customer = serializers.CharField(source="customer.erp_code")
    paid_on = serializers.DateField()
    amount = MoneyField(min_value=Decimal("0.01"))
    unallocated_amount = MoneyField(min_value=Decimal("0"))
    instrument = serializers.CharField()
    bill_number = serializers.CharField()
    bill_acceptor = serializers.CharField()
    bill_maturity = serializers.DateField(allow_null=True)
    bill_released_on = serializers.DateField(allow_null=True)
    dishonoured_on = serializers.DateField(allow_null=True)


class PaymentDishonourApi(APIView):
    """Issue 17 §7: the acceptor did not pay an acceptance bill. The invoices it paid open again
    (with their due dates) and the exposure moves back. Not a bill: 400; already dishonoured: 409."""

    permission_classes = [Authority]
    authority_action = "receivables.payment.dishonour"

    @extend_schema(
        operation_id="payment_dishonour",
        request=PaymentDishonourInputSerializer,
        responses={200: PaymentOutputSerializer},
    )
    def post(self, request, pk: int):
        serializer = PaymentDishonourInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = bills.payment_dishonour(
            payment_id=pk,
            on=serializer.validated_data["date"],
            note=serializer.validated_data["note"],
            acting_user=request.user,
        )
        return Response(PaymentOutputSerializer(payment).data)


class CreditNoteRecordSerializer(serializers.Serializer):
    number = ReferenceField(max_length=64)
    customer = CustomerCodeField(max_length=40)
    issued_on = BusinessDateField()
    amount = MoneyField(min_value=Decimal("0.01"))
    invoice = ReferenceField(max_length=64, required=False, allow_blank=True, default="")


def credit_note_record(data: dict) -> dict:
    record = dict(data)
    record["invoice_number"] = record.pop("invoice", "")
    return record


def apply_credit_note(data: dict, user) -> tuple[str, list]:
    _note, outcome = services.credit_note_upsert(acting_user=user, **credit_note_record(data))
    return outcome, []


class CreditNoteBulkApi(APIView):
    permission_classes = [Authority]
    authority_action = "receivables.import"

    @extend_schema(
        operation_id="credit_notes_bulk",
        request=CreditNoteRecordSerializer(many=True),
        responses={200: BulkOutputSerializer},
    )
    def post(self, request):
        return run_bulk(
            request,
            CreditNoteRecordSerializer,
            services.credit_notes_upsert_batch,
            credit_note_record,
        )


class OrderRecordSerializer(serializers.Serializer):
    order_ref = ReferenceField(max_length=64)
    status = serializers.CharField(
        max_length=12, help_text="shipped | delivered | recalled | cancelled"
    )

    def validate_status(self, value: str) -> str:
        if value not in gate_services.MARKABLE:
            raise serializers.ValidationError(
                _("Choose shipped, delivered, recalled or cancelled.")
            )
        return value


def apply_order(data: dict, user) -> tuple[str, list]:
    from receivables.models import SalesOrder

    order = SalesOrder.objects.filter(order_ref=data["order_ref"]).first()
    if order is None:
        raise ValidationFailed(
            field_errors={"order_ref": [_("No released order has this reference.")]}
        )
    if order.status == data["status"]:
        return "unchanged", []
    gate_services.sales_order_mark(order=order, status=data["status"], acting_user=user)
    return "updated", []


def orders_mark_batch(records: list[dict], *, acting_user) -> services.BatchResult:
    """Shipment news, each record in its own savepoint (a few per night; the gate owns the rule)."""
    outcomes = []
    for record in records:
        try:
            with transaction.atomic():
                outcome, _released = apply_order(record, acting_user)
            outcomes.append(services.Outcome(outcome))
        except DomainError as exc:
            errors = _flatten(exc.field_errors) or {"non_field_errors": [str(exc.message)]}
            outcomes.append(services.Outcome("rejected", errors))
        except DatabaseError:
            outcomes.append(
                services.Outcome(
                    "rejected", {"non_field_errors": [_("The record conflicts with stored data.")]}
                )
            )
    return services.BatchResult(outcomes)


class OrderBulkApi(APIView):
    """Shipment news from the ERP for orders the gate released (shipped, delivered, recalled, cancelled)."""

    permission_classes = [Authority]
    authority_action = "gate.order.mark"

    @extend_schema(
        operation_id="orders_bulk",
        request=OrderRecordSerializer(many=True),
        responses={200: BulkOutputSerializer},
    )
    def post(self, request):
        return run_bulk(request, OrderRecordSerializer, orders_mark_batch)
