"""Pages for the ageing, the KPIs and the collection of overdue accounts (HANDBOOK §8)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from creditdesk import exports
from creditdesk.authority import may
from creditdesk.errors import DomainError, NotAllowed, NotFound
from creditdesk.policy import policy_on
from creditdesk.views import apply_domain_error, check
from customers.views import dossier_context, get_customer_for
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
from receivables.collection.forms import (
    AgeingFilterForm,
    CollectionEntryForm,
    DisputeAttachForm,
    DisputeForm,
    DisputeResolveForm,
    DrillDownForm,
    LetterDecisionForm,
    LimitationRestartForm,
    PromiseForm,
    ReassignForm,
    StatementConfirmationForm,
    StatementPeriodForm,
)
from receivables.models import CustomerStatement, DisputeAttachment, DunningLetter, ReminderLog


def _rows(request, as_of, group):
    customers = ageing.customers_for(request.user)
    if group == "salesperson":
        rows = ageing.ageing_by_salesperson(as_of, customers=customers)
        for row in rows:
            row["label"] = row["salesperson_name"] or row["salesperson_username"] or "—"
            row["drill"] = f"salesperson={row['customer__salesperson_id'] or ''}"
    elif group == "group":
        rows = ageing.ageing_by_group(as_of, customers=customers)
        for row in rows:
            row["label"] = row["customer__group__name"] or _("Outside any customer group")
            row["drill"] = f"group={row['customer__group_id'] or 0}"
    else:
        rows = ageing.ageing_by_customer(as_of, customers=customers)
    # The total is the rows' sum: one scan of the invoices, not two.
    return rows, ageing.total_of(rows, as_of, customers=customers), customers


def _label_customer_row(row: dict) -> None:
    """A customer's row is labelled when it is shown (a page of 50, not all 20,000)."""
    if "label" not in row:
        row["label"] = f"{row['customer__name']} ({row['customer__erp_code']})"
        row["drill"] = f"customer={row['customer_id']}"


@login_required
def ageing_page(request):
    check(request.user, "receivables.ageing.view")
    form = AgeingFilterForm(request.GET or None)
    as_of, group = form.as_of_or_today(), form.group_or_default()
    rows, total, customers = _rows(request, as_of, group)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for row in page:
        row["cells"] = [(key, row[key]) for key in ageing.BUCKET_KEYS]
        _label_customer_row(row)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "receivables/ageing/ageing.html",
        {
            "form": form,
            "as_of": as_of,
            "group": group,
            "page": page,
            "query": query.urlencode(),
            "buckets": ageing.BUCKETS,
            "total": total,
            "total_cells": [(key, total[key]) for key in ageing.BUCKET_KEYS],
            "structure": ageing.structure(total),
            "trend": kpis.trend(as_of, months=12, customers=customers),
        },
    )


def _export_table(rows, total, group):
    """The ageing as columns and rows; a customer's code and name are columns of their own."""
    if group in ("salesperson", "group"):
        title = _("Salesperson") if group == "salesperson" else _("Customer group")
        columns = [exports.Column(title)]
        lead = [[row["label"]] for row in rows]
    else:
        columns = [exports.Column(_("Customer code")), exports.Column(_("Customer"))]
        lead = [[row["customer__erp_code"], row["customer__name"]] for row in rows]
    titles = [str(b.label) for b in ageing.BUCKETS]
    titles += [_("Open total"), _("Overdue"), _("Disputed"), _("Written off"), _("Unallocated")]
    titles.append(_("Net balance"))
    columns += [exports.Column(title, exports.MONEY) for title in titles]
    keys = [*ageing.BUCKET_KEYS, "open_total", "overdue_total", "disputed", "written_off"]
    keys.append("unallocated")
    keys.append("net_balance")
    body = [[*first, *[row[k] for k in keys]] for first, row in zip(lead, rows, strict=True)]
    blanks = [""] * (len(columns) - len(keys) - 1)
    body.append([_("Total"), *blanks, *[total[k] for k in keys]])
    return columns, body


