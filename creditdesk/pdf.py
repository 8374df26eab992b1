"""PDFs: a Django template rendered in a language, laid out by WeasyPrint with a CJK font."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation


def render_pdf(template_name: str, context: dict, *, language: str | None = None) -> bytes:
    """Render `templates/<app>/pdf/...` (extending `pdf/base.html`) to PDF bytes.

    The font family is set on `html` and `@page` in the base template, so page-margin boxes
    (headers, page numbers) print Chinese too.
    """
    from weasyprint import HTML  # imported late: loading Pango costs time at startup

    with translation.override(language or settings.LANGUAGE_CODE):
        html = render_to_string(template_name, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
