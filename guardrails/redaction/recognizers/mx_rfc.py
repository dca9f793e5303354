"""Mexican RFC (Registro Federal de Contribuyentes) with homoclave: 12 (company) or 13 (person) characters."""

from __future__ import annotations

from stdnum.exceptions import ValidationError
from stdnum.mx import rfc

from .base import RegexRecognizer, Rule


class MxRfcRecognizer(RegexRecognizer):
    """RFC whose check digit is verified (python-stdnum with ``validate_check_digits=True``)."""

    ENTITY = "MX_RFC"
    PRIORITY = 68
    CONTEXT = ("rfc",)
    RULES = (Rule("rfc", r"\b[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{2}[0-9A]\b", 0.4),)

    def validate_result(self, pattern_text: str) -> bool:
        """Valid date and check digit; RFCs without homoclave are not reported."""
        try:
            rfc.validate(pattern_text, validate_check_digits=True)
        except ValidationError:
            return False
        return True
