"""What tests/customers/test_uploads.py leaves out: the API's size limit, how files are served."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import QualificationDocument
from tests.factories import PDF_BYTES, DocumentFactory

pytestmark = pytest.mark.django_db


def test_the_api_refuses_a_file_over_the_limit(api_as, customer, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    response = api_as("credit_team").post(
        f"/api/v1/customers/{customer.pk}/documents/",
        {"kind": "other", "file": SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * 4096)},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["file"]
    assert not QualificationDocument.objects.exists()


def test_a_served_file_is_an_attachment_that_browsers_do_not_sniff(client_as, customer):
    document = DocumentFactory(customer=customer)
    response = client_as("sales").get(reverse("document-file", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_anonymous_visitors_get_no_file(client, customer):
    document = DocumentFactory(customer=customer)
    response = client.get(reverse("document-file", args=[document.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_uploaded_files_are_not_under_a_public_url(settings):
    from django.urls import get_resolver

    assert not settings.MEDIA_URL or settings.MEDIA_URL == "/"
    media = [p for p in get_resolver().url_patterns if "media" in str(p.pattern)]
    assert media == []
