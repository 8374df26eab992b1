"""The warning ladder over the API: signals, joint evaluations, level changes, proposals, recall.

Choice fields carry names of their own (`signal_kind`, `evaluation_status` …) so the schema's enums
never collide with other apps' `kind`/`status` fields.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from creditdesk.api import Authority, Pagination, paginated, query_int
from creditdesk.authority import require
from creditdesk.inputs import (
    BusinessDateField,
    BusinessDateTimeField,
    MoneyField,
    ReferenceField,
    TextField,
)
from creditdesk.parsers import JSONParser
from customers.models import Customer
from customers.selectors import visible_customers

from . import selectors, services
from .models import (
    CollectionOwner,
    JointEvaluation,
    LevelChange,
    LevelProposal,
    RiskSignal,
    SignalKind,
)


def get_customer(user, pk: int, action: str = "riskwarnings.view") -> Customer:
    customer = get_object_or_404(Customer.objects.select_related("salesperson"), pk=pk)
    require(user, action, customer)
    return customer


class LevelField(serializers.IntegerField):
    """A warning level: 5 attention, 4 alert, 3 danger, 2 serious, 1 emergency (null: none)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 5)
        kwargs.setdefault(
            "help_text", "5 attention, 4 alert, 3 danger, 2 serious, 1 emergency; null: none"
        )
        super().__init__(**kwargs)


# --- output ----------------------------------------------------------------------------------


class LevelChangeOutputSerializer(serializers.Serializer):
    old_level = LevelField(allow_null=True)
    new_level = LevelField(allow_null=True)
    change_source = serializers.ChoiceField(choices=LevelChange.Source.choices, source="source")
    reason = serializers.CharField()
    changed_by = serializers.CharField(source="changed_by.username", allow_null=True, default=None)
    at = serializers.DateTimeField()


class WarningOutputSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    customer_name = serializers.CharField()
    level = LevelField(allow_null=True)
    collection_owner = serializers.ChoiceField(choices=CollectionOwner.choices, allow_null=True)
    credit_trade_suspended = serializers.BooleanField()
    reason = serializers.CharField()
    opened_at = serializers.DateTimeField(allow_null=True)
    changed_at = serializers.DateTimeField(allow_null=True)


class WarningDetailOutputSerializer(WarningOutputSerializer):
    history = LevelChangeOutputSerializer(many=True)


def warning_data(customer: Customer, warning=None, history=None) -> dict:
    level = warning.level if warning is not None else None
    data = {
        "customer_id": customer.pk,
        "customer_name": customer.name,
        "level": level,
        "collection_owner": warning.collection_owner if warning is not None else None,
        "credit_trade_suspended": bool(warning is not None and warning.suspends_trade),
        "reason": warning.reason if warning is not None and level is not None else "",
        "opened_at": warning.opened_at if warning is not None and level is not None else None,
        "changed_at": warning.changed_at if warning is not None else None,
    }
    if history is not None:
        data["history"] = history
    return data


class JointEvaluationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    evaluation_status = serializers.ChoiceField(
        choices=JointEvaluation.Status.choices, source="status"
    )
    due_at = serializers.DateTimeField()
    late = serializers.SerializerMethodField()
    credit_assessment = serializers.CharField()
    credit_level = LevelField(allow_null=True)
    credit_by = serializers.CharField(source="credit_by.username", allow_null=True, default=None)
    credit_at = serializers.DateTimeField(allow_null=True)
    legal_assessment = serializers.CharField()
    legal_level = LevelField(allow_null=True)
    legal_by = serializers.CharField(source="legal_by.username", allow_null=True, default=None)
    legal_at = serializers.DateTimeField(allow_null=True)
    evaluation_outcome = serializers.ChoiceField(
        choices=JointEvaluation.Outcome.choices, source="outcome", allow_blank=True
    )
    result_level = LevelField(allow_null=True)
    reason = serializers.CharField()
    concluded_at = serializers.DateTimeField(allow_null=True)

    def get_late(self, obj) -> bool:
        return obj.is_late()


class SignalOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer_id = serializers.IntegerField()
    signal_kind = serializers.ChoiceField(choices=SignalKind.choices, source="kind")
    other_kind = serializers.CharField()
    description = serializers.CharField()
    known_at = serializers.DateTimeField()
    reported_at = serializers.DateTimeField()
    reported_by = serializers.CharField(source="reported_by.username")
    report_due_at = serializers.DateTimeField()
    reported_late = serializers.BooleanField()
    evaluation_due_at = serializers.DateTimeField()
    attachments = serializers.SerializerMethodField()
    evaluation = JointEvaluationOutputSerializer()

    def get_attachments(self, obj) -> list[str]:
        from django.urls import reverse

        return [reverse("signal-file", args=[a.pk]) for a in obj.attachments.all()]


class ProposalOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer_id = serializers.IntegerField()
    customer_name = serializers.CharField(source="customer.name")
    direction = serializers.ChoiceField(choices=LevelProposal.Direction.choices)
    proposed_level = LevelField(allow_null=True)
    current_level = LevelField(allow_null=True)
    proposal_status = serializers.ChoiceField(choices=LevelProposal.Status.choices, source="status")
    endorsed_by = serializers.CharField(
        source="endorsed_by.username", allow_null=True, default=None
    )
    reason = serializers.CharField(source="rules.reason", default="")
    created_at = serializers.DateTimeField()


class RecallOrderOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_ref = serializers.CharField()
    customer_id = serializers.IntegerField()
    customer_name = serializers.CharField(source="customer.name")
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    order_status = serializers.CharField(source="status", help_text="released | shipped")
    released_at = serializers.DateTimeField(allow_null=True)


class ReferralSerializer(serializers.Serializer):
    firm = ReferenceField(max_length=200)
    referred_on = BusinessDateField()
    scope = TextField()
    fee = MoneyField(min_value=0)


class ReferralOutputSerializer(ReferralSerializer):
    id = serializers.IntegerField()
    level = LevelField()
    recorded_by = serializers.CharField(source="recorded_by.username")
    recorded_at = serializers.DateTimeField()


# --- warnings --------------------------------------------------------------------------------


class WarningListApi(APIView):
    """The warnings board: every current warning the user may see, gravest first."""

    permission_classes = [Authority]
    pagination_class = Pagination  # so the schema describes the paginated body
    authority_action = "riskwarnings.board"

    @extend_schema(
        operation_id="warnings_list",
        responses=WarningOutputSerializer(many=True),
        parameters=[
            OpenApiParameter("level", int, enum=[1, 2, 3, 4, 5]),
        ],
    )
    def get(self, request):
        qs = selectors.board(visible_customers(request.user))
        level = query_int(request, "level", minimum=1, maximum=5)
        if level is not None:
            qs = qs.filter(level=level)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        rows = [warning_data(w.customer, w) for w in page]
        return paginator.get_paginated_response(WarningOutputSerializer(rows, many=True).data)


class WarningDetailApi(APIView):
    permission_classes = [Authority]

    @extend_schema(
        operation_id="customer_warning_retrieve", responses=WarningDetailOutputSerializer
    )
    def get(self, request, pk: int):
        customer = get_customer(request.user, pk)
        data = warning_data(
            customer, selectors.warning_of(customer), list(selectors.history_of(customer))
        )
        return Response(WarningDetailOutputSerializer(data).data)


