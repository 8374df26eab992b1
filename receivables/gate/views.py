"""Pages of the release gate (logistics, credit team, general manager) and the ERP file upload."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from creditdesk.authority import may
from creditdesk.errors import DomainError
from creditdesk.views import apply_domain_error, check
from receivables.gate import selectors, services
from receivables.gate.forms import (
    ApproveForm,
    AskReleaseForm,
    GateCheckForm,
    OrderMarkForm,
    ReleaseForm,
)
from receivables.gate.permissions import RELEASE_ACTIONS, release_step
from receivables.models import CustomerExposure, GateCheck, SalesOrder


@login_required
def gate_check_form(request):
    """Logistics checks an order before shipping: the decision, every reason, the credit left."""
    check(request.user, "gate.check")
    result = None
    form = GateCheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.gate_check_perform(
                customer=form.cleaned_data["customer"],
                order_ref=form.cleaned_data["order_ref"],
                amount=form.cleaned_data["amount"],
                prepaid=form.cleaned_data["prepaid"],
                contract_number=form.cleaned_data["contract"],
                acting_user=request.user,
                channel="ui",
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
    return render(
        request, "receivables/gate/gate_check_form.html", {"form": form, "result": result}
    )


@login_required
def gate_check_list(request):
    check(request.user, "gate.view")
    qs = selectors.gate_checks_for()
    status = request.GET.get("status", "")
    if status in GateCheck.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "receivables/gate/gate_check_list.html",
        {"page": page, "status": status, "statuses": GateCheck.Status.choices},
    )


def _get_check(request, pk: int, action: str = "gate.view") -> GateCheck:
    gate_check = get_object_or_404(
        GateCheck.objects.select_related(
            "customer", "requested_by", "released_by", "approved_by", "release_requested_by"
        ),
        pk=pk,
    )
    check(request.user, action, gate_check)
    return gate_check


@login_required
def gate_check_detail(request, pk: int):
    gate_check = _get_check(request, pk)
    exposure = CustomerExposure.objects.filter(customer_id=gate_check.customer_id).first()
    order = SalesOrder.objects.filter(order_ref=gate_check.order_ref).first()
    actions = {
        action.replace(".", "_"): may(request.user, action, gate_check)
        for action in RELEASE_ACTIONS
    }
    return render(
        request,
        "receivables/gate/gate_check_detail.html",
        {
            "check": gate_check,
            "exposure": exposure,
            "order": order,
            "step": release_step(gate_check),
            "actions": actions,
            "ask_form": AskReleaseForm(),
            "release_form": ReleaseForm(),
            "approve_form": ApproveForm(),
            "can_cancel": gate_check.status
            not in (
                GateCheck.Status.CANCELLED,
                GateCheck.Status.EXPIRED,
                GateCheck.Status.SUPERSEDED,
            )
            and may(request.user, "gate.check", gate_check.customer),
        },
    )


def _act(request, pk: int, action: str, form_class, run, done) -> HttpResponse:
    """One step of a check's release path from its page: the form, the service, a message."""
    gate_check = _get_check(request, pk, action)
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("gate-check-detail", pk=pk)
    try:
        result = run(gate_check, form.cleaned_data)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done(result))
    return redirect("gate-check-detail", pk=pk)


@login_required
@require_POST
def gate_release_ask(request, pk: int):
    return _act(
        request,
        pk,
        "gate.release.ask",
        AskReleaseForm,
        lambda c, data: services.gate_release_ask(
            check=c, note=data["note"], acting_user=request.user
        ),
        lambda _result: _("The credit team was asked to release the order."),
    )


@login_required
@require_POST
def gate_check_release(request, pk: int):
    return _act(
        request,
        pk,
        "gate.release",
        ReleaseForm,
        lambda c, data: services.gate_check_release(
            check=c, reason=data["reason"], acting_user=request.user
        ),
        lambda _result: _("Order released."),
    )


@login_required
@require_POST
def gate_check_propose(request, pk: int):
    return _act(
        request,
        pk,
        "gate.release.propose",
        ReleaseForm,
        lambda c, data: services.gate_check_propose(
            check=c, reason=data["reason"], acting_user=request.user
        ),
        lambda _result: _("The finance director was asked to request the release."),
    )


@login_required
@require_POST
def gate_check_request(request, pk: int):
    return _act(
        request,
        pk,
        "gate.release.request",
        ApproveForm,
        lambda c, data: services.gate_check_request(
            check=c,
            approve=data["decision"] == "approve",
            comment=data["comment"],
            acting_user=request.user,
        ),
        lambda _result: _("Decision recorded."),
    )


@login_required
@require_POST
def gate_check_approve(request, pk: int):
    return _act(
        request,
        pk,
        "gate.approve",
        ApproveForm,
        lambda c, data: services.gate_check_approve(
            check=c,
            approve=data["decision"] == "approve",
            comment=data["comment"],
            acting_user=request.user,
        ),
        lambda _result: _("Decision recorded."),
    )


@login_required
@require_POST
def gate_check_cancel(request, pk: int):
    gate_check = _get_check(request, pk)
    check(request.user, "gate.check", gate_check.customer)
    try:
        services.gate_check_cancel(check=gate_check, acting_user=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Order cancelled; its reservation is freed."))
    return redirect("gate-check-detail", pk=pk)


@login_required
def gate_release_queue(request):
    """The credit team's release queue: blocked checks, and those waiting for the general manager."""
    check(request.user, "gate.view")
    rows = [(c, release_step(c)) for c in selectors.release_queue()[:200]]
    return render(request, "receivables/gate/gate_release_queue.html", {"rows": rows})


@login_required
def undelivered_list(request):
    """Released shipments not yet delivered (to recall at warning level 4+, HANDBOOK §10)."""
    check(request.user, "gate.view")
    from riskwarnings.selectors import suspended_customer_ids

    # Orders of customers at warning level 4 or above come first: they are to be recalled.
    orders = (
        selectors.undelivered_releases()
        .annotate(
            to_recall=ExpressionWrapper(
                Q(customer_id__in=suspended_customer_ids()), output_field=BooleanField()
            )
        )
        .order_by("-to_recall", "released_at", "id")
    )
    page = Paginator(orders, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "receivables/gate/undelivered_list.html",
        {
            "page": page,
            "form": OrderMarkForm(),
            "can_mark": may(request.user, "gate.order.mark"),
        },
    )


@login_required
@require_POST
def sales_order_mark(request, pk: int):
    order = get_object_or_404(SalesOrder, pk=pk)
    check(request.user, "gate.order.mark", order)
    form = OrderMarkForm(request.POST)
    if form.is_valid():
        try:
            services.sales_order_mark(
                order=order, status=form.cleaned_data["status"], acting_user=request.user
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Order %(ref)s updated.") % {"ref": order.order_ref})
    return redirect("gate-undelivered")


@login_required
def customer_gate(request, pk: int):
    """The customer's dossier tab: exposure, open orders and the gate's recent checks."""
    from customers.views import dossier_context, get_customer_for

    customer = get_customer_for(request.user, pk, "gate.view")
    context = dossier_context(request, customer, "gate")
    context.update(
        {
            "exposure": CustomerExposure.objects.filter(customer=customer).first(),
            "orders": SalesOrder.objects.filter(
                customer=customer, status__in=SalesOrder.RESERVING
            ).order_by("-released_at")[:50],
            "checks": selectors.gate_checks_for(customer.pk)[:50],
        }
    )
    return render(request, "receivables/gate/customer_gate.html", context)
