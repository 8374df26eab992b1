"""The release gate and the ERP data feeds over the API (HANDBOOK §8, §9).

`POST /api/v1/gate/checks/` is a published contract the ERP and logistics integrate against: keep its
input and output exactly. Bulk feeds answer per record (created / updated / unchanged / rejected with
reasons), each record in its own savepoint, so one bad record never fails the batch.
"""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from creditdesk.api import Authority
from creditdesk.errors import DomainError, ValidationFailed
from customers.models import Customer
from receivables.gate import services as gate_services
from receivables.ledger import services

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


class CustomerCodeField(serializers.CharField):
    """An ERP customer code, resolved from the batch's prefetched customers."""

    def run_validation(self, data=serializers.empty):
        code = super().run_validation(data)
        customer = self.context.get("customers", {}).get(code)
        if customer is None:
            raise serializers.ValidationError(_("Unknown customer."))
        return customer


def run_bulk(request, serializer_class, apply) -> Response:
    """Validates and applies each record on its own; never a 500 for one bad record."""
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
    customers = {c.erp_code: c for c in Customer.objects.filter(erp_code__in=codes)}
    counts = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    results, released = [], []
    for index, record in enumerate(records):
        number = (
            str(record.get("number") or record.get("order_ref") or "")
            if isinstance(record, dict)
            else ""
        )
        ser = serializer_class(data=record, context={"customers": customers})
        outcome, errors = "rejected", {}
        if not isinstance(record, dict):
            errors = {"non_field_errors": [_("A record must be an object.")]}
        elif not ser.is_valid():
            errors = _flatten(ser.errors)
        else:
            try:
                with transaction.atomic():
                    outcome, freed = apply(ser.validated_data, request.user)
                    released.extend(freed)
            except DomainError as exc:
                errors = _flatten(exc.field_errors) or {"non_field_errors": [str(exc.message)]}
            except IntegrityError:
                errors = {"non_field_errors": [_("The record conflicts with stored data.")]}
        counts[outcome] += 1
        results.append({"index": index, "number": number, "result": outcome, "errors": errors})
    body = {**counts, "records": results}
    if released:
        body["released_checks"] = released
    return Response(body)


class InvoiceRecordSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=64)
    customer = CustomerCodeField(max_length=40)
    order_ref = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    issue_date = serializers.DateField()
    delivery_date = serializers.DateField(required=False, allow_null=True, default=None)
    due_date = serializers.DateField(required=False, allow_null=True, default=None)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=Decimal("0"))
    currency = serializers.CharField(max_length=3, default="CNY", validators=[_currency])


def apply_invoice(data: dict, user) -> tuple[str, list]:
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
        return run_bulk(request, InvoiceRecordSerializer, apply_invoice)


class AllocationSerializer(serializers.Serializer):
    invoice = serializers.CharField(max_length=64)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=Decimal("0.01"))


class PaymentRecordSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=64)
    customer = CustomerCodeField(max_length=40)
    paid_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=Decimal("0.01"))
    currency = serializers.CharField(max_length=3, default="CNY", validators=[_currency])
    allocations = AllocationSerializer(many=True, required=False)


def apply_payment(data: dict, user) -> tuple[str, list]:
    allocations = data.pop("allocations", None)
    _payment, outcome, released = services.payment_upsert(
        acting_user=user,
        allocations=[(a["invoice"], a["amount"]) for a in allocations]
        if allocations is not None
        else None,
        **data,
    )
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
        return run_bulk(request, PaymentRecordSerializer, apply_payment)


class CreditNoteRecordSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=64)
    customer = CustomerCodeField(max_length=40)
    issued_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=Decimal("0.01"))
    invoice = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


def apply_credit_note(data: dict, user) -> tuple[str, list]:
    invoice_number = data.pop("invoice", "")
    _note, outcome = services.credit_note_upsert(
        acting_user=user, invoice_number=invoice_number, **data
    )
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
        return run_bulk(request, CreditNoteRecordSerializer, apply_credit_note)


class OrderRecordSerializer(serializers.Serializer):
    order_ref = serializers.CharField(max_length=64)
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
        return run_bulk(request, OrderRecordSerializer, apply_order)