class WarningLevelChangeApi(APIView):
    """The credit team opens, raises, lowers or lifts (`level: null`) a warning, with a reason."""

    permission_classes = [Authority]
    authority_action = "riskwarnings.level.change"

    class WarningLevelChangeInputSerializer(serializers.Serializer):
        level = LevelField(allow_null=True)
        reason = TextField()
        referral = ReferralSerializer(
            required=False, allow_null=True, help_text="Required at level 2 and 1 unless on record."
        )

    @extend_schema(
        operation_id="customer_warning_level_change",
        request=WarningLevelChangeInputSerializer,
        responses=WarningDetailOutputSerializer,
    )
    def post(self, request, pk: int):
        customer = get_customer(request.user, pk, "riskwarnings.level.change")
        data = self.WarningLevelChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.warning_change_level(
            customer=customer,
            level=data.validated_data["level"],
            reason=data.validated_data["reason"],
            referral=data.validated_data.get("referral"),
            acting_user=request.user,
        )
        result = warning_data(
            customer, selectors.warning_of(customer), list(selectors.history_of(customer))
        )
        return Response(WarningDetailOutputSerializer(result).data)


class ReferralRecordApi(APIView):
    permission_classes = [Authority]
    authority_action = "riskwarnings.referral.record"

    @extend_schema(
        operation_id="customer_agency_referral_create",
        request=ReferralSerializer,
        responses={201: ReferralOutputSerializer},
    )
    def post(self, request, pk: int):
        customer = get_customer(request.user, pk, "riskwarnings.referral.record")
        data = ReferralSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.referral_record(
            customer=customer, acting_user=request.user, **data.validated_data
        )
        return Response(ReferralOutputSerializer(row).data, status=status.HTTP_201_CREATED)


# --- signals and joint evaluations -----------------------------------------------------------


class SignalInputSerializer(serializers.Serializer):
    signal_kind = serializers.ChoiceField(choices=SignalKind.choices)
    other_kind = ReferenceField(max_length=200, required=False, allow_blank=True)
    description = TextField()
    known_at = BusinessDateTimeField()
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class CustomerSignalsApi(APIView):
    permission_classes = [Authority]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        operation_id="customer_signals_list", responses=SignalOutputSerializer(many=True)
    )
    def get(self, request, pk: int):
        customer = get_customer(request.user, pk)
        return Response(SignalOutputSerializer(selectors.signals_of(customer), many=True).data)

    @extend_schema(
        operation_id="customer_signal_report",
        request={
            "multipart/form-data": SignalInputSerializer,
            "application/json": SignalInputSerializer,
        },
        responses={201: SignalOutputSerializer},
    )
    def post(self, request, pk: int):
        customer = get_customer(request.user, pk, "riskwarnings.signal.report")
        data = SignalInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        signal = services.signal_report(
            customer=customer,
            kind=data.validated_data["signal_kind"],
            other_kind=data.validated_data.get("other_kind", ""),
            description=data.validated_data["description"],
            known_at=data.validated_data["known_at"],
            attachments=data.validated_data["attachments"],
            acting_user=request.user,
        )
        signal = selectors.signals_of(customer).get(pk=signal.pk)
        return Response(SignalOutputSerializer(signal).data, status=status.HTTP_201_CREATED)


def get_signal(user, pk: int) -> RiskSignal:
    signal = get_object_or_404(
        RiskSignal.objects.select_related("customer", "reported_by", "evaluation"), pk=pk
    )
    require(user, "riskwarnings.view", signal.customer)
    return signal


class SignalDetailApi(APIView):
    permission_classes = [Authority]

    @extend_schema(operation_id="signal_retrieve", responses=SignalOutputSerializer)
    def get(self, request, pk: int):
        return Response(SignalOutputSerializer(get_signal(request.user, pk)).data)


def get_evaluation(user, pk: int) -> JointEvaluation:
    evaluation = get_object_or_404(JointEvaluation.objects.select_related("customer"), pk=pk)
    require(user, "riskwarnings.view", evaluation.customer)
    require(user, "riskwarnings.evaluation.record", evaluation)
    return evaluation


class EvaluationAssessApi(APIView):
    """The credit team's or legal's assessment (the side follows the caller's role)."""

    permission_classes = [Authority]
    authority_action = "riskwarnings.evaluation.record"

    class EvaluationAssessInputSerializer(serializers.Serializer):
        assessment = TextField()
        recommended_level = LevelField(allow_null=True)

    @extend_schema(
        operation_id="evaluation_assess",
        request=EvaluationAssessInputSerializer,
        responses=JointEvaluationOutputSerializer,
    )
    def post(self, request, pk: int):
        evaluation = get_evaluation(request.user, pk)
        data = self.EvaluationAssessInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evaluation = services.evaluation_assess(
            evaluation=evaluation, acting_user=request.user, **data.validated_data
        )
        return Response(JointEvaluationOutputSerializer(evaluation).data)


