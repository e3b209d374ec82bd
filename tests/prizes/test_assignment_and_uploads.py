"""Judge assignment design, upload checks and CSV safety: pure functions."""

from __future__ import annotations

import io
import zipfile
from collections import Counter

import pytest

from engage.db import session as db_session
from engage.prizes import assignment, uploads
from engage.prizes import services as s
from engage.prizes.services import csv_cell


def test_balanced_k_judges_per_entry_within_the_cap_and_connected():
    entries, judges = list(range(1, 21)), [101, 102, 103, 104, 105]
    plan = assignment.plan(entries, judges, k=3, cap=12, seed=1)
    per_entry = Counter(e for e, _ in plan.new)
    per_judge = Counter(j for _, j in plan.new)
    assert set(per_entry.values()) == {3}
    assert max(per_judge.values()) - min(per_judge.values()) <= 1  # 60 assignments over 5 judges: 12 each
    assert max(per_judge.values()) <= 12
    assert plan.connected and assignment.is_connected(plan.new)
    assert not plan.short


def test_never_assigns_a_conflicted_judge_and_is_deterministic():
    entries, judges = list(range(1, 11)), [1, 2, 3]
    conflicts = {(e, 1) for e in (1, 2, 3)} | {(4, 2)}
    first = assignment.plan(entries, judges, k=2, cap=10, conflicts=conflicts, seed=5)
    again = assignment.plan(entries, judges, k=2, cap=10, conflicts=conflicts, seed=5)
    assert first.new == again.new
    assert not set(first.new) & conflicts
    assert Counter(e for e, _ in first.new) == Counter(dict.fromkeys(entries, 2))


def test_cap_leaves_entries_short_and_says_so():
    plan = assignment.plan([1, 2, 3, 4], [1, 2], k=2, cap=3, seed=0)
    assert max(Counter(j for _, j in plan.new).values()) <= 3
    assert sum(plan.short.values()) == 2  # 8 places wanted, 6 available


def test_existing_assignments_are_kept_and_counted():
    plan = assignment.plan([1, 2], [1, 2, 3], k=2, cap=5, existing={(1, 3)}, seed=0)
    assert (1, 3) not in plan.new
    assert Counter(e for e, _ in plan.new) == Counter({1: 1, 2: 2})


def test_two_groups_of_judges_are_reported_as_not_connected():
    assert not assignment.is_connected([(1, 1), (1, 2), (2, 3), (2, 4)])
    assert assignment.is_connected([(1, 1), (1, 2), (2, 2), (2, 3)])


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def docx_bytes(member: str = "word/document.xml", size: int = 100) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, "a" * size)
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "kind"), [(PDF, "pdf"), (PNG, "png"), (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "jpg")])
def test_accepted_types_are_sniffed(data, kind):
    assert uploads.check(io.BytesIO(data), "x.bin").kind == kind


def test_docx_must_be_a_word_document():
    assert uploads.check(io.BytesIO(docx_bytes()), "plan.docx").kind == "docx"
    with pytest.raises(uploads.UploadError, match="PDF, Word"):
        uploads.check(io.BytesIO(docx_bytes(member="other.txt")), "plan.docx")


def test_zip_bomb_refused():
    bomb = docx_bytes(size=uploads.MAX_UNZIPPED_BYTES + 1)  # compresses to a few kilobytes
    assert len(bomb) < 1024 * 1024
    with pytest.raises(uploads.UploadError):
        uploads.check(io.BytesIO(bomb), "plan.docx")


def test_wrong_type_named_as_pdf_is_refused():
    with pytest.raises(uploads.UploadError, match="must be a PDF"):
        uploads.check(io.BytesIO(b"<html><script>alert(1)</script></html>"), "innocent.pdf")


def test_too_big_and_empty_files_refused():
    with pytest.raises(uploads.UploadError, match="smaller than 1MB"):
        uploads.check(io.BytesIO(PDF + b"0" * (1024 * 1024)), "big.pdf", max_bytes=1024 * 1024)
    with pytest.raises(uploads.UploadError, match="empty"):
        uploads.check(io.BytesIO(b""), "empty.pdf")


def test_filename_cleaned(tmp_path):
    checked = uploads.check(io.BytesIO(PDF), "../../etc/pass\x00wd.pdf")
    assert checked.filename == "passwd.pdf"


@pytest.mark.parametrize("text", ["=SUM(A1)", "+1", "-1", "@cmd", "\tx", "\rx"])
def test_csv_cells_starting_with_formula_characters_are_neutralised(text):
    assert csv_cell(text) == "'" + text
    assert csv_cell("Fine text") == "Fine text"


def test_a_full_disk_refuses_the_upload_and_records_nothing(world, monkeypatch):
    from engage import storage
    from engage.services import ServiceError

    def full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    before = len(world.alpha.attachments)
    monkeypatch.setattr(storage.tempfile, "mkstemp", full)
    with pytest.raises(ServiceError, match="could not be saved"):
        s.add_attachment(world.alice, world.alpha, io.BytesIO(PDF), "plan.pdf")
    db_session.rollback()
    db_session.expire_all()
    assert len(world.alpha.attachments) == before


def test_navigation_shows_each_person_their_prize_pages(world, client):
    from bs4 import BeautifulSoup

    from tests.conftest import sign_in

    def nav_for(user):
        fresh = client.application.test_client()
        sign_in(fresh, user)
        page = BeautifulSoup(fresh.get("/account").get_data(as_text=True), "html.parser")
        links = {a.get_text(strip=True) for a in page.select(".govuk-service-navigation__link")}
        return links & {"Prizes", "Judging", "Your entries"}

    assert nav_for(world.officer) == {"Prizes"}
    assert nav_for(world.judges[0]) == {"Judging"}
    assert nav_for(world.alice) == {"Your entries"}
