"""Supporting documents: PDF and images only (by content, not name), size-capped, always downloaded."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from engage.db import session as db_session
from engage.models.consultations import Document
from tests.conftest import post_form
from tests.consultations.conftest import base_url
from tests.consultations.test_resident import answer_all, submit

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" + b"\0" * 20


def upload(client, council, consultation, data: bytes, name: str, title: str = "Site plan"):
    url = f"/c/{council.slug}/manage/consultations/{consultation.id}/documents"
    return post_form(
        client, url, {"title": title, "file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def test_pdf_upload_is_served_as_a_download(signed_in, council, make_consultation):
    client, _officer = signed_in("officer")
    consultation = make_consultation()
    response = upload(client, council, consultation, PDF, "../../etc/plan<script>.pdf")
    assert response.status_code == 302
    document = db_session.scalar(select(Document))
    assert document.content_type == "application/pdf" and "/" not in document.filename and "<" not in document.filename
    resident = client.application.test_client()
    page = resident.get(base_url(council, consultation)).get_data(as_text=True)
    assert "Site plan" in page
    download = resident.get(f"{base_url(council, consultation)}/documents/{document.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert upload(client, council, consultation, PNG, "map.png", "Map").status_code == 302


def test_disguised_and_oversized_files_are_refused(signed_in, council, make_consultation, app):
    client, _officer = signed_in("officer")
    consultation = make_consultation()
    response = upload(client, council, consultation, b"<html><script>alert(1)</script></html>", "plan.pdf")
    assert response.status_code == 400
    assert "must be a PDF, PNG, JPEG, GIF or WebP" in response.get_data(as_text=True)
    app.config["DOCUMENT_MAX_BYTES"] = 100
    try:
        response = upload(client, council, consultation, PDF + b"0" * 200, "big.pdf")
    finally:
        app.config.pop("DOCUMENT_MAX_BYTES")
    assert response.status_code == 400 and "must be smaller than" in response.get_data(as_text=True)
    response = upload(client, council, consultation, b"", "empty.pdf")
    assert response.status_code == 400
    assert db_session.scalar(select(func.count(Document.id))) == 0


def test_draft_documents_are_not_public(signed_in, council, make_consultation):
    client, _officer = signed_in("officer")
    consultation = make_consultation(open=False)
    upload(client, council, consultation, PDF, "plan.pdf")
    document = db_session.scalar(select(Document))
    url = f"{base_url(council, consultation)}/documents/{document.id}"
    assert client.get(url).status_code == 200
    assert client.application.test_client().get(url).status_code == 404


def test_an_unusable_upload_folder_refuses_the_upload_with_a_message_and_nothing_else_breaks(
    signed_in, council, make_consultation, app, monkeypatch, tmp_path
):
    blocked = tmp_path / "uploads"
    blocked.write_text("a file where the upload folder should be")  # as unusable as a full or read-only disk
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(blocked))
    client, _officer = signed_in("officer")
    consultation = make_consultation()

    response = upload(client, council, consultation, PDF, "plan.pdf")

    assert response.status_code == 400
    assert "could not be saved" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Document.id))) == 0
    # the consultation's own pages and residents' responses are unaffected
    manage = client.get(f"/c/{council.slug}/manage/consultations/{consultation.id}/documents")
    assert manage.status_code == 200
    resident = client.application.test_client()
    answer_all(resident, council, consultation)
    assert submit(resident, council, consultation)[0].status_code == 302