@login_required
def ageing_export(request, fmt: str):
    check(request.user, "receivables.ageing.view")
    if fmt not in {"csv", "xlsx"}:
        raise Http404
    form = AgeingFilterForm(request.GET or None)
    as_of, group = form.as_of_or_today(), form.group_or_default()
    rows, total, _customers = _rows(request, as_of, group)
    columns, body = _export_table(rows, total, group)
    return exports.export_response(
        fmt,
        filename=f"ageing-{group}-{as_of:%Y%m%d}",
        columns=columns,
        rows=body,
        sheet_title=f"{_('Ageing')} {as_of:%Y-%m-%d}",
    )


@login_required
def ageing_invoices(request):
    check(request.user, "receivables.ageing.view")
    form = DrillDownForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    as_of = filters.get("as_of") or AgeingFilterForm().as_of_or_today()
    invoices = ageing.ageing_invoices(
        as_of,
        customers=ageing.customers_for(request.user),
        customer_id=filters.get("customer"),
        salesperson_id=filters.get("salesperson"),
        group_id=filters.get("group"),
        bucket=filters.get("bucket") or None,
    )
    page = Paginator(invoices, 50).get_page(request.GET.get("page"))
    for invoice in page:
        invoice.days_overdue = (as_of - invoice.due_date).days
    query = request.GET.copy()
    query.pop("page", None)
    bucket = next((b for b in ageing.BUCKETS if b.key == filters.get("bucket")), None)
    return render(
        request,
        "receivables/ageing/invoices.html",
        {"page": page, "as_of": as_of, "bucket": bucket, "query": query.urlencode()},
    )


@login_required
def kpi_page(request):
    check(request.user, "receivables.kpi.view")
    form = AgeingFilterForm(request.GET or None)
    as_of = form.as_of_or_today()
    customers = ageing.customers_for(request.user)
    return render(
        request,
        "receivables/ageing/kpis.html",
        {
            "form": form,
            "as_of": as_of,
            "kpis": kpis.kpis(as_of, customers=customers),
            "trend": kpis.trend(as_of, customers=customers),
        },
    )


@login_required
def collection_queue(request):
    check(request.user, "receivables.collection.view")
    stage = request.GET.get("stage") or None
    if stage not in services.Stage.ALL:
        stage = None
    accounts = services.overdue_accounts(customers=ageing.customers_for(request.user), stage=stage)
    page = Paginator(accounts, 50).get_page(request.GET.get("page"))
    stages = [(s, services.Stage.LABELS[s]) for s in services.Stage.ALL[1:]]
    return render(
        request,
        "receivables/ageing/collection_queue.html",
        {"page": page, "stage": stage, "stages": stages},
    )


@login_required
def customer_collection(request, pk: int):
    customer = get_customer_for(request.user, pk, "receivables.collection.view")
    context = dossier_context(request, customer, "collection")
    context["account"] = services.account_of(customer)
    context["entries"] = services.collection_log_of(customer)[:100]
    context["reminders"] = ReminderLog.objects.filter(customer=customer).order_by(
        "-for_date", "-id"
    )[:20]
    context["can_log"] = may(request.user, "receivables.collection.log", customer)
    context["promises"] = promises.promises_of(customer)[:50]
    context["promise_counts"] = promises.promise_counts(customer)
    context["holding_disputes"] = disputes.disputes_for(
        request.user, customer=customer, status="holding"
    )
    context["form"] = CollectionEntryForm() if context["can_log"] else None
    return render(request, "receivables/ageing/customer_collection.html", context)


