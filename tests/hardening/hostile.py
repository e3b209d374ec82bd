"""Shared pieces for the property-based form tests: hostile input, posting it like a browser, checking the answer.

Every form must answer arbitrary input with either a clear GOV.UK error (400 and "There is a problem") or a clean
save (usually a redirect), never a server error, and no page may ever contain markup that came from the input.
"""

from __future__ import annotations

from urllib.parse import urlencode

from bs4 import BeautifulSoup
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from sqlalchemy import func, inspect, select

from engage.db import session as db_session
from tests.conftest import csrf_from

MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<b onmouseover=alert(1)>bold</b>",
    "[link](javascript:alert(1))",
    "<svg/onload=alert(1)>",
]
SAMPLES = [
    *MARKUP,
    '=HYPERLINK("http://evil.example")',
    "\x00",
    "nul \x00 byte",
    "\x01\x1b[31m",
    "bell \x07 and delete \x7f",
    "\u202etxt.exe",
    "\u200b",
    "\ufeffbom",
    "   ",
    "line one\r\nline two\rline three",
    "ｆｕｌｌｗｉｄｔｈ",
    "cafÃ© mojibake â€™",
    "Ünïcödé ✓ 漢字 عربى",
    "💥" * 200,
    "a" * 10_000,
    "word " * 20_000,
]
TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=3000),
    st.sampled_from(SAMPLES),
)
# Bytes are posted as they are: other encodings and invalid UTF-8 reach the app the way a misconfigured client sends.
MIXED_ENCODINGS = st.one_of(
    st.text(max_size=80).map(lambda t: t.encode("utf-16")),
    st.text(max_size=80).map(lambda t: t.encode("latin-1", errors="replace")),
    st.text(max_size=80).map(lambda t: t.encode("cp1252", errors="replace")),
    st.binary(max_size=200),
)
HOSTILE = st.one_of(TEXT, TEXT, MIXED_ENCODINGS)
EMAILS = st.one_of(
    HOSTILE,
    st.sampled_from(["new.person@example.org", " Mixed.Case@Example.ORG ", "o'brien+tag@example.co.uk"]),
    st.emails().map(lambda e: e[:254]),
    st.builds(lambda local: f"{local}@example.org", st.text(min_size=1, max_size=70)),
    st.sampled_from(
        ["<script>@example.org", "a@b", "a\x00@example.org", "x@exa mple.org", "ünï@exämple.org", "a@" + "b" * 300]
    ),
)


def choice_or_hostile(*valid: str):  # type: ignore[no-untyped-def]
    """A valid choice most of the time, so saves happen too; otherwise anything at all."""
    return st.one_of(st.sampled_from(list(valid)), st.sampled_from(list(valid)), HOSTILE, st.just(""))


def hostile_version(valid: dict, hostile: dict, most: int = 3):  # type: ignore[no-untyped-def]
    """The valid form with one to `most` of its fields replaced by hostile values, so that saves happen as well
    as refusals (with every field hostile at once, nearly everything is refused)."""
    names = sorted(hostile)
    return st.lists(st.sampled_from(names), min_size=1, max_size=min(most, len(names)), unique=True).flatmap(
        lambda keys: st.fixed_dictionaries({k: hostile[k] for k in keys}).map(lambda h: {**valid, **h})
    )


def settings_for(examples: int = 20):  # type: ignore[no-untyped-def]
    return settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))


SETTINGS = settings_for(20)


def post_raw(client, url: str, fields: dict, get_url: str | None = None):  # type: ignore[no-untyped-def]
    """Post a form the way a browser does (CSRF token from the page first); bytes values are sent undecoded."""
    token = csrf_from(client.get(get_url or url).get_data(as_text=True))
    pairs: list[tuple[str, str | bytes]] = [("csrf_token", token)]
    for name, value in fields.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is not None:
                pairs.append((name, item))
    return client.post(url, data=urlencode(pairs), content_type="application/x-www-form-urlencoded")


def assert_no_live_markup(html: str) -> None:
    """Nothing from the input became markup: no injected script, event handler or javascript: link."""
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html and "<svg/onload" not in html
    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script"):
        assert "alert(1)" not in (script.string or "")
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), f"<{tag.name} {name}=...> came from the input"
            values = value if isinstance(value, list) else [value]
            assert not any(str(v).strip().lower().startswith("javascript:") for v in values), f"{name}={value!r}"


def outcome(response, saved: tuple[int, ...] = (302,)) -> bool:  # type: ignore[no-untyped-def]
    """True when the input was saved, False when it was refused clearly; fails on anything else."""
    status = response.status_code
    assert status in (*saved, 400), f"status {status}"
    html = response.get_data(as_text=True)
    assert_no_live_markup(html)
    if status == 400:
        assert "There is a problem" in html, html[:2000]
        summary = BeautifulSoup(html, "html.parser").select_one(".govuk-error-summary__list")
        event("refused: " + (summary.get_text(" ", strip=True)[:60] if summary else "?"))
        return False
    event("saved")
    return True


def clean(value: str | None) -> bool:
    """Stored text holds no NUL or other control characters (newlines and tabs are fine)."""
    return not any(ord(ch) < 32 and ch not in "\n\r\t" or 0x7F <= ord(ch) < 0xA0 for ch in value or "")


def row(model, key) -> dict:  # type: ignore[no-untyped-def]
    """The stored columns of one row, read afresh (to show a refused form changed nothing)."""
    db_session.expire_all()
    obj = db_session.get(model, key)
    return {c.key: getattr(obj, c.key) for c in inspect(model).column_attrs} if obj is not None else {}


def count(model, *where) -> int:  # type: ignore[no-untyped-def]
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(model).where(*where))
