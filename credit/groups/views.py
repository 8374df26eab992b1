"""Customer group pages: the list, a group with its members, limit and exposure, its limit
requests, and the dossier's group tab. Thin views over the services; 404/403 in the helpers."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from creditdesk.audit import event_label, events_for
from creditdesk.errors import DomainError
from creditdesk.views import apply_domain_error, check
from customers import services as customer_services
from customers.models import Customer, CustomerGroup
from customers.views import dossier_context, get_customer_for

from .. import selectors
from ..models import GroupLimitRequest
from . import services
from .forms import GroupForm, GroupLimitRequestForm, MemberForm, ProposeForm


def get_group_for(user, pk: int, action: str = "customer.group.view") -> CustomerGroup:
    group = get_object_or_404(CustomerGroup, pk=pk)
    check(user, "customer.group.view", group)
    if action != "customer.group.view":
        check(user, action, group)
    return group


def get_request_for(user, pk: int) -> GroupLimitRequest:
    request = get_object_or_404(
        GroupLimitRequest.objects.select_related(
            "group", "requested_by", "director_by", "proposed_by", "approved_by", "policy"
        ),
        pk=pk,
    )
    check(user, "credit.group_limit.view", request)
    return request


def _error_text(exc: DomainError) -> str:
    details = "; ".join(str(e) for errs in exc.field_errors.values() for e in errs)
    return f"{exc.message} {details}".strip()


def group_panel(user, group: CustomerGroup) -> dict:
    """The group's limit, exposure and members' shares, as the group page and the dossier show
    them. A salesperson sees the shares of their own customers only (and the group's totals)."""
    limit = selectors.group_limit_of(group.pk)
    exposure = selectors.group_exposure(group.pk)
    return {
        "group": group,
        "group_limit": limit,
        "group_exposure": exposure,
        "group_available": limit - exposure if limit is not None else None,
        "shares": selectors.visible_member_shares(user, group.pk),
    }


@login_required
def group_list(request):
    check(request.user, "customer.group.view")
    qs = selectors.visible_groups(request.user).order_by("name", "pk")
    query = request.GET.get("q", "").strip()
    if query:
        qs = qs.filter(name__icontains=query) | qs.filter(code__icontains=query)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "credit/groups/group_list.html",
        {"page": page, "q": query, "query": urlencode({"q": query}) if query else ""},
    )


@login_required
def group_create(request):
    check(request.user, "customer.group.edit")
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = customer_services.group_create(acting_user=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Customer group created."))
            return redirect("credit-group", group.pk)
    return render(
        request, "credit/groups/group_form.html", {"form": form, "title": _("New customer group")}
    )


@login_required
def group_edit(request, pk: int):
    group = get_group_for(request.user, pk, "customer.group.edit")
    initial = {"name": group.name, "code": group.code, "notes": group.notes}
    form = GroupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            customer_services.group_update(
                acting_user=request.user, group=group, **form.cleaned_data
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Customer group saved."))
            return redirect("credit-group", group.pk)
    return render(
        request,
        "credit/groups/group_form.html",
        {"form": form, "group": group, "title": _("Edit customer group")},
    )


@login_required
def group_detail(request, pk: int):
    group = get_group_for(request.user, pk)
    return render(
        request,
        "credit/groups/group_detail.html",
        {
            **group_panel(request.user, group),
            "line": selectors.group_line_of(group.pk),
            "history": selectors.group_line_history(group.pk)[:50],
            "requests": selectors.group_limit_requests(group.pk)[:20],
            "member_form": MemberForm(),
            "timeline": [{"event": e, "label": event_label(e.kind)} for e in events_for(group)],
            "field_history": group.history.select_related("history_user").order_by(
                "-history_date", "-history_id"
            )[:20],
        },
    )


@login_required
@require_POST
def group_member_add(request, pk: int):
    group = get_group_for(request.user, pk, "customer.group.edit")
    form = MemberForm(request.POST)
    customer = None
    if form.is_valid():
        customer = Customer.objects.filter(erp_code=form.cleaned_data["erp_code"].strip()).first()
    if customer is None:
        messages.error(request, _("No customer has this ERP code."))
        return redirect("credit-group", group.pk)
    try:
        customer_services.group_add_member(acting_user=request.user, group=group, customer=customer)
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("%(c)s joined the group.") % {"c": customer.name})
    return redirect("credit-group", group.pk)


@login_required
@require_POST
def group_member_remove(request, pk: int, customer_pk: int):
    group = get_group_for(request.user, pk, "customer.group.edit")
    customer = get_object_or_404(Customer, pk=customer_pk)
    try:
        customer_services.group_remove_member(
            acting_user=request.user, group=group, customer=customer
        )
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("%(c)s left the group.") % {"c": customer.name})
    return redirect("credit-group", group.pk)


