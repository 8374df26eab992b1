"""Ageing, KPIs and collection over the API (HANDBOOK §8), with the same authority as the pages."""

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from creditdesk.api import Authority, Pagination, paginated, query_date
from creditdesk.authority import require
from creditdesk.errors import ValidationFailed
from creditdesk.inputs import BusinessDateField, MoneyField, ReferenceField, TextField
from customers.models import Customer
from receivables.collection import ageing, dunning, kpis, limitation, services, statements
from receivables.models import CollectionLogEntry, CustomerStatement, DunningLetter

MONEY = {"max_digits": 18, "decimal_places": 2}


def _day(request, name: str) -> dt.date:
    return query_date(request, name) or timezone.localdate()


class BucketsSerializer(serializers.Serializer):
    not_due = serializers.DecimalField(**MONEY)
    d1_30 = serializers.DecimalField(**MONEY)
    d31_60 = serializers.DecimalField(**MONEY)
    d61_90 = serializers.DecimalField(**MONEY)
    d91_180 = serializers.DecimalField(**MONEY)
    d181_365 = serializers.DecimalField(**MONEY)
    d366_730 = serializers.DecimalField(**MONEY)
    over_730 = serializers.DecimalField(**MONEY)
    open_total = serializers.DecimalField(**MONEY)
    overdue_total = serializers.DecimalField(**MONEY)
    written_off = serializers.DecimalField(**MONEY)
    unallocated = serializers.DecimalField(**MONEY)
    net_balance = serializers.DecimalField(**MONEY)


class AgeingRowSerializer(BucketsSerializer):
    customer_id = serializers.IntegerField(required=False)
    customer_name = serializers.CharField(source="customer__name", required=False)
    customer_erp_code = serializers.CharField(source="customer__erp_code", required=False)
    salesperson_id = serializers.IntegerField(
        source="customer__salesperson_id", required=False, allow_null=True
    )
    salesperson_name = serializers.CharField(required=False, allow_null=True)
    group_id = serializers.IntegerField(
        source="customer__group_id",
        required=False,
        allow_null=True,
        help_text="by group: the customer group; null for the customers outside any group",
    )
    group_name = serializers.CharField(
        source="customer__group__name", required=False, allow_null=True
    )
    group_limit = serializers.DecimalField(
        **MONEY, required=False, allow_null=True, help_text="by group: null without a group limit"
    )


class BucketLabelSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    low = serializers.IntegerField(allow_null=True, help_text="days overdue, inclusive")
    high = serializers.IntegerField(allow_null=True, help_text="days overdue, inclusive")


class AgeingOutputSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    group = serializers.CharField(help_text="customer | salesperson | group | total")
    buckets = BucketLabelSerializer(many=True)
    rows = AgeingRowSerializer(many=True)
    total = BucketsSerializer()


class AgeingApi(APIView):
    """The ageing at a day, by customer, by salesperson, by customer group or in total."""

    permission_classes = [Authority]
    authority_action = "receivables.ageing.view"

    @extend_schema(
        responses=AgeingOutputSerializer,
        parameters=[
            OpenApiParameter("as_of", dt.date, description="default: today"),
            OpenApiParameter("group", str, enum=["customer", "salesperson", "group", "total"]),
        ],
    )
    def get(self, request):
        as_of = _day(request, "as_of")
        group = request.query_params.get("group", "customer")
        customers = ageing.customers_for(request.user)
        if group == "salesperson":
            rows = ageing.ageing_by_salesperson(as_of, customers=customers)
        elif group == "group":
            rows = ageing.ageing_by_group(as_of, customers=customers)
        elif group == "total":
            rows = []
        elif group == "customer":
            rows = ageing.ageing_by_customer(as_of, customers=customers)
        else:
            raise ValidationFailed(
                field_errors={"group": [_("Choose customer, salesperson, group or total.")]}
            )
        buckets = [
            {"key": b.key, "label": str(b.label), "low": b.low, "high": b.high}
            for b in ageing.BUCKETS
        ]
        data = {
            "as_of": as_of,
            "group": group,
            "buckets": buckets,
            "rows": rows,
            "total": ageing.ageing_total(as_of, customers=customers),
        }
        return Response(AgeingOutputSerializer(data).data)


class StructureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    share = serializers.FloatField(help_text="percent of the open total")


class TrendPointSerializer(serializers.Serializer):
    month = serializers.CharField()
    as_of = serializers.DateField()
    open_total = serializers.DecimalField(**MONEY)
    overdue_total = serializers.DecimalField(**MONEY)
    overdue_rate = serializers.FloatField(allow_null=True)
    sales = serializers.DecimalField(**MONEY)
    structure = StructureSerializer(many=True)


class AgeingTrendApi(APIView):
    permission_classes = [Authority]
    authority_action = "receivables.ageing.view"

    @extend_schema(
        responses=TrendPointSerializer(many=True),
        parameters=[
            OpenApiParameter("until", dt.date, description="default: today"),
            OpenApiParameter("months", int, description="1–36, default 12"),
        ],
    )
    def get(self, request):
        try:
            months = max(1, min(36, int(request.query_params.get("months", 12))))
        except ValueError:
            raise ValidationFailed(
                field_errors={"months": [_("Enter a whole number of months.")]}
            ) from None
        rows = kpis.trend(
            _day(request, "until"), months=months, customers=ageing.customers_for(request.user)
        )
        return Response(TrendPointSerializer(rows, many=True).data)


class KpiFiguresSerializer(serializers.Serializer):
    open_total = serializers.DecimalField(**MONEY)
    overdue_total = serializers.DecimalField(**MONEY)
    written_off_total = serializers.DecimalField(**MONEY)
    unallocated = serializers.DecimalField(**MONEY)
    sales_90_days = serializers.DecimalField(**MONEY)
    dso_days = serializers.FloatField(allow_null=True)
    overdue_rate = serializers.FloatField(allow_null=True)
    bad_debt_rate = serializers.FloatField(allow_null=True)
    structure = StructureSerializer(many=True)


class SalespersonKpiSerializer(KpiFiguresSerializer):
    salesperson_id = serializers.IntegerField(allow_null=True)
    salesperson = serializers.CharField()


class KpiOutputSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    total = KpiFiguresSerializer()
    by_salesperson = SalespersonKpiSerializer(many=True)


class KpiApi(APIView):
    permission_classes = [Authority]
    authority_action = "receivables.kpi.view"

    @extend_schema(
        responses=KpiOutputSerializer,
        parameters=[OpenApiParameter("as_of", dt.date, description="default: today")],
    )
    def get(self, request):
        data = kpis.kpis(_day(request, "as_of"), customers=ageing.customers_for(request.user))
        return Response(KpiOutputSerializer(data).data)


class OverdueAccountSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    customer_name = serializers.CharField(source="customer__name")
    customer_erp_code = serializers.CharField(source="customer__erp_code")
    overdue_amount = serializers.DecimalField(**MONEY)
    oldest_due = serializers.DateField()
    days_overdue = serializers.IntegerField()
    stage = serializers.CharField(help_text="sales | credit_team | agency")
    risk_evaluation = serializers.BooleanField()
    last_contact = serializers.DateField(allow_null=True)


class OverdueAccountListApi(APIView):
    """HANDBOOK §8: overdue accounts with who collects them and whether a risk evaluation is due."""

    permission_classes = [Authority]
    authority_action = "receivables.collection.view"
    pagination_class = Pagination  # so the schema describes the paginated body

    @extend_schema(
        responses=OverdueAccountSerializer(many=True),
        parameters=[
            OpenApiParameter("stage", str, enum=["sales", "credit_team", "agency"]),
        ],
    )
    def get(self, request):
        stage = request.query_params.get("stage")
        if stage is not None and stage not in services.Stage.ALL:
            raise ValidationFailed(
                field_errors={"stage": [_("Choose sales, credit_team or agency.")]}
            )
        accounts = services.overdue_accounts(
            customers=ageing.customers_for(request.user), stage=stage
        )
        return paginated(self, request, accounts, OverdueAccountSerializer)


class CollectionEntryOutputSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(
        help_text="call | email | visit | promise_to_pay | agency_referral"
    )
    author = serializers.CharField(source="author.username")

    class Meta:
        model = CollectionLogEntry
        fields = [
            "id",
            "kind",
            "happened_on",
            "note",
            "promised_amount",
            "promised_date",
            "agency_name",
            "author",
            "created_at",
        ]


class CollectionEntryInputSerializer(serializers.Serializer):
    # Plain text (checked by the service), so the schema's enum names stay unique across apps.
    kind = serializers.CharField(
        help_text="call | email | visit | promise_to_pay | agency_referral"
    )
    happened_on = BusinessDateField()
    note = TextField(required=False, allow_blank=True, default="")
    promised_amount = MoneyField(min_value=0, required=False, allow_null=True)
    promised_date = BusinessDateField(required=False, allow_null=True)
    agency_name = ReferenceField(max_length=200, required=False, allow_blank=True, default="")


def _customer(user, pk: int, action: str) -> Customer:
    customer = get_object_or_404(Customer.objects.select_related("salesperson"), pk=pk)
    require(user, action, customer)
    return customer


class CollectionLogApi(APIView):
    """A customer's collection log: read it, or record a call, e-mail, visit, promise or referral."""

    permission_classes = [Authority]
    pagination_class = Pagination  # so the schema describes the paginated body
    authority_action = "receivables.collection.view"

    @extend_schema(responses=CollectionEntryOutputSerializer(many=True))
    def get(self, request, pk: int):
        customer = _customer(request.user, pk, "receivables.collection.view")
        entries = services.collection_log_of(customer)
        return paginated(self, request, entries, CollectionEntryOutputSerializer)

    @extend_schema(
        request=CollectionEntryInputSerializer, responses={201: CollectionEntryOutputSerializer}
    )
    def post(self, request, pk: int):
        customer = _customer(request.user, pk, "receivables.collection.log")
        serializer = CollectionEntryInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.collection_entry_add(
            customer=customer, acting_user=request.user, **serializer.validated_data
        )
        return Response(CollectionEntryOutputSerializer(entry).data, status=status.HTTP_201_CREATED)


# ------------------------------------------------------------ letters, statements, limitation
# Issue 17 §3–§5, with the same authority as the pages.


class DunningLetterOutputSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(help_text="demand | final_demand | lawyer")
    status = serializers.CharField(
        help_text="awaiting_legal | to_send | sending | sent | to_post | posted | rejected | "
        "cancelled"
    )
    invoices = serializers.SerializerMethodField()

    class Meta:
        model = DunningLetter
        fields = [
            "id",
            "customer",
            "level",
            "kind",
            "for_date",
            "status",
            "total",
            "by_post",
            "sent_at",
            "posted_at",
            "decided_at",
            "decision_note",
            "invoices",
        ]

    def get_invoices(self, letter) -> list[int]:
        return [line.invoice_id for line in letter.lines.all()]


class CustomerDunningLetterListApi(APIView):
    """A customer's dunning letters, newest first."""

    permission_classes = [Authority]
    pagination_class = Pagination  # so the schema describes the paginated body
    authority_action = "receivables.collection.view"

    @extend_schema(responses=DunningLetterOutputSerializer(many=True))
    def get(self, request, pk: int):
        customer = _customer(request.user, pk, "receivables.collection.view")
        letters = dunning.letters_of(customer, limit=500).prefetch_related("lines")
        return paginated(self, request, letters, DunningLetterOutputSerializer)


class LetterDecisionInputSerializer(serializers.Serializer):
    note = TextField(required=False, allow_blank=True, default="")


def _letter(user, pk: int) -> DunningLetter:
    letter = get_object_or_404(DunningLetter.objects.select_related("customer"), pk=pk)
    require(user, "receivables.collection.view", letter.customer)
    return letter


class DunningLetterApproveApi(APIView):
    """Legal approves a lawyer's letter waiting in its queue; it goes out at once."""

    permission_classes = [Authority]
    authority_action = "receivables.dunning.approve"

    @extend_schema(request=LetterDecisionInputSerializer, responses=DunningLetterOutputSerializer)
    def post(self, request, pk: int):
        serializer = LetterDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        letter = dunning.letter_approve(
            letter=_letter(request.user, pk), acting_user=request.user, **serializer.validated_data
        )
        return Response(DunningLetterOutputSerializer(letter).data)


