"""In Chromium: an analyst runs an analysis and watches it progress, renames and merges themes; a councillor reads
the summary, downloads the PDF and drills into a theme. axe-core finds nothing on any of these pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from engage.db import db
from tests.analysis.conftest import WARDS, add_answers, answer_texts
from tests.conftest import DEMO_PASSWORD, assert_accessible, browser_sign_in

pytestmark = pytest.mark.browser


def _setup(app):
    from engage.auth.services import add_membership, create_user
    from engage.models import Council
    from engage.models.accounts import Role
    from engage.models.consultations import Consultation, ConsultationStatus, Question, QuestionKind

    app.config["NLP_EMBEDDER"] = "fake"
    with app.app_context():
        council = Council(slug="northbrook", name="Northbrook Borough Council")
        db.session.add(council)
        db.session.flush()
        for role in ("analyst", "councillor"):
            user = create_user(f"{role}@northbrook.example", DEMO_PASSWORD, f"Demo {role}")
            add_membership(user, council, Role(role))
        consultation = Consultation(
            council_id=council.id,
            slug="gasworks",
            title="Homes on the old Gasworks site",
            status=ConsultationStatus.OPEN,
            wards=WARDS,
        )
        db.session.add(consultation)
        db.session.flush()
        stance = Question(
            consultation_id=consultation.id,
            position=1,
            kind=QuestionKind.SUPPORT_OPPOSE,
            text="Do you support the new homes?",
        )
        db.session.add(stance)
        db.session.flush()
        db.session.add(
            Question(
                consultation_id=consultation.id,
                position=2,
                kind=QuestionKind.FREE_TEXT,
                text="Why do you say that?",
                stance_question_id=stance.id,
            )
        )
        db.session.commit()
        add_answers(consultation, answer_texts())
        ids = consultation.id, council.id
        db.remove()
    return ids


def _set_run(app, run_id, **values):
    from engage.models.analysis import AnalysisRun

    with app.app_context():
        db.session.execute(update(AnalysisRun).where(AnalysisRun.id == run_id).values(**values))
        db.session.commit()
        db.remove()


def test_analyst_runs_and_edits_themes_and_councillor_reads_the_summary(page, live_server):
    from engage.db import utcnow
    from engage.models.analysis import AnalysisRun, RunStatus

    app = live_server.app
    consultation_id, council_id = _setup(app)
    # A run already under way (as a worker would leave it): the page follows its progress live.
    with app.app_context():
        run = AnalysisRun(
            council_id=council_id,
            consultation_id=consultation_id,
            status=RunStatus.RUNNING,
            progress=0.4,
            message="Embedding answers",
            heartbeat_at=utcnow(),
            started_at=utcnow(),
        )
        db.session.add(run)
        db.session.commit()
        busy_id = run.id
        db.remove()

    browser_sign_in(page, "analyst@northbrook.example")
    page.goto(f"/analysis/consultations/{consultation_id}")
    page.get_by_role("link", name="Watch its progress").click()
    bar = page.locator("progress")
    assert bar.get_attribute("value") == "0.4"
    assert_accessible(page)
    _set_run(app, busy_id, progress=0.85, message="Clustering", heartbeat_at=utcnow())
    page.get_by_text("Clustering").wait_for()
    assert page.locator("[data-percent]").inner_text() == "85%"
    _set_run(app, busy_id, status=RunStatus.FAILED, error="The worker was restarted.", finished_at=utcnow())
    page.get_by_text("The analysis failed").wait_for()
    assert_accessible(page)

    # Start a real analysis from the form; the page follows it until it has finished.
    page.get_by_role("link", name="Start the analysis again").click()
    page.get_by_label("Every free-text question").check()
    page.get_by_role("button", name="Start analysis").click()
    page.get_by_text("Analysis finished").wait_for(timeout=60000)
    assert_accessible(page)
    page.get_by_role("link", name="Review the themes").click()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(r"Review themes")).click()
    assert_accessible(page)

    # Rename the parking theme, then merge another theme into it.
    page.get_by_role("link", name=re.compile("parking", re.I)).first.click()
    page.get_by_label("Theme name").fill("Parking near homes and shops")
    page.get_by_label("Description").fill("People worry there will not be enough parking.")
    page.get_by_role("button", name="Save theme").click()
    page.get_by_text("Theme saved").wait_for()
    assert page.get_by_role("heading", level=1).inner_text() == "Parking near homes and shops"
    assert_accessible(page)
    merge_boxes = page.locator("input[name='merge-themes']")
    other_label = page.locator(f"label[for='{merge_boxes.first.get_attribute('id')}']").inner_text()
    merge_boxes.first.check()
    page.get_by_role("button", name="Merge themes").click()
    page.get_by_text(re.compile("Merged 1 theme")).wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="Review themes").click()
    page.wait_for_load_state()  # the click returns once the list starts loading, not once it has loaded
    expect(page.get_by_role("link", name="Parking near homes and shops")).to_have_count(1)
    assert page.get_by_role("link", name=other_label, exact=True).count() == 0
    page.goto(f"/analysis/consultations/{consultation_id}/search?q=parking")
    assert page.locator("tbody tr").count() > 0
    assert_accessible(page)

    # The councillor reads the summary, downloads the PDF and reads every answer in a theme.
    page.context.clear_cookies()
    browser_sign_in(page, "councillor@northbrook.example")
    page.goto(f"/analysis/consultations/{consultation_id}/summary")
    assert page.get_by_role("heading", name=re.compile("Parking near homes and shops")).count() == 1
    assert page.get_by_text("For and against").count() > 0
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as PDF for a committee report").click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    page.get_by_role("link", name=re.compile("Read all .* answers in “Parking near homes and shops”")).click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("Parking near homes and shops")
    assert page.locator("tbody tr").count() >= 5
    assert_accessible(page)
