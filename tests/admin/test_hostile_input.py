"""Arbitrary input to the foundation's forms: always a clear error or a clean save, never a 500 or stored markup."""

from __future__ import annotations

import itertools

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from engage.db import db
from engage.models import Council
from tests.conftest import csrf_from, post_form

HOSTILE = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=3000),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            '=HYPERLINK("http://evil.example")',
            "\x00\x01\x1b[31m",
            "\u202etxt.exe",
            "ｆｕｌｌｗｉｄｔｈ",
            "💥" * 200,
            "a" * 10_000,
        ]
    ),
)
SLUGS = itertools.count()
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@SETTINGS
@given(email=HOSTILE, password=HOSTILE)
def test_sign_in_never_fails_badly(client, app_ctx, email, password):
    response = post_form(client, "/sign-in", {"email": email, "password": password})
    assert response.status_code in (400, 429)
    body = response.get_data(as_text=True)
    assert "There is a problem" in body or "Too many attempts" in body
    assert "<script>alert(1)</script>" not in body


@pytest.fixture
def admin_client(signed_in):
    client, _ = signed_in(site_admin=True)
    return client


@SETTINGS
@given(name=HOSTILE, intro=HOSTILE)
def test_council_form_saves_cleanly_or_explains(admin_client, name, intro):
    client = admin_client
    slug = f"council-{next(SLUGS)}"
    token = csrf_from(client.get("/admin/councils/new").get_data(as_text=True))
    response = client.post(
        "/admin/councils/new", data={"csrf_token": token, "name": name, "slug": slug, "intro": intro}
    )
    assert response.status_code in (302, 400)
    db.session.expire_all()
    council = db.session.scalar(select(Council).where(Council.slug == slug))
    if response.status_code == 400:
        assert council is None
        assert "There is a problem" in response.get_data(as_text=True)
        return
    assert council is not None
    page = client.get(f"/c/{slug}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert BeautifulSoup(page, "html.parser").h1.get_text().strip() == council.name.strip()
