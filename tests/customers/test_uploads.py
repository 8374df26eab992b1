import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import QualificationDocument
from tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db


def post_upload(client, customer, upload):
    return client.post(
        reverse("document-upload", args=[customer.pk]),
        {"kind": "business_licence", "file": upload},
    )


def test_a_pdf_is_accepted(client_as, customer):
    response = post_upload(
        client_as("credit_team"), customer, SimpleUploadedFile("a.pdf", PDF_BYTES)
    )
    assert response.status_code == 302
    assert QualificationDocument.objects.filter(customer=customer).count() == 1


def test_a_file_over_the_limit_is_refused_with_the_limit_named(client_as, customer, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    big = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * 2048)
    response = post_upload(client_as("credit_team"), customer, big)
    assert response.status_code == 200
    assert "1.0" in response.content.decode()  # "the limit is 1.0 KB"
    assert response.context["form"].errors["file"]
    assert not QualificationDocument.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("virus.exe", b"MZ\x90\x00"),
        ("script.html", b"<script>"),
        ("fake.pdf", b"MZ\x90\x00 not a pdf"),
    ],
    ids=["executable", "html", "pdf-name-with-other-content"],
)
def test_wrong_types_are_refused(client_as, customer, name, content):
    response = post_upload(client_as("credit_team"), customer, SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not QualificationDocument.objects.exists()


def test_the_api_refuses_a_wrong_type_with_a_field_error(api_as, customer):
    response = api_as("credit_team").post(
        f"/api/v1/customers/{customer.pk}/documents/",
        {"kind": "other", "file": SimpleUploadedFile("x.exe", b"MZ")},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["file"]
    assert not QualificationDocument.objects.exists()


def test_files_are_served_only_to_who_may_see_the_customer(client_as, customer, make_user):
    from tests.factories import CustomerFactory, DocumentFactory

    other = CustomerFactory(salesperson=make_user("sales"))
    document = DocumentFactory(customer=other)
    assert client_as("sales").get(reverse("document-file", args=[document.pk])).status_code == 403
    response = client_as("credit_team").get(reverse("document-file", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
