"""Pages for the ageing, the KPIs and the collection of overdue accounts (HANDBOOK §8)."""

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from creditdesk.authority import may
from creditdesk.errors import DomainError
from creditdesk.views import apply_domain_error, check
from customers.views import dossier_context, get_customer_for
from receivables.collection import ageing, kpis, services
from receivables.collection.forms import AgeingFilterForm, CollectionEntryForm, DrillDownForm
from receivables.models import ReminderLog


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
        for row in rows:
            row["label"] = f"{row['customer__name']} ({row['customer__erp_code']})"
            row["drill"] = f"customer={row['customer_id']}"
    return rows, ageing.ageing_total(as_of, customers=customers), customers


@login_required
def ageing_page(request):
    check(request.user, "receivables.ageing.view")
    form = AgeingFilterForm(request.GET or None)
    as_of, group = form.as_of_or_today(), form.group_or_default()
    rows, total, customers = _rows(request, as_of, group)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for row in page:
        row["cells"] = [(key, row[key]) for key in ageing.BUCKET_KEYS]
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
    head = [
        {"salesperson": _("Salesperson"), "group": _("Customer group")}.get(group, _("Customer"))
    ]
    head += [str(b.label) for b in ageing.BUCKETS]
    head += [_("Open total"), _("Overdue"), _("Written off"), _("Unallocated"), _("Net balance")]
    keys = [*ageing.BUCKET_KEYS, "open_total", "overdue_total", "written_off", "unallocated"]
    keys.append("net_balance")
    body = [[row["label"], *[row[k] for k in keys]] for row in rows]
    body.append([_("Total"), *[total[k] for k in keys]])
    return head, body


@login_required
def ageing_export(request, fmt: str):
    check(request.user, "receivables.ageing.view")
    if fmt not in {"csv", "xlsx"}:
        raise Http404
    form = AgeingFilterForm(request.GET or None)
    as_of, group = form.as_of_or_today(), form.group_or_default()
    rows, total, _customers = _rows(request, as_of, group)
    head, body = _export_table(rows, total, group)
    filename = f"ageing-{group}-{as_of:%Y%m%d}"
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = _("Ageing")[:31]
        sheet.append([_("As of"), as_of])
        sheet.append(head)
        for line in body:
            sheet.append([float(v) if not isinstance(v, str) else v for v in line])
        for row in sheet.iter_rows(min_row=3, min_col=2):
            for cell in row:
                cell.number_format = "#,##0.00"
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response.write("\ufeff")  # so spreadsheet programs read the Chinese names as UTF-8
        writer = csv.writer(response)
        writer.writerow(head)
        writer.writerows(body)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


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
