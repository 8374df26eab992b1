"""Credit over the API: one view per operation, the same services and authority as the pages."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from creditdesk.api import Authority, Pagination, paginated
from creditdesk.authority import require
from creditdesk.inputs import (
    BusinessDateField,
    DaysField,
    MoneyField,
    ReferenceField,
    TextField,
)
from creditdesk.models import SCORECARD_ASPECTS
from customers.api import get_customer

from . import selectors, services
from .models import Adjustment, CreditApplication, CreditLine, Evaluation, Security
from .pdf import evaluation_report_pdf, grant_notice_pdf


class ApplicationOutputSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=CreditApplication.Status.choices)
    decision = serializers.ChoiceField(choices=CreditApplication.Decision.choices, allow_blank=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    kind = serializers.CharField(read_only=True, help_text="first | renewal")

    class Meta:
        model = CreditApplication
        fields = [
            "id",
            "customer",
            "customer_name",
            "kind",
            "status",
            "requested_limit",
            "requested_term_days",
            "reason",
            "expected_monthly_sales",
            "submitted_at",
            "formal_review_due_on",
            "substantive_review_due_on",
            "feedback",
            "evaluation",
            "decision",
            "decided_limit",
            "decided_term_days",
            "security_reasons",
            "required_authority",
            "approved_at",
            "created_at",
        ]


class CommentInputSerializer(serializers.Serializer):
    comment = TextField(required=False, allow_blank=True, default="")


def get_application(user, pk: int, action: str | None = None) -> CreditApplication:
    application = get_object_or_404(CreditApplication.objects.select_related("customer"), pk=pk)
    require(user, "credit.view", application)
    if action:
        require(user, action, application)
    return application


class ApplicationListApi(APIView):
    permission_classes = [Authority]
    pagination_class = Pagination  # so the schema describes the paginated body
    authority_action = "credit.list"

    class ApplicationCreateInputSerializer(serializers.Serializer):
        customer = serializers.IntegerField()
        requested_limit = MoneyField()
        requested_term_days = DaysField()
        reason = TextField()
        expected_monthly_sales = MoneyField()

    @extend_schema(responses=ApplicationOutputSerializer(many=True))
    def get(self, request):
        qs = selectors.visible_applications(request.user).order_by("-created_at", "-id")
        return paginated(self, request, qs, ApplicationOutputSerializer)

    @extend_schema(
        request=ApplicationCreateInputSerializer, responses={201: ApplicationOutputSerializer}
    )
    def post(self, request):
        serializer = self.ApplicationCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        customer = get_customer(request.user, data.pop("customer"))
        application = services.application_create(
            customer=customer, acting_user=request.user, **data
        )
        return Response(
            ApplicationOutputSerializer(application).data, status=status.HTTP_201_CREATED
        )


class ApplicationDetailApi(APIView):
    permission_classes = [Authority]
    authority_action = "credit.list"

    @extend_schema(responses=ApplicationOutputSerializer)
    def get(self, request, pk: int):
        return Response(ApplicationOutputSerializer(get_application(request.user, pk)).data)


def _step_api(name: str, rule: str, run, input_serializer=CommentInputSerializer):
    class StepApi(APIView):
        permission_classes = [Authority]
        authority_action = "credit.list"

        @extend_schema(
            request=input_serializer,
            responses=ApplicationOutputSerializer,
            operation_id=f"credit_application_{name.lower()}",
        )
        def post(self, request, pk: int):
            application = get_application(request.user, pk, rule)
            serializer = input_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            application = run(application, request.user, serializer.validated_data)
            return Response(ApplicationOutputSerializer(application).data)

    StepApi.__name__ = StepApi.__qualname__ = f"Application{name}Api"
    return StepApi


class DecisionInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=CreditApplication.Decision.choices)
    limit = MoneyField(required=False, allow_null=True)
    term_days = DaysField(required=False, allow_null=True)
    comment = TextField(required=False, allow_blank=True, default="")
    special_approval = serializers.BooleanField(required=False, default=False)


class FormalReviewInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[("pass", "pass"), ("return", "return"), ("fail", "fail")]
    )
    comment = TextField(required=False, allow_blank=True, default="")


ApplicationSubmitApi = _step_api(
    "Submit",
    "credit.application.submit",
    lambda a, u, d: services.application_submit(application=a, acting_user=u),
)
ApplicationDirectorApproveApi = _step_api(
    "DirectorApprove",
    "credit.application.director",
    lambda a, u, d: services.application_director_decide(
        application=a, approve=True, acting_user=u, comment=d["comment"]
    ),
)
ApplicationDirectorRejectApi = _step_api(
    "DirectorReject",
    "credit.application.director",
    lambda a, u, d: services.application_director_decide(
        application=a, approve=False, acting_user=u, comment=d["comment"]
    ),
)
ApplicationFormalReviewApi = _step_api(
    "FormalReview",
    "credit.application.review",
    lambda a, u, d: services.application_formal_review(
        application=a, outcome=d["outcome"], acting_user=u, comment=d["comment"]
    ),
    FormalReviewInputSerializer,
)
ApplicationResubmitApi = _step_api(
    "Resubmit",
    "credit.application.submit",
    lambda a, u, d: services.application_resubmit(
        application=a, acting_user=u, comment=d["comment"]
    ),
)
ApplicationDecideApi = _step_api(
    "Decide",
    "credit.application.review",
    lambda a, u, d: services.application_decide(
        application=a,
        acting_user=u,
        decision=d["decision"],
        limit=d.get("limit"),
        term_days=d.get("term_days"),
        comment=d["comment"],
        special_approval=d.get("special_approval", False),
    ),
    DecisionInputSerializer,
)
ApplicationApproveApi = _step_api(
    "Approve",
    "credit.application.approve",
    lambda a, u, d: services.application_approve(
        application=a, acting_user=u, comment=d["comment"]
    ),
)
ApplicationSendBackApi = _step_api(
    "SendBack",
    "credit.application.approve",
    lambda a, u, d: services.application_send_back(
        application=a, acting_user=u, comment=d["comment"]
    ),
)


class ApplicationNoticeApi(APIView):
    permission_classes = [Authority]
    authority_action = "credit.list"

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        application = get_application(request.user, pk)
        if application.status not in ("granted", "refused"):
            from creditdesk.errors import NotFound

            raise NotFound()
        return HttpResponse(grant_notice_pdf(application), content_type="application/pdf")


class FactorSerializer(serializers.Serializer):
    aspect = serializers.CharField()
    label = serializers.CharField()
    weight = serializers.IntegerField()
    input = serializers.CharField()
    rating = serializers.CharField()
    points = serializers.CharField()
    explanation = serializers.CharField()
    source = serializers.CharField()


class EvaluationOutputSerializer(serializers.ModelSerializer):
    trigger = serializers.ChoiceField(choices=Evaluation.Trigger.choices)
    status = serializers.ChoiceField(choices=Evaluation.Status.choices)
    factors = FactorSerializer(many=True)
    rating = serializers.CharField()
    investigation_reasons = serializers.ListField(child=serializers.CharField())
    failed_conditions = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "customer",
            "trigger",
            "status",
            "result",
            "policy",
            "due_on",
            "total_score",
            "credit_level",
            "asset_class",
            "rating",
            "factors",
            "investigation_reasons",
            "failed_conditions",
            "suggested_limit",
            "suggested_term_days",
            "verification_notes",
            "professional_report",
            "professional_report_dated_on",
            "opened_for",
            "payment_record",
            "opened_at",
            "completed_at",
        ]


def get_evaluation(user, pk: int, action: str | None = None) -> Evaluation:
    evaluation = get_object_or_404(Evaluation.objects.select_related("customer", "policy"), pk=pk)
    require(user, "credit.view", evaluation)
    if action:
        require(user, action, evaluation)
    return evaluation


class EvaluationListApi(APIView):
    permission_classes = [Authority]
    pagination_class = Pagination  # so the schema describes the paginated body
    authority_action = "credit.list"

    class EvaluationOpenInputSerializer(serializers.Serializer):
        customer = serializers.IntegerField()
        trigger = serializers.ChoiceField(choices=Evaluation.Trigger.choices)

    @extend_schema(responses=EvaluationOutputSerializer(many=True))
    def get(self, request):
        qs = selectors.visible_evaluations(request.user).order_by("-opened_at", "-id")
        return paginated(self, request, qs, EvaluationOutputSerializer)

    @extend_schema(
        request=EvaluationOpenInputSerializer, responses={201: EvaluationOutputSerializer}
    )
    def post(self, request):
        require(request.user, "credit.evaluation.edit")
        serializer = self.EvaluationOpenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = get_customer(request.user, serializer.validated_data["customer"])
        evaluation = services.evaluation_open(
            customer=customer,
            trigger=serializer.validated_data["trigger"],
            acting_user=request.user,
        )
        return Response(EvaluationOutputSerializer(evaluation).data, status=status.HTTP_201_CREATED)


class AspectInputSerializer(serializers.Serializer):
    rating = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, allow_null=True
    )
    note = TextField(required=False, allow_blank=True, default="")


class EvaluationDetailApi(APIView):
    permission_classes = [Authority]
    authority_action = "credit.list"

    class EvaluationScoreInputSerializer(serializers.Serializer):
        inputs = serializers.DictField(child=AspectInputSerializer())
        verification_notes = TextField(required=False, allow_blank=True)
        professional_report = TextField(required=False, allow_blank=True)
        premises_match_registration = serializers.BooleanField(required=False)
        passed_registry_inspection = serializers.BooleanField(required=False)
        penalty_in_three_years = serializers.BooleanField(required=False)
        major_project = serializers.BooleanField(required=False)
        assets_moving = serializers.BooleanField(required=False)
        major_dispute = serializers.BooleanField(required=False)
        information_dated_on = BusinessDateField(required=False, allow_null=True)
        recommendation = TextField(required=False, allow_blank=True)

    @extend_schema(responses=EvaluationOutputSerializer)
    def get(self, request, pk: int):
        return Response(EvaluationOutputSerializer(get_evaluation(request.user, pk)).data)

    @extend_schema(
        request=EvaluationScoreInputSerializer,
        responses=EvaluationOutputSerializer,
        description="Score the ten aspects: " + ", ".join(k for k, _l in SCORECARD_ASPECTS),
    )
    def put(self, request, pk: int):
        evaluation = get_evaluation(request.user, pk, "credit.evaluation.edit")
        serializer = self.EvaluationScoreInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        inputs = {k: dict(v) for k, v in data.pop("inputs").items()}
        evaluation = services.evaluation_score(
            evaluation=evaluation, inputs=inputs, acting_user=request.user, **data
        )
        return Response(EvaluationOutputSerializer(evaluation).data)


class EvaluationCompleteApi(APIView):
    permission_classes = [Authority]
    authority_action = "credit.list"

    class EvaluationCompleteInputSerializer(serializers.Serializer):
        result = serializers.ChoiceField(choices=Evaluation.Result.choices)
        comment = TextField(required=False, allow_blank=True, default="")

    @extend_schema(request=EvaluationCompleteInputSerializer, responses=EvaluationOutputSerializer)
    def post(self, request, pk: int):
        evaluation = get_evaluation(request.user, pk, "credit.evaluation.edit")
        serializer = self.EvaluationCompleteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        evaluation = services.evaluation_complete(
            evaluation=evaluation, acting_user=request.user, **serializer.validated_data
        )
        return Response(EvaluationOutputSerializer(evaluation).data)


class EvaluationReportApi(APIView):
    permission_classes = [Authority]
    authority_action = "credit.list"

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        evaluation = get_evaluation(request.user, pk)
        return HttpResponse(evaluation_report_pdf(evaluation), content_type="application/pdf")


class LineOutputSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=CreditLine.Status.choices)
    rating = serializers.CharField()
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    policy_version = serializers.CharField(source="policy.version", default=None, read_only=True)

    class Meta:
        model = CreditLine
        fields = [
            "id",
            "customer",
            "customer_name",
            "status",
            "limit",
            "term_days",
            "credit_level",
            "asset_class",
            "rating",
            "next_review_on",
            "policy_version",
            "application",
            "requires_security",
            "granted_at",
            "updated_at",
        ]


class LineListApi(APIView):
    permission_classes = [Authority]
    pagination_class = Pagination  # so the schema describes the paginated body
    authority_action = "credit.list"

    @extend_schema(responses=LineOutputSerializer(many=True))
    def get(self, request):
        qs = selectors.visible_lines(request.user).order_by("customer__name", "customer_id")
        return paginated(self, request, qs, LineOutputSerializer)


class LineDetailApi(APIView):
    permission_classes = [Authority]
    authority_action = "credit.list"

    @extend_schema(
        responses={
            200: LineOutputSerializer,
            404: OpenApiResponse(description="cash only, no line"),
        }
    )
    def get(self, request, customer_pk: int):
        customer = get_customer(request.user, customer_pk)
        line = selectors.credit_line_of(customer.pk)
        if line is None:
            from creditdesk.errors import NotFound

            raise NotFound()
        return Response(LineOutputSerializer(line).data)


class AdjustmentOutputSerializer(serializers.ModelSerializer):
    # "change" rather than "kind": another app's API already names its enum after "kind".
    change = serializers.ChoiceField(source="kind", choices=Adjustment.Kind.choices)
    status = serializers.ChoiceField(choices=Adjustment.Status.choices)

    class Meta:
        model = Adjustment
        fields = [
            "id",
            "customer",
            "change",
            "reason",
            "comment",
            "status",
            "new_limit",
            "new_term_days",
            "special_approval",
            "evaluation",
            "required_authority",
            "requested_at",
            "decided_at",
        ]


def get_adjustment(user, pk: int, action: str | None = None) -> Adjustment:
    adjustment = get_object_or_404(Adjustment.objects.select_related("customer"), pk=pk)
    require(user, "credit.view", adjustment)
    if action:
        require(user, action, adjustment)
    return adjustment


class AdjustmentListApi(APIView):
    permission_classes = [Authority]
    pagination_class = Pagination  # so the schema describes the paginated body
    authority_action = "credit.list"

    class AdjustmentRequestInputSerializer(serializers.Serializer):
        customer = serializers.IntegerField()
        change = serializers.ChoiceField(choices=Adjustment.Kind.choices)
        reason = TextField()
        comment = TextField(required=False, allow_blank=True, default="")
        new_limit = MoneyField(required=False, allow_null=True)
        new_term_days = DaysField(required=False, allow_null=True)

    @extend_schema(responses=AdjustmentOutputSerializer(many=True))
    def get(self, request):
        qs = selectors.visible_adjustments(request.user).order_by("-requested_at", "-id")
        return paginated(self, request, qs, AdjustmentOutputSerializer)

    @extend_schema(
        request=AdjustmentRequestInputSerializer, responses={201: AdjustmentOutputSerializer}
    )
    def post(self, request):
        serializer = self.AdjustmentRequestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        customer = get_customer(request.user, data.pop("customer"))
        data["kind"] = data.pop("change")
        adjustment = services.adjustment_request(
            customer=customer, acting_user=request.user, **data
        )
        return Response(AdjustmentOutputSerializer(adjustment).data, status=status.HTTP_201_CREATED)


class AdjustmentStepApi(APIView):
    permission_classes = [Authority]
    authority_action = "credit.list"

    class AdjustmentStepInputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(
            choices=[
                (a, a)
                for a in ("director_approve", "director_reject", "propose", "approve", "reject")
            ]
        )
        comment = TextField(required=False, allow_blank=True, default="")
        new_limit = MoneyField(required=False, allow_null=True)
        new_term_days = DaysField(required=False, allow_null=True)
        evaluation = serializers.IntegerField(required=False, allow_null=True)
        special_approval = serializers.BooleanField(required=False, default=False)

    @extend_schema(request=AdjustmentStepInputSerializer, responses=AdjustmentOutputSerializer)
    def post(self, request, pk: int):
        adjustment = get_adjustment(request.user, pk)
        serializer = self.AdjustmentStepInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        action, user, comment = d["action"], request.user, d["comment"]
        if action.startswith("director_"):
            adjustment = services.adjustment_director_decide(
                adjustment=adjustment,
                approve=action == "director_approve",
                acting_user=user,
                comment=comment,
            )
        elif action == "propose":
            evaluation = None
            if d.get("evaluation"):
                evaluation = get_object_or_404(
                    Evaluation, pk=d["evaluation"], customer=adjustment.customer
                )
            adjustment = services.adjustment_propose(
                adjustment=adjustment,
                acting_user=user,
                new_limit=d.get("new_limit"),
                new_term_days=d.get("new_term_days"),
                evaluation=evaluation,
                special_approval=d["special_approval"],
                comment=comment,
            )
        elif action == "approve":
            adjustment = services.adjustment_approve(
                adjustment=adjustment, acting_user=user, comment=comment
            )
        else:
            adjustment = services.adjustment_reject(
                adjustment=adjustment, acting_user=user, comment=comment
            )
        return Response(AdjustmentOutputSerializer(adjustment).data)


class LineChangeOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    at = serializers.DateTimeField()
    by = serializers.CharField(source="by.username", default=None)
    old_status = serializers.CharField()
    new_status = serializers.CharField()
    old_limit = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    new_limit = serializers.DecimalField(max_digits=18, decimal_places=2)
    old_term_days = serializers.IntegerField(allow_null=True)
    new_term_days = serializers.IntegerField()
    reason = serializers.CharField()


class LineHistoryApi(APIView):
    permission_classes = [Authority]
    pagination_class = Pagination  # so the schema describes the paginated body
    authority_action = "credit.list"

    @extend_schema(responses=LineChangeOutputSerializer(many=True))
    def get(self, request, customer_pk: int):
        customer = get_customer(request.user, customer_pk)
        return paginated(
            self, request, selectors.line_history(customer.pk), LineChangeOutputSerializer
        )


class SecurityOutputSerializer(serializers.ModelSerializer):
    security_kind = serializers.ChoiceField(source="kind", choices=Security.Kind.choices)

    class Meta:
        model = Security
        fields = [
            "id",
            "customer",
            "application",
            "security_kind",
            "asset",
            "value",
            "registration_number",
            "registered_on",
            "guarantor",
            "joint_and_several",
            "period_until",
            "recorded_at",
            "verified_at",
        ]


class SecurityCreateApi(APIView):
    permission_classes = [Authority]
    authority_action = "credit.list"

    class SecurityRecordInputSerializer(serializers.Serializer):
        customer = serializers.IntegerField()
        application = serializers.IntegerField(required=False, allow_null=True)
        security_kind = serializers.ChoiceField(choices=Security.Kind.choices)
        asset = TextField(required=False, allow_blank=True, default="")
        value = MoneyField(required=False, allow_null=True)
        registration_number = ReferenceField(required=False, allow_blank=True, default="")
        registered_on = BusinessDateField(required=False, allow_null=True)
        guarantor = ReferenceField(required=False, allow_blank=True, default="")
        joint_and_several = serializers.BooleanField(required=False, default=False)
        period_until = BusinessDateField(required=False, allow_null=True)

    @extend_schema(request=SecurityRecordInputSerializer, responses={201: SecurityOutputSerializer})
    def post(self, request):
        serializer = self.SecurityRecordInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        customer = get_customer(request.user, data.pop("customer"))
        application_id = data.pop("application", None)
        application = (
            get_object_or_404(CreditApplication, pk=application_id, customer=customer)
            if application_id
            else None
        )
        data["kind"] = data.pop("security_kind")
        security = services.security_record(
            customer=customer, application=application, acting_user=request.user, **data
        )
        return Response(SecurityOutputSerializer(security).data, status=status.HTTP_201_CREATED)


class SecurityVerifyApi(APIView):
    permission_classes = [Authority]
    authority_action = "credit.list"

    @extend_schema(request=None, responses=SecurityOutputSerializer)
    def post(self, request, pk: int):
        security = get_object_or_404(Security.objects.select_related("customer"), pk=pk)
        require(request.user, "credit.view", security)
        security = services.security_verify(security=security, acting_user=request.user)
        return Response(SecurityOutputSerializer(security).data)