@login_required
def collection_entry_add(request, pk: int):
    customer = get_customer_for(request.user, pk, "receivables.collection.log")
    form = CollectionEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.collection_entry_add(
                customer=customer, acting_user=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Collection entry recorded."))
            return redirect("customer-collection", pk=pk)
    context = dossier_context(request, customer, "collection")
    context["form"] = form
    return render(request, "receivables/ageing/entry_form.html", context)


# ------------------------------------------------------------ letters, statements, limitation
# Issue 17 §3–§5: the dossier's tab, legal's and the post's queues, the limitation queue.


def _letters_context(request, customer, *, period_form=None, restart_form=None) -> dict:
    policy = policy_on()
    context = dossier_context(request, customer, "letters")
    context["level"] = dunning.level_of(customer)
    context["held"] = dunning.held_customers(timezone.localdate()).filter(pk=customer.pk).exists()
    context["levels"] = dunning.levels_of(policy)
    context["letters"] = dunning.letters_of(customer)
    context["statements"] = statements.statements_of(customer)
    context["invoices"] = limitation.with_limitation(
        limitation.open_invoices().filter(customer=customer).order_by("due_date", "id")[:200],
        policy,
    )
    context["lapsed_count"] = sum(1 for i in context["invoices"] if i.limitation_lapsed)
    context["restarts"] = customer.limitation_restarts.select_related("recorded_by")[:50]
    context["can_produce"] = may(request.user, "receivables.statement.produce", customer)
    context["can_confirm"] = may(request.user, "receivables.statement.confirm", customer)
    context["can_restart"] = may(request.user, "receivables.limitation.record", customer)
    context["can_approve"] = may(request.user, "receivables.dunning.approve", customer)
    context["can_post"] = may(request.user, "receivables.dunning.post", customer)
    if context["can_produce"]:
        start = timezone.localdate().replace(day=1)
        context["period_form"] = period_form or StatementPeriodForm(
            initial={"period_start": start, "period_end": timezone.localdate()}
        )
    if context["can_restart"]:
        context["restart_form"] = restart_form or LimitationRestartForm()
    return context


@login_required
def customer_letters(request, pk: int):
    customer = get_customer_for(request.user, pk, "receivables.collection.view")
    return render(
        request, "receivables/letters/customer_letters.html", _letters_context(request, customer)
    )


@login_required
@require_POST
def statement_produce(request, pk: int):
    customer = get_customer_for(request.user, pk, "receivables.statement.produce")
    form = StatementPeriodForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        period = {"period_start": data["period_start"], "period_end": data["period_end"]}
        try:
            if data["action"] == "email":
                statements.statement_send(customer=customer, acting_user=request.user, **period)
            else:
                _statement, figures = statements.statement_produce(
                    customer=customer, acting_user=request.user, **period
                )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            if data["action"] == "email":
                messages.success(request, _("Statement e-mailed to the customer."))
                return redirect("customer-letters", pk=pk)
            name = f"statement-{customer.erp_code}-{period['period_start']:%Y%m%d}-"
            name += f"{period['period_end']:%Y%m%d}"
            if data["action"] == "xlsx":
                response = HttpResponse(
                    statements.statement_xlsx(figures), content_type=exports.XLSX_TYPE
                )
                response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
                return response
            language = customer.preferred_language or settings.LANGUAGE_CODE
            response = HttpResponse(
                statements.statement_pdf(figures, language), content_type="application/pdf"
            )
            response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
            return response
    context = _letters_context(request, customer, period_form=form)
    return render(request, "receivables/letters/customer_letters.html", context, status=400)


@login_required
def statement_confirm(request, pk: int, statement_pk: int):
    customer = get_customer_for(request.user, pk, "receivables.statement.confirm")
    statement = get_object_or_404(CustomerStatement, pk=statement_pk, customer=customer)
    form = StatementConfirmationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            statements.statement_confirm(
                statement=statement,
                acting_user=request.user,
                confirmed=data["answer"] == "confirmed",
                confirmed_on=data["confirmed_on"],
                confirmed_balance=data["confirmed_balance"],
                differences=data["differences"],
                signed_copy=data["signed_copy"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("The customer's answer is recorded."))
            return redirect("customer-letters", pk=pk)
    context = dossier_context(request, customer, "letters")
    context.update(form=form, statement=statement)
    return render(request, "receivables/letters/statement_confirm.html", context)


@login_required
@require_POST
def limitation_restart_add(request, pk: int):
    customer = get_customer_for(request.user, pk, "receivables.limitation.record")
    form = LimitationRestartForm(request.POST, request.FILES or None)
    if form.is_valid():
        try:
            limitation.limitation_restart_record(
                customer=customer, acting_user=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("The limitation period is restarted."))
            return redirect("customer-letters", pk=pk)
    context = _letters_context(request, customer, restart_form=form)
    return render(request, "receivables/letters/customer_letters.html", context, status=400)


def _letter_for(user, pk: int, action: str) -> DunningLetter:
    letter = get_object_or_404(DunningLetter.objects.select_related("customer"), pk=pk)
    check(user, "receivables.collection.view", letter.customer)
    check(user, action, letter.customer)
    return letter


@login_required
def letter_pdf(request, pk: int):
    letter = _letter_for(request.user, pk, "receivables.collection.view")
    if letter.pdf:
        content = letter.pdf.read()
    elif letter.status == DunningLetter.Status.AWAITING_LEGAL:
        content = dunning.draft_pdf(letter)  # legal reads the draft before approving it
    else:
        raise Http404
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{letter.kind}-{letter.customer.erp_code}-{letter.for_date:%Y%m%d}.pdf"'
    )
    return response


@login_required
@require_POST
def letter_decide(request, pk: int, decision: str):
    action = "receivables.dunning.post" if decision == "posted" else "receivables.dunning.approve"
    letter = _letter_for(request.user, pk, action)
    form = LetterDecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if decision == "approve":
            dunning.letter_approve(letter=letter, acting_user=request.user, note=note)
            messages.success(request, _("The lawyer's letter is approved and goes out now."))
        elif decision == "stop":
            dunning.letter_stop(letter=letter, acting_user=request.user, note=note)
            messages.success(request, _("The letter is stopped."))
        elif decision == "posted":
            dunning.letter_mark_posted(letter=letter, acting_user=request.user)
            messages.success(request, _("The letter is marked as posted."))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, str(exc.message))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "receivables-letters"
    return redirect(target or "receivables-letters")


