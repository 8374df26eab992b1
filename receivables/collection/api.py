"""Ageing, KPIs and collection over the API (HANDBOOK §8), with the same authority as the pages."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from creditdesk.api import Authority, Pagination, paginated, query_choice, query_date, query_int
from creditdesk.authority import may, require
from creditdesk.errors import NotAllowed, NotFound, ValidationFailed
from creditdesk.inputs import BusinessDateField, MoneyField, ReferenceField, TextField
from customers.models import Customer
from receivables.collection import (
    ageing,
    disputes,
    dunning,
    kpis,
    limitation,
    promises,
    services,
    statements,
    worklist,
)
from receivables.models import (
    CollectionLogEntry,
    CustomerStatement,
    Dispute,
    DunningLetter,
    Invoice,
    PaymentPromise,
)

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
    disputed = serializers.DecimalField(
        **MONEY,
        help_text="of the open total, what open disputes hold out of collection (still owed, "
        "in the buckets too)",
    )
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


# --- Disputes (issue 17 §1) ---------------------------------------------------------------------


class DisputeOutputSerializer(serializers.ModelSerializer):
    invoice = serializers.CharField(source="invoice.number")
    customer_id = serializers.IntegerField()
    reason = serializers.CharField(
        help_text="price | quantity | quality | delivery | duplicate | other"
    )
    status = serializers.CharField(
        help_text="open | accepted | partly_accepted | rejected | closed"
    )
    channel = serializers.CharField(help_text="ui | api | erp")
    owner = serializers.CharField(source="owner.username", allow_null=True, default=None)
    raised_by = serializers.CharField(source="raised_by.username", allow_null=True, default=None)

    class Meta:
        model = Dispute
        fields = [
            "id",
            "invoice",
            "customer_id",
            "amount",
            "held_amount",
            "accepted_amount",
            "reason",
            "notes",
            "owner",
            "resolution_due",
            "status",
            "channel",
            "raised_by",
            "raised_on",
            "resolution_note",
            "resolved_at",
            "released_on",
        ]


class DisputeInputSerializer(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    invoice = ReferenceField(max_length=64, help_text="the invoice number")
    amount = MoneyField(
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        default=None,
        help_text="absent or null: all that is open and not yet disputed",
    )
    # Plain text (checked by the service), so the schema's enum names stay unique across apps.
    reason = ReferenceField(
        max_length=16, help_text="price | quantity | quality | delivery | duplicate | other"
    )
    owner = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        allow_null=True,
        default=None,
        help_text="user id; default: the caller",
    )
    resolution_due = BusinessDateField(
        required=False, allow_null=True, default=None, help_text="default: the policy's days"
    )
    notes = TextField(required=False, allow_blank=True, default="", max_length=4000)


class DisputeListApi(APIView):
    """Disputes the caller may read (sales: their own customers'); raise one on an invoice."""

    permission_classes = [Authority]
    authority_action = "receivables.dispute.view"
    pagination_class = Pagination  # so the schema describes the paginated body

    @extend_schema(
        responses=DisputeOutputSerializer(many=True),
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=["holding", "open", "accepted", "partly_accepted", "rejected", "closed"],
                description="holding: still held out of collection; default: all",
            ),
            OpenApiParameter("customer", int),
        ],
    )
    def get(self, request):
        status_ = query_choice(
            request,
            "status",
            ["holding", "open", "accepted", "partly_accepted", "rejected", "closed"],
        )
        customer_id = query_int(request, "customer", minimum=1, maximum=2**31 - 1)
        customer = (
            _customer(request.user, customer_id, "receivables.dispute.view")
            if (customer_id)
            else None
        )
        rows = disputes.disputes_for(request.user, status=status_, customer=customer)
        return paginated(self, request, rows, DisputeOutputSerializer)

    @extend_schema(request=DisputeInputSerializer, responses={201: DisputeOutputSerializer})
    def post(self, request):
        require(request.user, "receivables.dispute.raise")
        serializer = DisputeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        customer = _customer(request.user, data.pop("customer"), "receivables.dispute.raise")
        invoice = Invoice.objects.filter(customer=customer, number=data.pop("invoice")).first()
        if invoice is None:
            raise ValidationFailed(
                field_errors={"invoice": [_("Unknown invoice for this customer.")]}
            )
        owner_id = data.pop("owner")
        owner = None
        if owner_id is not None:
            owner = get_user_model().objects.filter(pk=owner_id).first()
            if owner is None:
                raise ValidationFailed(field_errors={"owner": [_("Unknown user.")]})
        dispute = disputes.dispute_raise(
            invoice=invoice,
            owner=owner,
            acting_user=request.user,
            channel=Dispute.Channel.API,
            **data,
        )
        return Response(DisputeOutputSerializer(dispute).data, status=status.HTTP_201_CREATED)


def _dispute(user, pk: int, action: str = "receivables.dispute.view") -> Dispute:
    try:
        return disputes.dispute_for(user, pk, action)
    except NotFound:
        raise Http404 from None


class DisputeDetailApi(APIView):
    permission_classes = [Authority]
    authority_action = "receivables.dispute.view"

    @extend_schema(responses=DisputeOutputSerializer)
    def get(self, request, pk: int):
        return Response(DisputeOutputSerializer(_dispute(request.user, pk)).data)


class DisputeResolveInputSerializer(serializers.Serializer):
    outcome = ReferenceField(max_length=16, help_text="accepted | rejected | partly")
    accepted_amount = MoneyField(
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        default=None,
        help_text="partly: the part accepted (a credit note is expected for it)",
    )
    note = TextField(required=False, allow_blank=True, default="", max_length=4000)


