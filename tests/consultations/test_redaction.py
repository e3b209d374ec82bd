"""Personal details are removed from the copy of every free-text answer used outside officer views."""

from __future__ import annotations

import pytest

from engage.consultations.redaction import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Email me at jo.bloggs+plan@example.co.uk please", "Email me at [email removed] please"),
        ("Call 07700 900123 any time", "Call [phone number removed] any time"),
        ("or +44 20 7946 0958 at work", "or [phone number removed] at work"),
        ("landline 01632 960001.", "landline [phone number removed]."),
        ("I live at NB1 4AA near the park", "I live at [postcode removed] near the park"),
        ("postcode sw1a1aa", "postcode [postcode removed]"),
        ("My NI number is QQ 12 34 56 C", "My NI number is [National Insurance number removed]"),
        ("NI AB123456D here", "NI [National Insurance number removed] here"),
        ("See https://example.com/plan?id=3 for details", "See [link removed] for details"),
        ("or www.savemilllane.org.uk", "or [link removed]"),
    ],
)
def test_personal_details_are_replaced_with_labels(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "300 homes by 2027 and 1200 cars a day",
        "The A34 and the B4100 are already jammed",
        "Build 40% affordable homes, not 10%",
        "",
    ],
)
def test_ordinary_numbers_are_left_alone(text):
    assert redact(text) == text
