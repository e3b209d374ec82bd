"""Form pieces shared by every blueprint."""

from __future__ import annotations

import unicodedata

from wtforms.validators import DataRequired, StopValidation, ValidationError

MAX_EMAIL_LENGTH = 254


def clean_text(value: str | None) -> str:
    """Strip, normalise to NFC and drop control characters (keeping newlines and tabs). Text made only of spaces and
    invisible formatting characters (zero-width spaces, direction marks) counts as empty."""
    if value is None:
        return ""
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cs", "Co"}).strip()
    if all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in value):
        return ""
    return value


class NoControlCharacters:
    """Refuse text with control characters that clean_text would not silently remove."""

    def __init__(self, message: str = "Remove the special characters from your answer") -> None:
        self.message = message

    def __call__(self, form, field) -> None:  # type: ignore[no-untyped-def]
        data = field.data or ""
        if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in data):
            raise ValidationError(self.message)


class TextRequired(DataRequired):
    """DataRequired for text: spaces, control characters and invisible formatting characters alone are not an answer."""

    def __call__(self, form, field) -> None:  # type: ignore[no-untyped-def]
        if isinstance(field.data, str) and not clean_text(field.data):
            field.errors[:] = []
            raise StopValidation(self.message or field.gettext("This field is required."))
        super().__call__(form, field)
