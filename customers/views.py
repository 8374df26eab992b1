from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.audit import AuditEvent
from creditdesk.authority import has_role, may
from creditdesk.errors import DomainError
from creditdesk.registry import DOSSIER_BADGES, DOSSIER_TABS
from creditdesk.roles import Role
from creditdesk.views import apply_domain_error, check

from . import selectors, services
from .forms import (
    ContactForm,
    CustomerFilterForm,
    CustomerForm,
    DocumentForm,
    InfoFormForm,
    NoteForm,
)
from .models import Contact, Customer, DossierNote, QualificationDocument
from .selectors import quarter_of

LOOKUP_LIMIT = 10
LOOKUP_QUERY_MAX = 100


def get_customer_for(user, pk: int, action: str = "customer.view") -> Customer:
    """The one access helper of the dossier pages: 404 when absent, 403 when not allowed."""
    customer = get_object_or_404(Customer.objects.select_related("salesperson"), pk=pk)
    check(user, action, customer)
    return customer


def dossier_context(request, customer: Customer, active: str) -> dict:
    """What every page about one customer shows: the header and the tabs this user may open."""
    tabs = [
        {
            "key": tab.key,
            "label": tab.label,
            "url": reverse(tab.url_name, args=[customer.pk]),
            "active": tab.key == active,
        }
        for tab in DOSSIER_TABS
        if may(request.user, tab.action, customer)
    ]
    badges = [badge for provider in DOSSIER_BADGES for badge in provider(request.user, customer)]
    return {
        "customer": customer,
        "glance": selectors.customer_glance(customer),
        "tabs": tabs,
        "active_tab": active,
        "dossier_badges": badges,
        "may_bind_dossier": may(request.user, "customer.dossier.export", customer),
    }


def sort_links(request, keys: tuple[str, ...]) -> dict[str, dict]:
    """{column: {"url": the list sorted by it (descending after a click on the ascending order),
    "order": "asc", "desc" or ""}} for the sortable column headers of a list page."""
    current = request.GET.get("sort", "")
    links = {}
    for key in keys:
        query = request.GET.copy()
        query.pop("page", None)
        query["sort"] = f"-{key}" if current == key else key
        order = "asc" if current == key else "desc" if current == f"-{key}" else ""
        links[key] = {"url": f"?{query.urlencode()}", "order": order}
    return links


def _can_choose_salesperson(user) -> bool:
    return has_role(user, Role.SALES_DIRECTOR, Role.CREDIT_TEAM, Role.CREDIT_MANAGER)


@login_required
def customer_list(request):
    check(request.user, "customer.list")
    form = CustomerFilterForm(request.GET or None, industries=selectors.industries())
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.customer_list(
        request.user,
        query=filters.get("q", ""),
        salesperson_id=filters["salesperson"].pk if filters.get("salesperson") else None,
        industry=filters.get("industry", ""),
        expired_documents=filters.get("expired_documents", False),
        sort=request.GET.get("sort", ""),
    )
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "customers/customer_list.html",
        {
            "page": page,
            "form": form,
            "query": query.urlencode(),
            "sort": sort_links(request, ("name", "exposure", "available", "usage")),
        },
    )


@login_required
def customer_lookup(request):
    """Issue 18 §1: customer fields look customers up as one types (name, code, credit code,
    pinyin initials): up to 10 {code, name} of the customers this user may see."""
    check(request.user, "customer.list")
    query = request.GET.get("q", "").strip()[:LOOKUP_QUERY_MAX]
    results = []
    if query:
        results = [
            {"code": code, "name": name}
            for code, name in selectors.visible_customers(request.user)
            .filter(selectors.customer_search(query))
            .order_by("name", "pk")
            .values_list("erp_code", "name")[:LOOKUP_LIMIT]
        ]
    return JsonResponse({"results": results})