@login_required
def letter_queue(request):
    """Legal's lawyer's letters to approve and the credit team's letters to post."""
    check(request.user, "receivables.collection.view")
    can_approve = may(request.user, "receivables.dunning.approve")
    can_post = may(request.user, "receivables.dunning.post")
    if not (can_approve or can_post):
        raise PermissionDenied
    customers = ageing.customers_for(request.user)
    return render(
        request,
        "receivables/letters/queue.html",
        {
            "awaiting": dunning.awaiting_legal(customers)[:200] if can_approve else [],
            "to_post": dunning.awaiting_post(customers)[:200] if can_post else [],
            "can_approve": can_approve,
            "can_post": can_post,
        },
    )


@login_required
def limitation_queue(request):
    check(request.user, "receivables.limitation.view")
    policy = policy_on()
    invoices = limitation.ending_within(customers=ageing.customers_for(request.user))
    page = Paginator(invoices, 50).get_page(request.GET.get("page"))
    limitation.with_limitation(page.object_list, policy)
    return render(
        request,
        "receivables/letters/limitation_queue.html",
        {"page": page, "days": policy.limitation_warning_days},
    )


# --- Disputes (issue 17 §1) ---------------------------------------------------------------------


def _dispute_or_404(user, pk: int, action: str = "receivables.dispute.view"):
    try:
        return disputes.dispute_for(user, pk, action)
    except NotFound:
        raise Http404 from None
    except NotAllowed as exc:
        raise PermissionDenied(str(exc.message)) from exc


DISPUTE_FILTERS = ("holding", "open", "all")


@login_required
def dispute_list(request):
    check(request.user, "receivables.dispute.view")
    shown = request.GET.get("status") if request.GET.get("status") in DISPUTE_FILTERS else "holding"
    rows = disputes.disputes_for(request.user, status=None if shown == "all" else shown)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "receivables/disputes/list.html",
        {"page": page, "shown": shown, "today": timezone.localdate()},
    )


@login_required
def customer_disputes(request, pk: int):
    customer = get_customer_for(request.user, pk, "receivables.dispute.view")
    context = dossier_context(request, customer, "disputes")
    context["disputes"] = disputes.disputes_for(request.user, customer=customer)[:200]
    context["can_raise"] = may(request.user, "receivables.dispute.raise", customer)
    context["today"] = timezone.localdate()
    return render(request, "receivables/disputes/customer.html", context)


