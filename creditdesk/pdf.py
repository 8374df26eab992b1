"""PDFs: a Django template rendered in a language, laid out by WeasyPrint with a CJK font."""

from collections.abc import Callable

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation


def letterhead() -> dict:
    """The company's letterhead on every PDF (issue 18 §3), from settings."""
    return {
        "name": settings.COMPANY_NAME,
        "name_en": settings.COMPANY_NAME_EN,
        "address": settings.COMPANY_ADDRESS,
        "phone": settings.COMPANY_PHONE,
        "email": settings.COMPANY_EMAIL,
    }


def render_pdf(
    template_name: str, context: dict | Callable[[], dict], *, language: str | None = None
) -> bytes:
    """Render `templates/<app>/pdf/...` (extending `pdf/base.html`) to PDF bytes.

    `context` may be a function: it is then called in the PDF's language, so labels it reads
    (chapter titles, choices) print in that language, not the requester's. The font family is set
    on `html` and `@page` in the base template, so page-margin boxes print Chinese too.
    """
    from weasyprint import HTML  # imported late: loading Pango costs time at startup

    with translation.override(language or settings.LANGUAGE_CODE):
        values = context() if callable(context) else dict(context)
        values.setdefault("company", letterhead())
        html = render_to_string(template_name, values)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
