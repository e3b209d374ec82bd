"""Form pieces shared by every blueprint."""

from __future__ import annotations

import unicodedata

from wtforms.validators import ValidationError

MAX_EMAIL_LENGTH = 254


def clean_text(value: str | None) -> str:
    """Strip, normalise to NFC and drop control characters (keeping newlines and tabs)."""
    if value is None:
        return ""
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cs", "Co"}).strip()


class NoControlCharacters:
    """Refuse text with control characters that clean_text would not silently remove."""

    def __init__(self, message: str = "Remove the special characters from your answer") -> None:
        self.message = message

    def __call__(self, form, field) -> None:  # type: ignore[no-untyped-def]
        data = field.data or ""
        if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in data):
            raise ValidationError(self.message)
