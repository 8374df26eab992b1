"""The release gate and the ERP data feeds over the API (HANDBOOK §8, §9).

`POST /api/v1/gate/checks/` is a published contract the ERP and logistics integrate against: keep its
input and output exactly. Bulk feeds answer per record (created / updated / unchanged / rejected with
reasons), each record in its own savepoint, so one bad record never fails the batch.
"""

from decimal import Decimal

from django.db import IntegrityError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from creditdesk.api import Authority, PreboundSerializer
from creditdesk.errors import ValidationFailed
from creditdesk.inputs import MoneyField, ReferenceField
from customers.models import Customer
from receivables.gate import services
from receivables.models import GateCheck

MAX_BATCH = 1000


def _currency(value: str) -> str:
    if value != "CNY":
        raise serializers.ValidationError(_("Only CNY is accepted."))
    return value


class ReasonSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=list(services.REASON_CODES),
        help_text="no_credit_line | credit_locked | credit_revoked | credit_suspended | "
        "warning_level | overdue_receivables | limit_exceeded | group_limit_exceeded | "
        "prepayment_not_received | contract_terms",
    )
    message = serializers.CharField()


class GateGroupSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    limit = serializers.DecimalField(max_digits=18, decimal_places=2)
    exposure = serializers.DecimalField(
        max_digits=18, decimal_places=2, help_text="The group's exposure after this check."
    )


class GateCheckOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    decision = serializers.CharField(help_text="release | block")
    reasons = ReasonSerializer(many=True)
    credit_limit = serializers.DecimalField(max_digits=18, decimal_places=2)
    exposure = serializers.DecimalField(max_digits=18, decimal_places=2)
    available = serializers.DecimalField(max_digits=18, decimal_places=2)
    warning_level = serializers.IntegerField(allow_null=True)
    checked_at = serializers.DateTimeField()
    advance = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        allow_null=True,
        required=False,
        help_text="Prepaid checks: the customer's advance (cash received beyond what it owes, "
        "less what prepaid orders reserve) after this check; null otherwise.",
    )
    group = GateGroupSerializer(
        allow_null=True,
        required=False,
        help_text="The customer's group with a group credit limit, if any; null otherwise.",
    )


_MONEY = serializers.DecimalField(max_digits=18, decimal_places=2)
_MOMENT = serializers.DateTimeField()


def gate_answer(check: GateCheck) -> dict:
    """The gate's answer (`GateCheckOutputSerializer`'s fields, which document it), written out with
    the same DRF fields for money and time: the gate answers every order logistics ships, and the
    serializer's machinery costs more than the rest of the answer. Pinned to the serializer's output
    by `tests/receivables/test_gate_api.py`."""
    return {
        "id": check.pk,
        "decision": check.decision,
        "reasons": [{"code": r["code"], "message": r["message"]} for r in check.reasons],
        "credit_limit": _MONEY.to_representation(check.credit_limit),
        "exposure": _MONEY.to_representation(check.exposure),
        "available": _MONEY.to_representation(check.available),
        "warning_level": check.warning_level,
        "checked_at": _MOMENT.to_representation(check.checked_at),
        "advance": None if check.advance is None else _MONEY.to_representation(check.advance),
        "group": None
        if check.customer_group_id is None
        else {
            "code": check.customer_group.code,
            "name": check.customer_group.name,
            "limit": _MONEY.to_representation(check.group_limit),
            "exposure": _MONEY.to_representation(check.group_exposure),
        },
    }


def _with_unknown_customer(data: serializers.Serializer) -> dict:
    """The input's field errors, with an unknown customer code among them: every wrong field is told
    at once. (A valid input is checked for its customer by the service, under the gate's lock.)"""
    errors = dict(data.errors)
    code = data.initial_data.get("customer") if hasattr(data.initial_data, "get") else None
    if isinstance(code, int | str) and not isinstance(code, bool):
        code = str(code).strip()  # as the serializer's CharField reads it
        if "customer" not in errors and not Customer.objects.filter(erp_code=code).exists():
            errors["customer"] = [_("Unknown customer.")]
    return errors


class GateCheckCreateApi(APIView):
    """HANDBOOK §9: check one order before goods leave; a release reserves the amount."""

    permission_classes = [Authority]
    authority_action = "gate.check"

    class InputSerializer(PreboundSerializer):
        customer = ReferenceField(max_length=40, help_text="The customer's ERP code.")
        order_ref = ReferenceField(max_length=64)
        amount = MoneyField(min_value=Decimal("0.01"))
        currency = serializers.CharField(max_length=3, default="CNY", validators=[_currency])
        prepaid = serializers.BooleanField(default=False)
        contract = ReferenceField(
            max_length=60,
            required=False,
            allow_blank=True,
            default="",
            help_text="Optional: the number of the sales contract the order is placed under "
            "(HANDBOOK §7). An unknown number is a 400; a contract not approved, or whose terms "
            "no longer match the grant, blocks with `contract_terms`.",
        )

    @extend_schema(
        operation_id="gate_check_create",
        request=InputSerializer,
        responses={200: GateCheckOutputSerializer},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        if not data.is_valid():
            raise serializers.ValidationError(_with_unknown_customer(data))
        try:
            check = services.gate_check_perform(
                customer_code=data.validated_data["customer"],
                order_ref=data.validated_data["order_ref"],
                amount=data.validated_data["amount"],
                currency=data.validated_data["currency"],
                prepaid=data.validated_data["prepaid"],
                contract_number=data.validated_data["contract"],
                acting_user=request.user,
                channel="api",
            )
        except IntegrityError as exc:
            # Another customer's check took this new order reference at the same moment (the
            # service's transaction is rolled back whole).
            raise ValidationFailed(
                field_errors={"order_ref": [_("This order reference belongs to another customer.")]}
            ) from exc
        return Response(gate_answer(check))


class GateCheckDetailApi(APIView):
    permission_classes = [Authority]
    authority_action = "gate.view"

    @extend_schema(operation_id="gate_check_retrieve", responses={200: GateCheckOutputSerializer})
    def get(self, request, pk: int):
        check = get_object_or_404(GateCheck.objects.select_related("customer_group"), pk=pk)
        return Response(gate_answer(check))


class GateCheckCancelApi(APIView):
    """The ERP cancelled the order: the reservation is freed."""

    permission_classes = [Authority]
    authority_action = "gate.check"

    @extend_schema(
        operation_id="gate_check_cancel", request=None, responses={200: GateCheckOutputSerializer}
    )
    def post(self, request, pk: int):
        check = get_object_or_404(GateCheck.objects.select_related("customer"), pk=pk)
        check = services.gate_check_cancel(check=check, acting_user=request.user)
        return Response(gate_answer(check))


class GateReleaseAskApi(APIView):
    """From a blocked check, logistics (or the ERP) and sales ask the credit team for a release
    (HANDBOOK §9); the requester is told the outcome."""

    permission_classes = [Authority]
    authority_action = "gate.release.ask"

    class ReleaseAskInputSerializer(serializers.Serializer):
        note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    @extend_schema(
        operation_id="gate_check_release_ask",
        request=ReleaseAskInputSerializer,
        responses={200: GateCheckOutputSerializer},
    )
    def post(self, request, pk: int):
        check = get_object_or_404(GateCheck.objects.select_related("customer"), pk=pk)
        data = self.ReleaseAskInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        check = services.gate_release_ask(
            check=check, note=data.validated_data["note"], acting_user=request.user
        )
        return Response(gate_answer(check))
