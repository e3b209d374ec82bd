"""Arbitrary files given to the CSV import: always a clear refusal or a clean import, never an error page."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from engage.db import session as db_session
from engage.models.consultations import Answer, Response
from tests.conftest import csrf_from

HEADER = "Responding as,Organisation,Q1,Q2,Q3,Q4,Q5,Q6,Q7\n"
CELL = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        ["Oppose", "Support", "Homes", "Riverside", "NB1 4AA", "=1+1", "<script>alert(1)</script>", '"', "\x00", "💥"]
    ),
)
ROW = st.lists(CELL, min_size=0, max_size=12).map(lambda cells: ",".join(c.replace("\n", " ") for c in cells))
CSV_TEXT = st.lists(ROW, max_size=6).map(lambda rows: HEADER + "\n".join(rows))
RAW = st.one_of(
    CSV_TEXT.map(lambda t: t.encode("utf-8")),
    st.binary(max_size=400),
    CSV_TEXT.map(lambda t: t.encode("utf-16")),
    CSV_TEXT.map(lambda t: t.encode("latin-1", errors="replace")),
)


@pytest.fixture
def import_url(signed_in, council, make_consultation):
    """(an officer's client, the import page of an open consultation): made once for all the examples."""
    client, _ = signed_in("officer")
    consultation = make_consultation()
    return client, f"/c/{council.slug}/manage/consultations/{consultation.id}/import"


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=RAW)
def test_any_file_is_refused_clearly_or_imported_cleanly(import_url, data):
    client, url = import_url
    before = db_session.scalar(select(func.count(Response.id)))
    token = csrf_from(client.get(url).get_data(as_text=True))
    response = client.post(
        url,
        data={"csrf_token": token, "file": (io.BytesIO(data), "paper.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (302, 400), response.status_code
    db_session.expire_all()
    after = db_session.scalar(select(func.count(Response.id)))
    if response.status_code == 400:
        assert after == before, "a refused file imported something"
        assert "There is a problem" in response.get_data(as_text=True) or "Nothing was imported" in (
            response.get_data(as_text=True)
        )
    stored = db_session.scalars(select(Answer.text)).all()
    assert not any("\x00" in text for text in stored)
