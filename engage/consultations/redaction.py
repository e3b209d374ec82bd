"""Remove personal details from free text: the copy of every answer that is shown outside officer views."""

from __future__ import annotations

import re

import phonenumbers

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
URL_RE = re.compile(
    r"\b(?:https?://|www\.)[^\s<>\"']+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:co\.uk|org\.uk|gov\.uk|com|org|net|uk|io)"
    r"(?:/[^\s<>\"']*)?",
    re.IGNORECASE,
)
# UK postcodes (with or without the space), including the GIR 0AA special case.
POSTCODE_RE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRVWXY]) ?"
    r"[0-9][ABD-HJLNP-UW-Z]{2})\b",
    re.IGNORECASE,
)
# National Insurance numbers: two letters, six digits (optionally spaced in pairs), a suffix A-D.
NI_RE = re.compile(
    r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)(?:QQ|[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",
    re.IGNORECASE,
)

LABELS = {
    "email": "[email removed]",
    "phone": "[phone number removed]",
    "postcode": "[postcode removed]",
    "ni": "[National Insurance number removed]",
    "url": "[link removed]",
}


def _phone_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE):
        spans.append((match.start, match.end))
    return spans


def redact(text: str) -> str:
    """Replace email addresses, phone numbers, UK postcodes, NI numbers and links with labels.

    >>> redact("Call 07700 900123 or email jo@example.com, I live at NB1 4AA")
    'Call [phone number removed] or email [email removed], I live at [postcode removed]'
    """
    if not text:
        return ""
    # Emails and links first, so their digits are not mistaken for phone numbers.
    text = EMAIL_RE.sub(LABELS["email"], text)
    text = URL_RE.sub(LABELS["url"], text)
    text = NI_RE.sub(LABELS["ni"], text)
    text = POSTCODE_RE.sub(LABELS["postcode"], text)
    spans = _phone_spans(text)
    for start, end in reversed(spans):
        candidate = text[start:end]
        if sum(ch.isdigit() for ch in candidate) >= 9:
            text = text[:start] + LABELS["phone"] + text[end:]
    return text
