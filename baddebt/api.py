"""Bad-debt cases over the API: every step of HANDBOOK §11, with the same authority as the pages.

Enum fields carry app-specific names (`case_status`, `attachment_kind`, `entry_kind`) so the
OpenAPI schema gets one named enum each without colliding with other apps' `status`/`kind`.
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from creditdesk.api import Authority, Pagination, query_choice, query_date, query_int
from creditdesk.authority import require
from creditdesk.inputs import (
    BusinessDateField,
    MoneyField,
    ReferenceField,
    TextField,
)
from customers.models import Customer

from . import selectors, services
from .models import (
    BadDebtCase,
    BadDebtEntry,
    CaseAttachment,
    Condition,
    DebtorSituation,
    LegalOpinion,
)
from .pdf import application_pdf

TAGS = ["bad debt"]


def get_case(user, pk: int, action: str = "baddebt.case.view") -> BadDebtCase:
    case = get_object_or_404(selectors.case_queryset(), pk=pk)
    require(user, action, case)
    return case


class BadDebtCaseInvoiceOutputSerializer(serializers.Serializer):
    invoice_id = serializers.IntegerField()
    number = serializers.CharField(source="invoice.number")
    issue_date = serializers.DateField(source="invoice.issue_date")
    due_date = serializers.DateField(source="invoice.due_date")
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)


class BadDebtAttachmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    attachment_kind = serializers.ChoiceField(source="kind", choices=CaseAttachment.Kind.choices)
    title = serializers.CharField()
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    uploaded_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, obj) -> str:
        return reverse("baddebt-attachment-file", args=[obj.pk])


class BadDebtEntryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    invoice_id = serializers.IntegerField()
    invoice_number = serializers.CharField(source="invoice.number")
    entry_kind = serializers.ChoiceField(source="kind", choices=BadDebtEntry.Kind.choices)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    booked_on = serializers.DateField()
    booked_by = serializers.CharField(source="booked_by.username")
    reference = serializers.CharField()


class BadDebtProblemOutputSerializer(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()


class BadDebtTotalsOutputSerializer(serializers.Serializer):
    claimed = serializers.DecimalField(max_digits=18, decimal_places=2)
    provision = serializers.DecimalField(max_digits=18, decimal_places=2)
    write_off = serializers.DecimalField(max_digits=18, decimal_places=2)
    recovery = serializers.DecimalField(max_digits=18, decimal_places=2)


class BadDebtCaseSummaryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    customer_id = serializers.IntegerField()
    customer_name = serializers.CharField(source="customer.name")
    condition = serializers.ChoiceField(choices=Condition.choices)
    case_status = serializers.ChoiceField(source="status", choices=BadDebtCase.Status.choices)
    opened_by = serializers.CharField(source="opened_by.username")
    opened_at = serializers.DateTimeField()
    written_off_on = serializers.DateField(allow_null=True)
    detail_url = serializers.SerializerMethodField()

    def get_detail_url(self, obj) -> str:
        return reverse("api-baddebt-case-detail", args=[obj.pk])


class BadDebtCaseOutputSerializer(BadDebtCaseSummaryOutputSerializer):
    description = serializers.CharField()
    debtor_situation = serializers.ChoiceField(choices=DebtorSituation.choices, allow_blank=True)
    agency_name = serializers.CharField()
    agency_started_on = serializers.DateField(allow_null=True)
    enforcement_reference = serializers.CharField()
    enforcement_started_on = serializers.DateField(allow_null=True)
    enforcement_ended_on = serializers.DateField(allow_null=True)
    submitted_by = serializers.CharField(source="submitted_by.username", allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    policy_version = serializers.CharField(source="policy.version", allow_null=True)
    legal_opinion = serializers.ChoiceField(choices=LegalOpinion.choices, allow_blank=True)
    legal_causes = serializers.CharField()
    legal_comment = serializers.CharField()
    legal_reviewer = serializers.CharField(source="legal_reviewer.username", allow_null=True)
    legal_reviewed_at = serializers.DateTimeField(allow_null=True)
    finance_confirmer = serializers.CharField(source="finance_confirmer.username", allow_null=True)
    finance_confirmed_at = serializers.DateTimeField(allow_null=True)
    finance_comment = serializers.CharField()
    archived_at = serializers.DateTimeField(allow_null=True)
    restarted_at = serializers.DateTimeField(allow_null=True)
    restart_reason = serializers.CharField()
    cause_analysis = serializers.CharField()
    accountability_proposal = serializers.CharField()
    invoices = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    entries = serializers.SerializerMethodField()
    totals = serializers.SerializerMethodField()
    problems = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    @extend_schema_field(BadDebtCaseInvoiceOutputSerializer(many=True))
    def get_invoices(self, obj):
        return BadDebtCaseInvoiceOutputSerializer(selectors.case_invoices(obj), many=True).data

    @extend_schema_field(BadDebtAttachmentOutputSerializer(many=True))
    def get_attachments(self, obj):
        return BadDebtAttachmentOutputSerializer(
            obj.attachments.select_related("uploaded_by"), many=True
        ).data

    @extend_schema_field(BadDebtEntryOutputSerializer(many=True))
    def get_entries(self, obj):
        return BadDebtEntryOutputSerializer(selectors.case_entries(obj), many=True).data

    @extend_schema_field(BadDebtTotalsOutputSerializer)
    def get_totals(self, obj):
        return BadDebtTotalsOutputSerializer(selectors.case_totals(obj)).data

    @extend_schema_field(BadDebtProblemOutputSerializer(many=True))
    def get_problems(self, obj):
        if obj.status not in BadDebtCase.EDITABLE:
            return []
        return BadDebtProblemOutputSerializer(services.preconditions(obj), many=True).data

    def get_pdf_url(self, obj) -> str:
        return reverse("api-baddebt-case-pdf", args=[obj.pk])


class BadDebtCaseFactsInputSerializer(serializers.Serializer):
    description = TextField(required=False, allow_blank=True)
    debtor_situation = serializers.ChoiceField(
        choices=DebtorSituation.choices, required=False, allow_blank=True
    )
    agency_name = ReferenceField(max_length=200, required=False, allow_blank=True)
    agency_started_on = BusinessDateField(required=False, allow_null=True)
    enforcement_reference = ReferenceField(max_length=200, required=False, allow_blank=True)
    enforcement_started_on = BusinessDateField(required=False, allow_null=True)
    enforcement_ended_on = BusinessDateField(required=False, allow_null=True)


class BadDebtCaseOpenInputSerializer(BadDebtCaseFactsInputSerializer):
    customer_id = serializers.IntegerField()
    condition = serializers.ChoiceField(choices=Condition.choices)
    invoice_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)


class BadDebtCaseUpdateInputSerializer(BadDebtCaseFactsInputSerializer):
    condition = serializers.ChoiceField(choices=Condition.choices, required=False)
    invoice_ids = serializers.ListField(
        child=serializers.IntegerField(), allow_empty=False, required=False
    )


class CaseListApi(APIView):
    permission_classes = [Authority]
    pagination_class = Pagination  # so the schema describes the paginated body
    authority_action = "baddebt.case.list"

    @extend_schema(
        tags=TAGS,
        responses=BadDebtCaseSummaryOutputSerializer(many=True),
        parameters=[
            OpenApiParameter(
                "case_status", str, enum=BadDebtCase.Status.values, description="filter by status"
            ),
            OpenApiParameter(
                "customer_id", {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
            ),
        ],
    )
    def get(self, request):
        qs = selectors.case_list(
            request.user,
            status=query_choice(request, "case_status", BadDebtCase.Status.values) or "",
            customer_id=query_int(request, "customer_id", minimum=1, maximum=2**63 - 1),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(
            BadDebtCaseSummaryOutputSerializer(page, many=True).data
        )

    @extend_schema(
        tags=TAGS,
        request=BadDebtCaseOpenInputSerializer,
        responses={201: BadDebtCaseOutputSerializer},
    )
    def post(self, request):
        require(request.user, "baddebt.case.open")
        serializer = BadDebtCaseOpenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        customer = get_object_or_404(Customer, pk=data.pop("customer_id"))
        case = services.case_open(acting_user=request.user, customer=customer, **data)
        return Response(
            BadDebtCaseOutputSerializer(get_case(request.user, case.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class CaseDetailApi(APIView):
    permission_classes = [Authority]

    @extend_schema(tags=TAGS, responses=BadDebtCaseOutputSerializer)
    def get(self, request, pk: int):
        return Response(BadDebtCaseOutputSerializer(get_case(request.user, pk)).data)

    @extend_schema(
        tags=TAGS, request=BadDebtCaseUpdateInputSerializer, responses=BadDebtCaseOutputSerializer
    )
    def patch(self, request, pk: int):
        case = get_case(request.user, pk, "baddebt.case.edit")
        serializer = BadDebtCaseUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.case_update(acting_user=request.user, case=case, **serializer.validated_data)
        return Response(BadDebtCaseOutputSerializer(get_case(request.user, pk)).data)


class BadDebtAttachmentInputSerializer(serializers.Serializer):
    attachment_kind = serializers.ChoiceField(choices=CaseAttachment.Kind.choices)
    title = ReferenceField(max_length=200, required=False, allow_blank=True)
    file = serializers.FileField()


class CaseAttachmentAddApi(APIView):
    permission_classes = [Authority]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=TAGS,
        request=BadDebtAttachmentInputSerializer,
        responses={201: BadDebtAttachmentOutputSerializer},
    )
    def post(self, request, pk: int):
        case = get_case(request.user, pk, "baddebt.case.edit")
        serializer = BadDebtAttachmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        attachment = services.attachment_add(
            acting_user=request.user,
            case=case,
            kind=data["attachment_kind"],
            file=data["file"],
            title=data.get("title", ""),
        )
        return Response(
            BadDebtAttachmentOutputSerializer(attachment).data, status=status.HTTP_201_CREATED
        )


class _CaseStepApi(APIView):
    """POST one step of the workflow: check, validate the input, call the service."""

    permission_classes = [Authority]
    action = "baddebt.case.view"
    input_serializer: type[serializers.Serializer] | None = None

    def perform(self, request, case, data) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def post(self, request, pk: int):
        case = get_case(request.user, pk, self.action)
        data = {}
        if self.input_serializer is not None:
            serializer = self.input_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
        self.perform(request, case, data)
        return Response(BadDebtCaseOutputSerializer(get_case(request.user, pk)).data)


class CaseSubmitApi(_CaseStepApi):
    action = "baddebt.case.edit"

    @extend_schema(tags=TAGS, request=None, responses=BadDebtCaseOutputSerializer)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, request, case, data):
        services.case_submit(acting_user=request.user, case=case)


class BadDebtReviewInputSerializer(serializers.Serializer):
    legal_opinion = serializers.ChoiceField(choices=LegalOpinion.choices)
    causes = TextField()
    comment = TextField(required=False, allow_blank=True, default="")


class CaseReviewApi(_CaseStepApi):
    action = "baddebt.case.review"
    input_serializer = BadDebtReviewInputSerializer

    @extend_schema(
        tags=TAGS, request=BadDebtReviewInputSerializer, responses=BadDebtCaseOutputSerializer
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, request, case, data):
        services.case_review(
            acting_user=request.user,
            case=case,
            opinion=data["legal_opinion"],
            causes=data["causes"],
            comment=data["comment"],
        )


class BadDebtCommentInputSerializer(serializers.Serializer):
    comment = TextField(required=False, allow_blank=True, default="")


class BadDebtConfirmInputSerializer(BadDebtCommentInputSerializer):
    recent_grant_seen = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: the write-off is confirmed although the customer's credit was granted or "
        "raised within 180 days (otherwise 400 with the grant named under this field)",
    )


class CaseConfirmApi(_CaseStepApi):
    action = "baddebt.case.confirm"
    input_serializer = BadDebtConfirmInputSerializer

    @extend_schema(
        tags=TAGS, request=BadDebtConfirmInputSerializer, responses=BadDebtCaseOutputSerializer
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, request, case, data):
        services.case_confirm(
            acting_user=request.user,
            case=case,
            comment=data["comment"],
            recent_grant_seen=data["recent_grant_seen"],
        )


class BadDebtReturnInputSerializer(serializers.Serializer):
    comment = TextField()


class CaseReturnApi(_CaseStepApi):
    action = "baddebt.case.confirm"
    input_serializer = BadDebtReturnInputSerializer

    @extend_schema(
        tags=TAGS, request=BadDebtReturnInputSerializer, responses=BadDebtCaseOutputSerializer
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, request, case, data):
        services.case_return(acting_user=request.user, case=case, comment=data["comment"])


class CaseArchiveApi(_CaseStepApi):
    action = "baddebt.case.archive"

    @extend_schema(tags=TAGS, request=None, responses=BadDebtCaseOutputSerializer)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, request, case, data):
        services.case_archive(acting_user=request.user, case=case)


class BadDebtRestartInputSerializer(serializers.Serializer):
    reason = TextField()


class CaseRestartApi(_CaseStepApi):
    action = "baddebt.case.restart"
    input_serializer = BadDebtRestartInputSerializer

    @extend_schema(
        tags=TAGS, request=BadDebtRestartInputSerializer, responses=BadDebtCaseOutputSerializer
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, request, case, data):
        services.case_restart(acting_user=request.user, case=case, reason=data["reason"])


class BadDebtRecoveryInputSerializer(serializers.Serializer):
    invoice_id = serializers.IntegerField()
    amount = MoneyField()
    received_on = BusinessDateField(required=False, allow_null=True, default=None)
    reference = ReferenceField(max_length=200, required=False, allow_blank=True, default="")


class CaseRecoveryApi(_CaseStepApi):
    action = "baddebt.case.recovery"
    input_serializer = BadDebtRecoveryInputSerializer

    @extend_schema(
        tags=TAGS,
        request=BadDebtRecoveryInputSerializer,
        responses={201: BadDebtEntryOutputSerializer},
    )
    def post(self, request, pk: int):
        case = get_case(request.user, pk, self.action)
        serializer = BadDebtRecoveryInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.recovery_record(
            acting_user=request.user, case=case, **serializer.validated_data
        )
        return Response(BadDebtEntryOutputSerializer(entry).data, status=status.HTTP_201_CREATED)


class BadDebtAnalysisInputSerializer(serializers.Serializer):
    cause_analysis = TextField()
    accountability_proposal = TextField(required=False, allow_blank=True, default="")


class CaseAnalysisApi(_CaseStepApi):
    action = "baddebt.case.analyse"
    input_serializer = BadDebtAnalysisInputSerializer

    @extend_schema(
        tags=TAGS, request=BadDebtAnalysisInputSerializer, responses=BadDebtCaseOutputSerializer
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, request, case, data):
        services.analysis_record(acting_user=request.user, case=case, **data)


class CasePdfApi(APIView):
    permission_classes = [Authority]

    @extend_schema(
        tags=TAGS,
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="the bad-debt recognition application form"
            )
        },
    )
    def get(self, request, pk: int):
        case = get_case(request.user, pk)
        response = HttpResponse(application_pdf(case), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{case.number}.pdf"'
        return response


class BadDebtProvisionBandOutputSerializer(serializers.Serializer):
    label = serializers.CharField()
    up_to_days = serializers.IntegerField(allow_null=True)
    rate = serializers.DecimalField(max_digits=6, decimal_places=4)
    open_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    implied = serializers.DecimalField(max_digits=18, decimal_places=2)
    booked = serializers.DecimalField(max_digits=18, decimal_places=2)


class BadDebtProvisionReportOutputSerializer(serializers.Serializer):
    on = serializers.DateField()
    policy_version = serializers.CharField(source="policy.version")
    bands = BadDebtProvisionBandOutputSerializer(many=True)
    open_total = serializers.DecimalField(max_digits=18, decimal_places=2)
    implied_total = serializers.DecimalField(max_digits=18, decimal_places=2)
    booked_total = serializers.DecimalField(max_digits=18, decimal_places=2)
    written_off_total = serializers.DecimalField(max_digits=18, decimal_places=2)
    recovered_total = serializers.DecimalField(max_digits=18, decimal_places=2)


class ProvisionReportApi(APIView):
    permission_classes = [Authority]
    authority_action = "baddebt.report.view"

    @extend_schema(
        tags=TAGS,
        responses=BadDebtProvisionReportOutputSerializer,
        parameters=[OpenApiParameter("on", OpenApiTypes.DATE, description="default: today")],
    )
    def get(self, request):
        on = query_date(request, "on") or timezone.localdate()
        return Response(BadDebtProvisionReportOutputSerializer(selectors.provision_report(on)).data)


class BadDebtRateOutputSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    written_off = serializers.DecimalField(max_digits=18, decimal_places=2)
    invoiced = serializers.DecimalField(max_digits=18, decimal_places=2)
    rate = serializers.DecimalField(max_digits=10, decimal_places=4, allow_null=True)


class BadDebtRateApi(APIView):
    permission_classes = [Authority]
    authority_action = "baddebt.report.view"

    @extend_schema(
        tags=TAGS,
        responses=BadDebtRateOutputSerializer,
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="default: 1 January"),
            OpenApiParameter("end", OpenApiTypes.DATE, description="default: today"),
        ],
    )
    def get(self, request):
        today = timezone.localdate()
        start = query_date(request, "start") or today.replace(month=1, day=1)
        end = query_date(request, "end") or today
        return Response(BadDebtRateOutputSerializer(selectors.bad_debt_rate(start, end)).data)
