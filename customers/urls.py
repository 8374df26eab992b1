from django.urls import path

from . import views

urlpatterns = [
    path("", views.customer_list, name="customer-list"),
    path("new/", views.customer_create, name="customer-create"),
    path("lookup/", views.customer_lookup, name="customer-lookup"),
    path("<int:pk>/", views.customer_detail, name="customer-detail"),
    path("<int:pk>/edit/", views.customer_edit, name="customer-edit"),
    path("<int:pk>/documents/", views.customer_documents, name="customer-documents"),
    path("<int:pk>/documents/upload/", views.document_upload, name="document-upload"),
    path("<int:pk>/notes/", views.customer_notes, name="customer-notes"),
    path("<int:pk>/notes/add/", views.note_add, name="note-add"),
    path("<int:pk>/info-forms/add/", views.info_form_add, name="info-form-add"),
    path("<int:pk>/contacts/add/", views.contact_add, name="contact-add"),
    path("<int:pk>/contacts/<int:contact_pk>/", views.contact_add, name="contact-edit"),
    path("<int:pk>/history/", views.customer_history, name="customer-history"),
    path("<int:pk>/dossier.pdf", views.dossier_pdf, name="customer-dossier-pdf"),
    path("documents/<int:pk>/file/", views.document_file, name="document-file"),
    path("notes/<int:pk>/file/", views.note_file, name="note-file"),
]
