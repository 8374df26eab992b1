"""Customers and their documents over the API, with the same authority as the pages."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from creditdesk.api import Authority, Pagination, paginated
from creditdesk.authority import require
from creditdesk.inputs import (
    BusinessDateField,
    HistoricDateField,
    MoneyField,
    ReferenceField,
)
from creditdesk.roles import Role

from . import industries, selectors, services
from .models import Customer, Language, QualificationDocument
from .validators import validate_credit_code


def get_customer(user, pk: int, action: str = "customer.view") -> Customer:
    customer = get_object_or_404(Customer.objects.select_related("salesperson"), pk=pk)
    require(user, action, customer)
    return customer


class CreditCodeSerializerField(serializers.CharField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data).replace(" ", "").upper()
        try:
            validate_credit_code(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value


class CustomerOutputSerializer(serializers.ModelSerializer):
    salesperson = serializers.CharField(source="salesperson.username", read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "erp_code",
            "name",
            "credit_code",
            "dossier_number",
            "registered_address",
            "operating_address",
            "established_on",
            "registered_capital",
            "total_assets",
            "legal_representative",
            "industry",
            "preferred_language",
            "first_trade_on",
            "salesperson",
            "group",
            "dossier_updated_on",
            "created_at",
        ]


class CustomerGlanceSerializer(serializers.Serializer):
    """The customer at a glance (issue 18 §1): the figures of the customer pages' header.

    Money in CNY as strings with two places; `available` may be negative (exposure above the limit);
    `usage_percent` is exposure / limit × 100 for a line in force, else null; `warning_level` 5
    (attention) … 1 (emergency) or null; `oldest_days_overdue` null when nothing is overdue; the part
    of an invoice held by a dispute is not overdue."""

    group_name = serializers.CharField(help_text="customer group's name, empty without a group")
    rating = serializers.CharField(help_text="e.g. B2; empty before a rating")
    warning_level = serializers.IntegerField(allow_null=True)
    line_status = serializers.CharField(help_text="credit line status; cash_only without a line")
    limit = serializers.DecimalField(max_digits=18, decimal_places=2)
    exposure = serializers.DecimalField(max_digits=18, decimal_places=2)
    available = serializers.DecimalField(max_digits=18, decimal_places=2)
    usage_percent = serializers.DecimalField(max_digits=9, decimal_places=1, allow_null=True)
    overdue_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    oldest_days_overdue = serializers.IntegerField(allow_null=True)
    advance = serializers.DecimalField(max_digits=18, decimal_places=2)
    open_disputes = serializers.IntegerField()
    open_disputes_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    next_review_on = serializers.DateField(allow_null=True)


class CustomerDetailOutputSerializer(CustomerOutputSerializer):
    """The customer with its figures at a glance (additive: every list field is kept)."""

    glance = serializers.SerializerMethodField()

    class Meta(CustomerOutputSerializer.Meta):
        fields = [*CustomerOutputSerializer.Meta.fields, "glance"]

    @extend_schema_field(CustomerGlanceSerializer)
    def get_glance(self, obj) -> dict:
        return CustomerGlanceSerializer(selectors.customer_glance(obj)).data


class CustomerInputSerializer(serializers.Serializer):
    erp_code = ReferenceField(max_length=40)
    name = ReferenceField(max_length=200)
    credit_code = CreditCodeSerializerField(max_length=30)
    registered_address = ReferenceField(max_length=300)
    operating_address = ReferenceField(max_length=300, required=False, allow_blank=True)
    established_on = HistoricDateField()
    registered_capital = MoneyField(min_value=0)
    total_assets = MoneyField(min_value=0, required=False, allow_null=True)
    legal_representative = ReferenceField(max_length=100)
    industry = serializers.ChoiceField(
        choices=industries.CHOICES,
        required=False,
        allow_blank=True,
        help_text="GB/T 4754-2017 division: section letter and two-digit code, e.g. C35",
        error_messages={
            "invalid_choice": _(
                "“{input}” is not an industry of GB/T 4754: give a division code such as C35."
            )
        },
    )
    preferred_language = serializers.ChoiceField(
        choices=Language.choices, required=False, default=Language.ZH_HANS
    )
    first_trade_on = BusinessDateField(required=False, allow_null=True)
    salesperson = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(groups__name=Role.SALES),
        required=False,
        allow_null=True,
    )


class CustomerUpdateSerializer(CustomerInputSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class CustomerListApi(APIView):
    permission_classes = [Authority]
    authority_action = "customer.list"
    pagination_class = Pagination  # so the schema describes the paginated body it returns

    @extend_schema(
        responses=CustomerOutputSerializer(many=True),
        parameters=[
            OpenApiParameter(
                "q",
                str,
                description="name, ERP code, credit code, dossier number or pinyin initials",
            ),
            OpenApiParameter("erp_code", str, description="exact ERP customer code"),
        ],
    )
    def get(self, request):
        qs = selectors.customer_list(request.user, query=request.query_params.get("q", ""))
        erp_code = request.query_params.get("erp_code")
        if erp_code:
            qs = qs.filter(erp_code=erp_code)
        return paginated(self, request, qs, CustomerOutputSerializer)

    @extend_schema(request=CustomerInputSerializer, responses={201: CustomerOutputSerializer})
    def post(self, request):
        require(request.user, "customer.create")
        serializer = CustomerInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        customer = services.customer_create(
            acting_user=request.user, salesperson=data.pop("salesperson", None), **data
        )
        return Response(CustomerOutputSerializer(customer).data, status=status.HTTP_201_CREATED)


class CustomerDetailApi(APIView):
    permission_classes = [Authority]

    @extend_schema(responses=CustomerDetailOutputSerializer)
    def get(self, request, pk: int):
        return Response(CustomerDetailOutputSerializer(get_customer(request.user, pk)).data)

    @extend_schema(request=CustomerUpdateSerializer, responses=CustomerOutputSerializer)
    def patch(self, request, pk: int):
        customer = get_customer(request.user, pk, "customer.edit")
        serializer = CustomerUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        customer = services.customer_update(
            acting_user=request.user,
            customer=customer,
            salesperson=data.pop("salesperson", None),
            **data,
        )
        return Response(CustomerOutputSerializer(customer).data)


class DocumentOutputSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)
    is_expired = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = QualificationDocument
        fields = [
            "id",
            "kind",
            "title",
            "issued_on",
            "expires_on",
            "is_expired",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]

    def get_is_expired(self, obj) -> bool:
        return obj.is_expired()

    def get_download_url(self, obj) -> str:
        return reverse("document-file", args=[obj.pk])


class DocumentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=QualificationDocument.Kind.choices)
    title = ReferenceField(max_length=200, required=False, allow_blank=True)
    file = serializers.FileField()
    issued_on = HistoricDateField(required=False, allow_null=True)
    expires_on = BusinessDateField(required=False, allow_null=True)


class CustomerDocumentsApi(APIView):
    permission_classes = [Authority]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=DocumentOutputSerializer(many=True))
    def get(self, request, pk: int):
        customer = get_customer(request.user, pk)
        return Response(DocumentOutputSerializer(selectors.documents_of(customer), many=True).data)

    @extend_schema(request=DocumentInputSerializer, responses={201: DocumentOutputSerializer})
    def post(self, request, pk: int):
        customer = get_customer(request.user, pk, "customer.document.upload")
        serializer = DocumentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = services.document_upload(
            acting_user=request.user, customer=customer, **serializer.validated_data
        )
        return Response(DocumentOutputSerializer(document).data, status=status.HTTP_201_CREATED)
