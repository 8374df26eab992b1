"""Validation of the unified social credit code (统一社会信用代码), GB 32100-2015."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The 31 characters the standard allows (no I, O, Z, S, V), in the order their values count.
CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_character(first17: str) -> str:
    total = sum(CODE_CHARSET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CODE_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    if not value:
        raise ValidationError(_("Enter the unified social credit code."), code="required")
    if len(value) != 18:
        raise ValidationError(
            _("The unified social credit code has 18 characters; this one has %(length)d."),
            code="length",
            params={"length": len(value)},
        )
    if value != value.upper():
        raise ValidationError(
            _("Write the unified social credit code in capital letters."), code="lowercase"
        )
    bad = sorted({ch for ch in value if ch not in CODE_CHARSET})
    if bad:
        raise ValidationError(
            _("The unified social credit code cannot contain: %(chars)s."),
            code="charset",
            params={"chars": " ".join(bad)},
        )
    if credit_code_check_character(value[:17]) != value[17]:
        raise ValidationError(
            _("The check character of this unified social credit code is wrong; please verify it."),
            code="check_character",
        )