class EvaluationConcludeApi(APIView):
    """Both sides assessed: the result opens, raises, lowers or lifts (`level: null`) the warning."""

    permission_classes = [Authority]
    authority_action = "riskwarnings.evaluation.record"

    class EvaluationConcludeInputSerializer(serializers.Serializer):
        level = LevelField(allow_null=True)
        reason = TextField()
        referral = ReferralSerializer(required=False, allow_null=True)

    @extend_schema(
        operation_id="evaluation_conclude",
        request=EvaluationConcludeInputSerializer,
        responses=JointEvaluationOutputSerializer,
    )
    def post(self, request, pk: int):
        evaluation = get_evaluation(request.user, pk)
        data = self.EvaluationConcludeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evaluation = services.evaluation_conclude(
            evaluation=evaluation,
            level=data.validated_data["level"],
            reason=data.validated_data["reason"],
            referral=data.validated_data.get("referral"),
            acting_user=request.user,
        )
        return Response(JointEvaluationOutputSerializer(evaluation).data)


# --- proposals -------------------------------------------------------------------------------


class ProposalListApi(APIView):
    permission_classes = [Authority]
    pagination_class = Pagination  # so the schema describes the paginated body
    authority_action = "riskwarnings.proposal.decide"

    @extend_schema(
        operation_id="warning_proposals_list", responses=ProposalOutputSerializer(many=True)
    )
    def get(self, request):
        return paginated(self, request, selectors.pending_proposals(), ProposalOutputSerializer)


class ProposalDecideApi(APIView):
    permission_classes = [Authority]
    authority_action = "riskwarnings.proposal.decide"

    class ProposalDecisionInputSerializer(serializers.Serializer):
        confirm = serializers.BooleanField()
        reason = TextField(required=False, allow_blank=True, default="")

    @extend_schema(
        operation_id="warning_proposal_decide",
        request=ProposalDecisionInputSerializer,
        responses=ProposalOutputSerializer,
    )
    def post(self, request, pk: int):
        proposal = get_object_or_404(LevelProposal.objects.select_related("customer"), pk=pk)
        data = self.ProposalDecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = services.proposal_decide(
            proposal=proposal, acting_user=request.user, **data.validated_data
        )
        return Response(ProposalOutputSerializer(proposal).data)


# --- recall ----------------------------------------------------------------------------------


class RecallListApi(APIView):
    permission_classes = [Authority]
    pagination_class = Pagination  # so the schema describes the paginated body
    authority_action = "riskwarnings.recall.view"

    @extend_schema(operation_id="recalls_list", responses=RecallOrderOutputSerializer(many=True))
    def get(self, request):
        return paginated(self, request, selectors.recall_orders(), RecallOrderOutputSerializer)


class RecallMarkApi(APIView):
    """Logistics marks a shipment on the recall list recalled or delivered."""

    permission_classes = [Authority]
    authority_action = "riskwarnings.recall.mark"

    class RecallMarkInputSerializer(serializers.Serializer):
        recall_result = serializers.ChoiceField(
            choices=[("recalled", "recalled"), ("delivered", "delivered")]
        )

    @extend_schema(
        operation_id="recall_mark",
        request=RecallMarkInputSerializer,
        responses=RecallOrderOutputSerializer,
    )
    def post(self, request, pk: int):
        from receivables.models import SalesOrder

        order = get_object_or_404(SalesOrder.objects.select_related("customer"), pk=pk)
        data = self.RecallMarkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.recall_mark(
            order=order, status=data.validated_data["recall_result"], acting_user=request.user
        )
        return Response(RecallOrderOutputSerializer(order).data)