@login_required
def group_limit_request_new(request, pk: int):
    group = get_group_for(request.user, pk, "credit.group_limit.request")
    form = GroupLimitRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            limit_request = services.group_limit_request(
                group=group, acting_user=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Group limit request submitted."))
            return redirect("credit-group-limit-request", limit_request.pk)
    return render(
        request,
        "credit/groups/group_form.html",
        {"form": form, "group": group, "title": _("Request a group limit")},
    )


@login_required
def group_limit_request_detail(request, pk: int):
    limit_request = get_request_for(request.user, pk)
    return render(
        request,
        "credit/groups/request_detail.html",
        {
            "limit_request": limit_request,
            "group": limit_request.group,
            "propose_form": ProposeForm(),
            "timeline": [
                {"event": e, "label": event_label(e.kind)} for e in events_for(limit_request)
            ],
        },
    )


_ACTIONS = {
    "director-approve": "credit.group_limit.director",
    "director-reject": "credit.group_limit.director",
    "propose": "credit.group_limit.propose",
    "approve": "credit.group_limit.approve",
    "send-back": "credit.group_limit.approve",
}


@login_required
@require_POST
def group_limit_request_action(request, pk: int, action: str):
    limit_request = get_request_for(request.user, pk)
    comment = request.POST.get("comment", "")
    if action == "reject":
        rule = (
            "credit.group_limit.propose"
            if limit_request.status == GroupLimitRequest.Status.CREDIT_REVIEW
            else "credit.group_limit.approve"
        )
    elif action in _ACTIONS:
        rule = _ACTIONS[action]
    else:
        raise Http404
    check(request.user, rule, limit_request)
    try:
        if action.startswith("director-"):
            services.group_limit_director_decide(
                request=limit_request,
                approve=action == "director-approve",
                acting_user=request.user,
                comment=comment,
            )
        elif action == "propose":
            form = ProposeForm(request.POST)
            if not form.is_valid():
                messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
                return redirect("credit-group-limit-request", pk)
            services.group_limit_propose(
                request=limit_request,
                acting_user=request.user,
                limit=form.cleaned_data["limit"],
                comment=comment,
            )
        elif action == "approve":
            services.group_limit_approve(
                request=limit_request, acting_user=request.user, comment=comment
            )
        elif action == "send-back":
            services.group_limit_send_back(
                request=limit_request, acting_user=request.user, comment=comment
            )
        else:
            services.group_limit_reject(
                request=limit_request, acting_user=request.user, comment=comment
            )
        messages.success(request, _("Done."))
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return redirect("credit-group-limit-request", pk)


@login_required
def customer_group_tab(request, customer_pk: int):
    """The dossier's group tab: the customer's group, its limit, exposure and members' shares."""
    customer = get_customer_for(request.user, customer_pk)
    context = {**dossier_context(request, customer, "group"), "group": None}
    if customer.group_id is not None:
        context.update(group_panel(request.user, customer.group))
    return render(request, "credit/groups/customer_group.html", context)
