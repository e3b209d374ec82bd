"""Importing paper responses (all or nothing) and exporting responses (redacted, formula-safe, recorded)."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from engage.db import session as db_session
from engage.models.consultations import ExportRecord, Response, ResponseSource
from tests.conftest import post_form
from tests.consultations.conftest import base_url
from tests.consultations.test_resident import answer_all, submit


def manage_url(council, consultation):
    return f"/c/{council.slug}/manage/consultations/{consultation.id}"


def upload(client, council, consultation, text: str):
    url = f"{manage_url(council, consultation)}/import"
    return post_form(
        client, url, {"file": (io.BytesIO(text.encode("utf-8")), "paper.csv")}, content_type="multipart/form-data"
    )


GOOD = (
    "Responding as,Organisation,Q1,Q2,Q3,Q4,Q5,Q6,Q7\n"
    'Resident,,Oppose,Too many cars,=HYPERLINK("http://evil"),Bus,Homes; Schools,Agree,Riverside\n'
    "business,Mill Lane Bakery,strongly_support,Good for trade,,bike,parks,strongly disagree,NB1 4AA\n"
)


def test_import_stores_every_row_marked_imported(signed_in, council, make_consultation):
    client, _officer = signed_in("officer")
    consultation = make_consultation()
    response = upload(client, council, consultation, GOOD)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    responses = db_session.scalars(select(Response).order_by(Response.id)).all()
    assert len(responses) == 2
    assert all(r.source == ResponseSource.IMPORTED for r in responses)
    assert responses[1].organisation == "Mill Lane Bakery" and responses[1].postcode == "NB1 4AA"
    choices = {a.question.position: a.choices for a in responses[0].answers}
    assert choices[1] == ["oppose"] and choices[5] == ["Homes", "Schools"] and choices[7] == ["Riverside"]


def test_a_file_with_any_bad_row_imports_nothing(signed_in, council, make_consultation):
    client, _officer = signed_in("officer")
    consultation = make_consultation()
    bad = GOOD + "Resident,,Maybe,ok,,Horse,Homes,Agree,ZZZ\n" + "Resident,,,," + "x" * 300 + ",,,,\n"
    response = upload(client, council, consultation, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was imported" in html
    assert "Select an answer from the list" in html and "Enter a real postcode" in html
    assert "Your answer must be 200 characters or fewer" in html
    assert '<td class="govuk-table__cell">4</td>' in html and '<td class="govuk-table__cell">5</td>' in html
    assert db_session.scalar(select(func.count(Response.id))) == 0
    unknown = upload(client, council, consultation, "Q1,Q99\nSupport,x\n")
    assert unknown.status_code == 400 and "does not match a question" in unknown.get_data(as_text=True)
    binary = post_form(
        client,
        f"{manage_url(council, consultation)}/import",
        {"file": (io.BytesIO(b"\xff\xfe\x00\x01"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert binary.status_code == 400
    assert db_session.scalar(select(func.count(Response.id))) == 0


def test_exports_are_redacted_formula_safe_and_recorded(signed_in, client, council, make_consultation):
    consultation = make_consultation()
    answer_all(
        client,
        council,
        consultation,
        answers={
            1: {"answer": "support"},
            2: {"answer": "=1+2 email me on jo@example.com"},
            3: {"answer": "@SUM(A1) and +44 20 7946 0958"},
            7: {"ward": "", "postcode": "NB1 4AA"},
        },
    )
    submit(client, council, consultation)
    officer_client, _officer = signed_in("officer")
    csv_response = officer_client.get(f"{manage_url(council, consultation)}/export.csv")
    assert csv_response.status_code == 200
    assert "attachment" in csv_response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(csv_response.get_data(as_text=True).lstrip("\ufeff"))))
    header, row = rows[0], rows[1]
    cells = dict(zip(header, row, strict=True))
    assert cells["Q2: Why do you say that?"] == "'=1+2 email me on [email removed]"
    assert cells["Q3: Anything else?"] == "'@SUM(A1) and [phone number removed]"
    assert cells["Q1: Do you support the plan?"] == "Support"
    assert cells["Postcode"] == "NB1"
    xlsx = officer_client.get(f"{manage_url(council, consultation)}/export.xlsx?original=1")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    original = dict(zip(values[0], values[1], strict=True))
    assert original["Q2: Why do you say that?"] == "'=1+2 email me on jo@example.com"
    assert original["Postcode"] == "NB1 4AA"
    assert all(not (isinstance(v, str) and v.startswith(("=", "+", "-", "@"))) for r in values for v in r)
    records = db_session.scalars(select(ExportRecord).order_by(ExportRecord.id)).all()
    assert [(r.file_format, r.redacted, r.row_count) for r in records] == [("csv", True, 1), ("xlsx", False, 1)]


def test_analysts_get_redacted_exports_only(signed_in, council, make_consultation):
    consultation = make_consultation()
    client, _analyst = signed_in("analyst")
    assert client.get(f"{manage_url(council, consultation)}/export.csv").status_code == 200
    assert client.get(f"{manage_url(council, consultation)}/export.csv?original=1").status_code == 403
    anonymous = client.application.test_client()
    assert anonymous.get(f"{manage_url(council, consultation)}/export.csv").status_code in (302, 401, 403)


def test_round_trip_export_can_be_imported(signed_in, client, council, make_consultation):
    consultation = make_consultation()
    answer_all(client, council, consultation)
    submit(client, council, consultation)
    officer_client, _officer = signed_in("officer")
    exported = officer_client.get(f"{manage_url(council, consultation)}/export.csv?original=1").get_data(as_text=True)
    response = upload(officer_client, council, consultation, exported.lstrip("\ufeff"))
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    assert db_session.scalar(select(func.count(Response.id))) == 2
    assert base_url(council, consultation)
