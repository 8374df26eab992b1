"""Uploaded files: limited by size and by type, the type read from the file's first bytes."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

# extension → the signatures a real file of that type starts with
ALLOWED_UPLOADS: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "xlsx": (b"PK\x03\x04",),
    "docx": (b"PK\x03\x04",),
}


def validate_upload(file) -> None:
    if file is None:
        return
    if file.size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("The file is too large (%(size)s); the limit is %(limit)s."),
            code="too_large",
            params={
                "size": filesizeformat(file.size),
                "limit": filesizeformat(settings.UPLOAD_MAX_BYTES),
            },
        )
    name = getattr(file, "name", "") or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = ", ".join(sorted({e.upper() for e in ALLOWED_UPLOADS if e != "jpeg"}))
    if extension not in ALLOWED_UPLOADS:
        raise ValidationError(
            _("This type of file is not accepted. Upload one of: %(allowed)s."),
            code="file_type",
            params={"allowed": allowed},
        )
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(16)
    file.seek(position)
    if not any(head.startswith(sig) for sig in ALLOWED_UPLOADS[extension]):
        raise ValidationError(
            _("The file's content does not match its name (.%(ext)s). Upload the original file."),
            code="file_content",
            params={"ext": extension},
        )
