"""Customer groups over the API: the list and one group with its limit, exposure and members."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from creditdesk.api import Authority, Pagination, paginated
from creditdesk.authority import require
from customers.models import CustomerGroup

from .. import selectors

MONEY_FIELD = {"max_digits": 18, "decimal_places": 2}


class GroupOutputSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)
    group_limit = serializers.DecimalField(
        **MONEY_FIELD, read_only=True, allow_null=True, help_text="null: no group limit"
    )
    exposure = serializers.DecimalField(
        **MONEY_FIELD, read_only=True, help_text="the members' combined exposure (CNY)"
    )

    class Meta:
        model = CustomerGroup
        fields = ["id", "name", "code", "member_count", "group_limit", "exposure"]


class MemberShareSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="customer_id")
    name = serializers.CharField()
    erp_code = serializers.CharField()
    exposure = serializers.DecimalField(**MONEY_FIELD)
    share_pct = serializers.DecimalField(
        max_digits=5, decimal_places=1, help_text="of the group's exposure, in %"
    )
    credit_limit = serializers.DecimalField(
        **MONEY_FIELD, allow_null=True, help_text="the member's own limit; null without a line"
    )


class GroupDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()
    notes = serializers.CharField()
    member_count = serializers.IntegerField()
    group_limit = serializers.DecimalField(
        **MONEY_FIELD, allow_null=True, help_text="null: no group limit"
    )
    exposure = serializers.DecimalField(
        **MONEY_FIELD, help_text="the members' combined exposure (CNY)"
    )
    available = serializers.DecimalField(
        **MONEY_FIELD, allow_null=True, help_text="group limit − exposure; null without a limit"
    )
    members = MemberShareSerializer(
        many=True, help_text="each member's share; a salesperson sees their own customers"
    )


class CustomerGroupListApi(APIView):
    permission_classes = [Authority]
    pagination_class = Pagination  # so the schema describes the paginated body
    authority_action = "customer.group.view"

    @extend_schema(responses=GroupOutputSerializer(many=True))
    def get(self, request):
        qs = selectors.visible_groups(request.user).order_by("name", "pk")
        return paginated(self, request, qs, GroupOutputSerializer)


class CustomerGroupDetailApi(APIView):
    permission_classes = [Authority]
    authority_action = "customer.group.view"

    @extend_schema(responses=GroupDetailSerializer)
    def get(self, request, pk: int):
        group = get_object_or_404(selectors.visible_groups(request.user), pk=pk)
        require(request.user, "customer.group.view", group)
        limit = group.group_limit
        detail = {
            "id": group.pk,
            "name": group.name,
            "code": group.code,
            "notes": group.notes,
            "member_count": group.member_count,
            "group_limit": limit,
            "exposure": group.exposure,
            "available": limit - group.exposure if limit is not None else None,
            "members": selectors.visible_member_shares(request.user, group.pk),
        }
        return Response(GroupDetailSerializer(detail).data)