class DisputeResolveApi(APIView):
    """The credit team resolves an open dispute: accepted, rejected (back into collection from
    today) or partly accepted; a resolved dispute answers 409."""

    permission_classes = [Authority]
    authority_action = "receivables.dispute.resolve"

    @extend_schema(request=DisputeResolveInputSerializer, responses=DisputeOutputSerializer)
    def post(self, request, pk: int):
        dispute = _dispute(request.user, pk, "receivables.dispute.resolve")
        serializer = DisputeResolveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        dispute = disputes.dispute_resolve(
            dispute=dispute, acting_user=request.user, **serializer.validated_data
        )
        return Response(DisputeOutputSerializer(dispute).data)


# --- Promises to pay (issue 17 §2) --------------------------------------------------------------


class PromiseOutputSerializer(serializers.ModelSerializer):
    status = serializers.CharField(help_text="open | kept | partly_kept | broken")
    taken_by = serializers.CharField(source="taken_by.username")
    invoices = serializers.SlugRelatedField(slug_field="number", many=True, read_only=True)

    class Meta:
        model = PaymentPromise
        fields = [
            "id",
            "amount",
            "promised_date",
            "made_on",
            "invoices",
            "taken_by",
            "note",
            "status",
            "paid_amount",
            "checked_at",
        ]


class PromiseInputSerializer(serializers.Serializer):
    amount = MoneyField(min_value=Decimal("0.01"))
    promised_date = BusinessDateField()
    invoices = serializers.ListField(
        child=ReferenceField(max_length=64),
        required=False,
        default=list,
        max_length=500,
        help_text="invoice numbers; empty: all the customer's open invoices",
    )
    note = TextField(required=False, allow_blank=True, default="", max_length=4000)


class PromiseListApi(APIView):
    """A customer's promises to pay; make one (checked by the daily job after its date)."""

    permission_classes = [Authority]
    authority_action = "receivables.collection.view"
    pagination_class = Pagination  # so the schema describes the paginated body

    @extend_schema(responses=PromiseOutputSerializer(many=True))
    def get(self, request, pk: int):
        customer = _customer(request.user, pk, "receivables.collection.view")
        return paginated(self, request, promises.promises_of(customer), PromiseOutputSerializer)

    @extend_schema(request=PromiseInputSerializer, responses={201: PromiseOutputSerializer})
    def post(self, request, pk: int):
        customer = _customer(request.user, pk, "receivables.collection.log")
        serializer = PromiseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        numbers = set(data.pop("invoices"))
        invoices = list(Invoice.objects.filter(customer=customer, number__in=numbers))
        if len(invoices) != len(numbers):
            raise ValidationFailed(
                field_errors={"invoices": [_("Choose open invoices of this customer.")]}
            )
        promise = promises.promise_make(
            customer=customer, acting_user=request.user, invoices=invoices, **data
        )
        return Response(PromiseOutputSerializer(promise).data, status=status.HTTP_201_CREATED)


# --- The worklist (issue 17 §6) -----------------------------------------------------------------


class WorklistRowSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    customer_name = serializers.CharField(source="customer__name")
    customer_erp_code = serializers.CharField(source="customer__erp_code")
    overdue_amount = serializers.DecimalField(
        **MONEY, help_text="overdue and not held by a dispute"
    )
    oldest_due = serializers.DateField()
    days = serializers.IntegerField(help_text="days the oldest such invoice is overdue")
    priority = serializers.DecimalField(max_digits=24, decimal_places=2)
    stage = serializers.CharField(help_text="sales | credit_team | agency")
    collector_id = serializers.IntegerField(allow_null=True)
    broken_promises = serializers.IntegerField()
    level_changed = serializers.BooleanField(help_text="a new stage since the last contact")
    disputes_due = serializers.IntegerField()
    last_contact = serializers.DateField(allow_null=True)


class WorklistApi(APIView):
    """The collector's worklist, in order; `view=all|unassigned` for the credit team and legal."""

    permission_classes = [Authority]
    authority_action = "receivables.worklist.view"
    pagination_class = Pagination  # so the schema describes the paginated body

    @extend_schema(
        responses=WorklistRowSerializer(many=True),
        parameters=[OpenApiParameter("view", str, enum=["mine", "all", "unassigned"])],
    )
    def get(self, request):
        view = query_choice(request, "view", ["mine", "all", "unassigned"]) or "mine"
        if view != "mine" and not may(request.user, "receivables.worklist.view_all"):
            raise NotAllowed()
        rows = worklist.worklist(
            collector=request.user if view == "mine" else None,
            unassigned=view == "unassigned",
            customers=ageing.customers_for(request.user),
        )
        return paginated(self, request, rows, WorklistRowSerializer, decorate=worklist.decorate)


class ReassignInputSerializer(serializers.Serializer):
    customers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        min_length=1,
        max_length=1000,
    )
    collector = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        allow_null=True,
        help_text="user id; null: back to the default (the salesperson, then the credit team)",
    )


class ReassignOutputSerializer(serializers.Serializer):
    changed = serializers.IntegerField()


class WorklistReassignApi(APIView):
    """The credit manager names the collector of many customers at once."""

    permission_classes = [Authority]
    authority_action = "receivables.worklist.reassign"

    @extend_schema(request=ReassignInputSerializer, responses=ReassignOutputSerializer)
    def post(self, request):
        serializer = ReassignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        collector_id = serializer.validated_data["collector"]
        collector = None
        if collector_id is not None:
            collector = get_user_model().objects.filter(pk=collector_id).first()
            if collector is None:
                raise ValidationFailed(field_errors={"collector": [_("Unknown user.")]})
        changed = worklist.collectors_assign(
            customer_ids=serializer.validated_data["customers"],
            collector=collector,
            acting_user=request.user,
        )
        return Response({"changed": changed})