@login_required
def customer_create(request):
    check(request.user, "customer.create")
    choose = _can_choose_salesperson(request.user)
    form = CustomerForm(request.POST or None, choose_salesperson=choose)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        salesperson = data.pop("salesperson", None)
        try:
            customer = services.customer_create(
                acting_user=request.user, salesperson=salesperson, **data
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request, _("Customer created with dossier %(n)s.") % {"n": customer.dossier_number}
            )
            return redirect("customer-detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form})


@login_required
def customer_edit(request, pk: int):
    customer = get_customer_for(request.user, pk, "customer.edit")
    choose = _can_choose_salesperson(request.user)
    form = CustomerForm(request.POST or None, instance=customer, choose_salesperson=choose)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in form.changed_data}
        salesperson = data.pop("salesperson", None)
        try:
            services.customer_update(
                acting_user=request.user,
                customer=Customer.objects.get(pk=pk),
                salesperson=salesperson,
                **data,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Customer saved."))
            return redirect("customer-detail", pk=pk)
    context = dossier_context(request, customer, "profile")
    context["form"] = form
    return render(request, "customers/customer_form.html", context)


@login_required
def customer_detail(request, pk: int):
    customer = get_customer_for(request.user, pk)
    context = dossier_context(request, customer, "profile")
    context["contacts"] = customer.contacts.all()
    context["document_counts"] = selectors.document_counts(customer)
    year, quarter = quarter_of(timezone.localdate())
    context["info_forms"] = customer.info_forms.select_related("submitted_by")[:8]
    context["info_form_due"] = selectors.info_form_due_date(year, quarter)
    context["info_form_filed"] = customer.info_forms.filter(year=year, quarter=quarter).exists()
    return render(request, "customers/customer_detail.html", context)


@login_required
def customer_documents(request, pk: int):
    customer = get_customer_for(request.user, pk)
    context = dossier_context(request, customer, "documents")
    context["documents"] = selectors.documents_of(customer)
    context["checklist"] = selectors.document_checklist(customer)
    return render(request, "customers/customer_documents.html", context)


@login_required
def document_upload(request, pk: int):
    customer = get_customer_for(request.user, pk, "customer.document.upload")
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_upload(
                acting_user=request.user, customer=customer, **form.cleaned_data
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Document uploaded."))
            return redirect("customer-documents", pk=pk)
    context = dossier_context(request, customer, "documents")
    context["form"] = form
    return render(request, "customers/document_form.html", context)


@login_required
def document_file(request, pk: int):
    document = get_object_or_404(QualificationDocument.objects.select_related("customer"), pk=pk)
    check(request.user, "customer.view", document.customer)
    if not document.file:
        raise Http404
    return FileResponse(
        document.file.open("rb"), as_attachment=True, filename=document.file.name.rsplit("/", 1)[-1]
    )


@login_required
def note_file(request, pk: int):
    note = get_object_or_404(DossierNote.objects.select_related("customer"), pk=pk)
    check(request.user, "customer.view", note.customer)
    if not note.attachment:
        raise Http404
    return FileResponse(
        note.attachment.open("rb"),
        as_attachment=True,
        filename=note.attachment.name.rsplit("/", 1)[-1],
    )


@login_required
def customer_notes(request, pk: int):
    customer = get_customer_for(request.user, pk)
    context = dossier_context(request, customer, "notes")
    context["notes"] = customer.notes.select_related("author")
    return render(request, "customers/customer_notes.html", context)


@login_required
def note_add(request, pk: int):
    customer = get_customer_for(request.user, pk, "customer.note.add")
    form = NoteForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.note_add(acting_user=request.user, customer=customer, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Note added."))
            return redirect("customer-notes", pk=pk)
    context = dossier_context(request, customer, "notes")
    context["form"] = form
    return render(request, "customers/note_form.html", context)


@login_required
def info_form_add(request, pk: int):
    customer = get_customer_for(request.user, pk, "customer.infoform.file")
    year, quarter = quarter_of(timezone.localdate())
    form = InfoFormForm(request.POST or None, initial={"year": year, "quarter": quarter})
    if request.method == "POST" and form.is_valid():
        try:
            services.info_form_file(
                acting_user=request.user, customer=customer, **form.cleaned_data
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Quarterly information form filed."))
            return redirect("customer-detail", pk=pk)
    context = dossier_context(request, customer, "profile")
    context["form"] = form
    return render(request, "customers/info_form_form.html", context)


@login_required
def contact_add(request, pk: int, contact_pk: int | None = None):
    customer = get_customer_for(request.user, pk, "customer.edit")
    contact = get_object_or_404(Contact, pk=contact_pk, customer=customer) if contact_pk else None
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_save(
                acting_user=request.user, customer=customer, contact=contact, **form.cleaned_data
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Contact saved."))
            return redirect("customer-detail", pk=pk)
    context = dossier_context(request, customer, "profile")
    context["form"] = form
    return render(request, "customers/contact_form.html", context)


@login_required
def customer_history(request, pk: int):
    customer = get_customer_for(request.user, pk)
    context = dossier_context(request, customer, "history")
    changes = selectors.dossier_history(customer)
    context["changes"] = changes
    context["events"] = AuditEvent.objects.filter(customer=customer).select_related("actor")[:200]
    context["mails"] = customer.sent_mails.all()[:50]
    return render(request, "customers/customer_history.html", context)


@login_required
def dossier_pdf(request, pk: int):
    """HANDBOOK §3: the whole dossier bound as one PDF with a table of contents."""
    from django.http import HttpResponse

    from .pdf import bound_dossier_pdf

    customer = get_customer_for(request.user, pk, "customer.dossier.export")
    response = HttpResponse(
        bound_dossier_pdf(customer, language=request.LANGUAGE_CODE), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="dossier-{customer.dossier_number}.pdf"'
    return response
