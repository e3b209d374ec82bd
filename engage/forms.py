"""Form pieces shared by every blueprint."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
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


def select_choices(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """(value, label) pairs as the SelectChoice objects WTForms takes for the choices of a SelectField, RadioField or
    SelectMultipleField (it deprecates plain tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


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


class _GovukWording:
    """WTForms' built-in messages in the words GOV.UK pages use (WTForms asks its Meta for these)."""

    CHOOSE = "Select one of the options shown"
    MESSAGES = {
        "Not a valid choice.": CHOOSE,
        "'%(value)s' is not a valid choice for this field.": CHOOSE,
        "Invalid Choice: could not coerce.": CHOOSE,
        "Invalid choice(s): one or more data inputs could not be coerced.": CHOOSE,
        "Not a valid integer value.": "Enter a whole number, like 3",
        "Not a valid decimal value.": "Enter a number, like 2.5",
        "Not a valid float value.": "Enter a number, like 2.5",
        "Not a valid date value.": "Enter a real date, like 27/3/2027",
        "Not a valid datetime value.": "Enter a real date and time",
        "Not a valid time value.": "Enter a real time, like 17:00",
        "This field is required.": "Enter an answer",
    }

    def gettext(self, text: str) -> str:
        return self.MESSAGES.get(text, text)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


_GOVUK_WORDING = _GovukWording()


class EngageForm(FlaskForm):
    """Every Engage form: Flask-WTF (CSRF) with WTForms' own messages worded as on GOV.UK pages."""

    class Meta:
        def get_translations(self, form):  # type: ignore[no-untyped-def]
            return _GOVUK_WORDING