@login_required
def dispute_new(request, pk: int):
    customer = get_customer_for(request.user, pk, "receivables.dispute.raise")
    form = DisputeForm(
        request.POST or None,
        request.FILES or None,
        customer=customer,
        owners=worklist.collectors(),
        initial={"owner": request.user.pk},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        file = data.pop("file")
        try:
            dispute = disputes.dispute_raise(
                acting_user=request.user, files=[file] if file else [], **data
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Dispute raised."))
            return redirect("dispute-detail", pk=dispute.pk)
    context = dossier_context(request, customer, "disputes")
    context["form"] = form
    return render(request, "receivables/disputes/form.html", context)


@login_required
def dispute_detail(request, pk: int):
    dispute = _dispute_or_404(request.user, pk)
    context = dossier_context(request, dispute.customer, "disputes")
    actions = disputes.available_actions(request.user, dispute)
    context.update(
        dispute=dispute,
        attachments=dispute.attachments.select_related("uploaded_by"),
        resolve_form=DisputeResolveForm() if "resolve" in actions else None,
        attach_form=DisputeAttachForm()
        if may(request.user, "receivables.dispute.raise", dispute.customer)
        else None,
    )
    return render(request, "receivables/disputes/detail.html", context)


@login_required
@require_POST
def dispute_resolve(request, pk: int):
    dispute = _dispute_or_404(request.user, pk, "receivables.dispute.resolve")
    form = DisputeResolveForm(request.POST)
    if form.is_valid():
        try:
            disputes.dispute_resolve(dispute=dispute, acting_user=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Dispute resolved."))
            return redirect("dispute-detail", pk=pk)
    context = dossier_context(request, dispute.customer, "disputes")
    context.update(
        dispute=dispute,
        attachments=dispute.attachments.select_related("uploaded_by"),
        resolve_form=form,
        attach_form=None,
    )
    return render(request, "receivables/disputes/detail.html", context, status=400)


@login_required
@require_POST
def dispute_attach(request, pk: int):
    dispute = _dispute_or_404(request.user, pk, "receivables.dispute.raise")
    form = DisputeAttachForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            disputes.dispute_attach(
                dispute=dispute, file=form.cleaned_data["file"], acting_user=request.user
            )
        except DomainError as exc:
            messages.error(request, " ".join(str(m) for v in exc.field_errors.values() for m in v))
        else:
            messages.success(request, _("Attachment added."))
    else:
        messages.error(request, _("Choose a file to attach."))
    return redirect("dispute-detail", pk=pk)


@login_required
def dispute_file(request, pk: int):
    attachment = get_object_or_404(DisputeAttachment.objects.select_related("dispute"), pk=pk)
    _dispute_or_404(request.user, attachment.dispute_id)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name or attachment.file.name.rsplit("/", 1)[-1],
    )


# --- Promises to pay (issue 17 §2) --------------------------------------------------------------


@login_required
def promise_new(request, pk: int):
    customer = get_customer_for(request.user, pk, "receivables.collection.log")
    form = PromiseForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            promises.promise_make(customer=customer, acting_user=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Promise to pay recorded."))
            return redirect("customer-collection", pk=pk)
    context = dossier_context(request, customer, "collection")
    context["form"] = form
    return render(request, "receivables/promises/form.html", context)


# --- The worklist (issue 17 §6) -----------------------------------------------------------------

WORKLIST_VIEWS = ("mine", "all", "unassigned")


@login_required
def worklist_page(request):
    check(request.user, "receivables.worklist.view")
    can_reassign = may(request.user, "receivables.worklist.reassign")
    sees_all = may(request.user, "receivables.worklist.view_all")
    view = request.GET.get("view") if request.GET.get("view") in WORKLIST_VIEWS else "mine"
    if not sees_all:
        view = "mine"
    rows = worklist.worklist(
        collector=request.user if view == "mine" else None,
        unassigned=view == "unassigned",
        customers=ageing.customers_for(request.user),
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    page.object_list = worklist.decorate(page.object_list)
    form = ReassignForm(collectors=worklist.collectors()) if can_reassign else None
    return render(
        request,
        "receivables/worklist/worklist.html",
        {
            "page": page,
            "view": view,
            "views": WORKLIST_VIEWS if sees_all else (),
            "form": form,
            "query": f"view={view}",
        },
    )


@login_required
@require_POST
def worklist_reassign(request):
    check(request.user, "receivables.worklist.reassign")
    form = ReassignForm(request.POST, collectors=worklist.collectors())
    if not form.is_valid():
        messages.error(request, " ".join(str(m) for errors in form.errors.values() for m in errors))
        return redirect("receivables-worklist")
    try:
        changed = worklist.collectors_assign(
            customer_ids=form.cleaned_data["customers"],
            collector=form.cleaned_data["collector"],
            acting_user=request.user,
        )
    except DomainError as exc:
        messages.error(request, " ".join(str(m) for v in exc.field_errors.values() for m in v))
    else:
        messages.success(
            request,
            ngettext("%(n)s customer reassigned.", "%(n)s customers reassigned.", changed)
            % {"n": changed},
        )
    return redirect(f"{reverse('receivables-worklist')}?view=all")