class DunningLetterStopApi(APIView):
    """Legal stops a lawyer's letter, with the reason."""

    permission_classes = [Authority]
    authority_action = "receivables.dunning.approve"

    @extend_schema(request=LetterDecisionInputSerializer, responses=DunningLetterOutputSerializer)
    def post(self, request, pk: int):
        serializer = LetterDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        letter = dunning.letter_stop(
            letter=_letter(request.user, pk), acting_user=request.user, **serializer.validated_data
        )
        return Response(DunningLetterOutputSerializer(letter).data)


class StatementInputSerializer(serializers.Serializer):
    period_start = BusinessDateField()
    period_end = BusinessDateField()
    email = serializers.BooleanField(
        required=False, default=False, help_text="e-mail it to the customer (PDF and XLSX)"
    )


class StatementRowSerializer(serializers.Serializer):
    date = serializers.DateField()
    number = serializers.CharField()
    kind = serializers.CharField(help_text="invoice | payment | credit_note | write_off")
    debit = serializers.DecimalField(**MONEY, allow_null=True)
    credit = serializers.DecimalField(**MONEY, allow_null=True)
    balance = serializers.DecimalField(**MONEY)


class StatementOutputSerializer(serializers.ModelSerializer):
    confirmation = serializers.CharField(help_text="pending | confirmed | differences")
    rows = StatementRowSerializer(many=True, required=False)

    class Meta:
        model = CustomerStatement
        fields = [
            "id",
            "customer",
            "period_start",
            "period_end",
            "opening_balance",
            "closing_balance",
            "invoices",
            "produced_at",
            "confirmation",
            "confirmed_on",
            "confirmed_balance",
            "differences",
            "rows",
        ]


class StatementCreateApi(APIView):
    """Issue 17 §4: a customer's statement for a period (recorded; e-mailed on request)."""

    permission_classes = [Authority]
    authority_action = "receivables.statement.produce"

    @extend_schema(request=StatementInputSerializer, responses={201: StatementOutputSerializer})
    def post(self, request, pk: int):
        customer = _customer(request.user, pk, "receivables.statement.produce")
        serializer = StatementInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        period = {"period_start": data["period_start"], "period_end": data["period_end"]}
        if data["email"]:
            statement = statements.statement_send(
                customer=customer, acting_user=request.user, **period
            )
            rows = statements.statement_figures(customer, **_range(period))["rows"]
        else:
            statement, figures = statements.statement_produce(
                customer=customer, acting_user=request.user, **period
            )
            rows = figures["rows"]
        statement.rows = rows
        return Response(StatementOutputSerializer(statement).data, status=status.HTTP_201_CREATED)


def _range(period: dict) -> dict:
    return {"start": period["period_start"], "end": period["period_end"]}


class LimitationInvoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    customer = serializers.IntegerField(source="customer_id")
    customer_name = serializers.CharField(source="customer.name")
    due_date = serializers.DateField()
    limitation_restarted_on = serializers.DateField(allow_null=True)
    limitation_ends_on = serializers.DateField()
    limitation_lapsed = serializers.BooleanField()
    open_amount = serializers.DecimalField(**MONEY)


class LimitationQueueApi(APIView):
    """Issue 17 §5: open invoices whose limitation period ends within the policy's days, or lapsed."""

    permission_classes = [Authority]
    pagination_class = Pagination  # so the schema describes the paginated body
    authority_action = "receivables.limitation.view"

    @extend_schema(responses=LimitationInvoiceSerializer(many=True))
    def get(self, request):
        from creditdesk.policy import policy_on

        policy = policy_on()
        invoices = limitation.ending_within(
            customers=ageing.customers_for(request.user), policy=policy
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(invoices, request, view=self)
        rows = limitation.with_limitation(page, policy)
        return paginator.get_paginated_response(LimitationInvoiceSerializer(rows, many=True).data)
