"""In Chromium: the resident and officer journeys end to end, with axe on every page and one run by keyboard alone."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engage.db import db, utcnow
from tests.conftest import DEMO_PASSWORD, assert_accessible, browser_sign_in

pytestmark = pytest.mark.browser


def setup_consultation(app, identity_mode: str = "verified_email"):
    """A council, an officer and an open consultation with every kind of question."""
    from engage.auth.services import add_membership, create_user
    from engage.consultations import services as svc
    from engage.models import Council
    from engage.models.accounts import Role
    from engage.models.consultations import IdentityMode, Topic
    from tests.consultations.conftest import add_all_questions

    with app.app_context():
        council = Council(slug="northbrook", name="Northbrook Borough Council")
        db.session.add(council)
        db.session.flush()
        officer = create_user("officer@northbrook.example", DEMO_PASSWORD, "Owen Officer")
        add_membership(officer, council, Role.OFFICER)
        consultation = svc.create_consultation(
            officer,
            council,
            svc.ConsultationData(
                title="Homes on the old Gasworks site",
                summary="New homes and a cycle route.",
                proposal="## The plan\n\n* 300 homes\n* a cycle route",
                topic=Topic.HOUSING,
                opens_at=None,
                closes_at=utcnow() + timedelta(days=30),
                identity_mode=IdentityMode(identity_mode),
                wards=["Riverside", "Mill End"],
                retention_months=24,
                ask_about_you=True,
                ask_equality=True,
                privacy_extra="",
            ),
        )
        add_all_questions(officer, consultation)
        svc.open_now(officer, consultation)
        db.session.commit()
        return council.slug, consultation.id


def latest_link(app, kind: str) -> str:
    from engage.models import OutboxEmail

    with app.app_context():
        email = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc())).first()
        link = re.search(rf"https?://\S+/{kind}/\S+", email.body).group(0)
        db.remove()
    return link


def stored_responses(app):
    from engage.models.consultations import Response

    with app.app_context():
        responses = db.session.scalars(select(Response)).all()
        result = [(r.reference, {a.question.position: (a.text, list(a.choices)) for a in r.answers}) for r in responses]
        db.remove()
    return result


def continue_(page):
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def test_resident_answers_every_kind_confirms_and_changes_an_answer_by_link(page, live_server):
    slug, cid = setup_consultation(live_server.app)
    page.goto(f"/c/{slug}")
    assert_accessible(page)
    page.get_by_role("link", name="Homes on the old Gasworks site").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("link", name="privacy notice for this consultation").click()
    page.wait_for_load_state()
    assert "How long we keep it" in page.content()
    assert_accessible(page)
    page.go_back()
    page.wait_for_load_state()
    page.get_by_role("button", name="Start now").click()
    page.wait_for_load_state()
    # Verified mode: confirm the email address first.
    assert "Confirm your email address" in page.title()
    assert_accessible(page)
    page.get_by_role("button", name="Send me a link").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    page.get_by_label("Email address").fill("resident@example.org")
    page.get_by_role("button", name="Send me a link").click()
    page.wait_for_load_state()
    assert "Check your email" in page.content()
    assert_accessible(page)
    page.goto(latest_link(live_server.app, "verify"))
    assert_accessible(page)
    continue_(page)

    # Q1 support/oppose: try to continue without answering, then answer.
    continue_(page)
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    page.get_by_label("Oppose", exact=True).check()
    assert_accessible(page)
    continue_(page)
    # Q2 the paired "why", with a character count.
    assert "You said: Oppose" in page.locator("main").inner_text()
    page.get_by_label("Why do you say that?").fill("Mill Lane is gridlocked already.")
    assert_accessible(page)
    continue_(page)
    # Q3 free text with a 200 character limit: too long first.
    page.get_by_label("Anything else?").fill("x" * 210)
    continue_(page)
    assert "must be 200 characters or fewer" in page.content()
    assert_accessible(page)
    page.get_by_label("Anything else?").fill("<script>alert(1)</script> More trees please")
    continue_(page)
    page.get_by_label("Bike").check()
    assert_accessible(page)
    continue_(page)
    page.get_by_label("Homes").check()
    page.get_by_label("Schools").check()
    assert_accessible(page)
    continue_(page)
    page.get_by_label("Agree", exact=True).check()
    assert_accessible(page)
    continue_(page)
    page.get_by_label("Your ward").select_option("Riverside")
    page.get_by_label("Or your postcode").fill("NB1 4AA")
    assert_accessible(page)
    continue_(page)
    page.get_by_label("A resident").check()
    assert_accessible(page)
    continue_(page)
    page.get_by_role("group", name="What is your age? (optional)").get_by_label("25 to 34").check()
    assert_accessible(page)
    continue_(page)

    assert "Check your answers before submitting" in page.content()
    assert "&lt;script&gt;" in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Submit your response").click()
    page.wait_for_load_state()
    assert "Response submitted" in page.content()
    assert_accessible(page)
    reference = re.search(r"ENG-[0-9A-Z]{10}", page.content()).group(0)
    [(stored_reference, answers)] = stored_responses(live_server.app)
    assert stored_reference == reference
    assert answers[1] == ("", ["oppose"]) and answers[5][1] == ["Homes", "Schools"]

    # Later, in a fresh browser: a new link, change one answer, submit again.
    page.context.clear_cookies()
    page.goto(f"/c/{slug}/consultations/{cid}/verify")
    page.get_by_label("Email address").fill("resident@example.org")
    page.get_by_role("button", name="Send me a link").click()
    page.wait_for_load_state()
    page.goto(latest_link(live_server.app, "verify"))
    continue_(page)
    assert "You have already responded" in page.content()
    assert_accessible(page)
    page.get_by_role("link", name="Change How do you travel?").click()
    page.wait_for_load_state()
    page.get_by_label("Bus").check()
    continue_(page)
    assert "Check your answers" in page.content()
    page.get_by_role("button", name="Submit your changed response").click()
    page.wait_for_load_state()
    assert reference in page.content()
    [(same_reference, answers)] = stored_responses(live_server.app)
    assert same_reference == reference and answers[4] == ("", ["Bus"])


def tab_to(page, predicate: str, limit: int = 60) -> None:
    """Press Tab until `predicate` (JS, on `el`) is true of the focused element."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!(el && ({predicate})); }})()"):
            return
    raise AssertionError(f"could not reach {predicate} with the Tab key on {page.url}")


def keyboard_continue(page) -> None:
    tab_to(page, "el.textContent.trim() === 'Continue'")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_resident_journey_by_keyboard_alone(page, live_server):
    slug, cid = setup_consultation(live_server.app, identity_mode="anonymous")
    page.goto(f"/c/{slug}/consultations/{cid}")
    tab_to(page, "el.textContent.includes('Start now')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # Q1: the first radio is reached with Tab and chosen with Space.
    tab_to(page, "el.type === 'radio'")
    page.keyboard.press("Space")
    keyboard_continue(page)
    tab_to(page, "el.tagName === 'TEXTAREA'")
    page.keyboard.type("Keyboard only: the route is good.")
    keyboard_continue(page)
    keyboard_continue(page)  # optional question skipped
    tab_to(page, "el.type === 'radio'")
    page.keyboard.press("Space")
    keyboard_continue(page)
    tab_to(page, "el.type === 'checkbox' && el.value === 'Parks'")
    page.keyboard.press("Space")
    keyboard_continue(page)
    keyboard_continue(page)
    tab_to(page, "el.name === 'postcode'")
    page.keyboard.type("NB2 3XY")
    keyboard_continue(page)
    tab_to(page, "el.type === 'radio'")
    page.keyboard.press("Space")
    keyboard_continue(page)
    keyboard_continue(page)  # equality questions are optional
    assert "Check your answers before submitting" in page.content()
    tab_to(page, "el.textContent.trim() === 'Submit your response'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Response submitted" in page.content()
    assert_accessible(page)
    [(_reference, answers)] = stored_responses(live_server.app)
    assert answers[1] == ("", ["strongly_support"])
    assert answers[2][0] == "Keyboard only: the route is good."
    assert answers[5][1] == ["Parks"] and answers[7][0] == "NB2 3XY"


def test_officer_creates_opens_imports_exports_closes_and_publishes(page, live_server, tmp_path):
    from engage.auth.services import add_membership, create_user
    from engage.models import Council
    from engage.models.accounts import Role

    with live_server.app.app_context():
        council = Council(slug="northbrook", name="Northbrook Borough Council")
        db.session.add(council)
        db.session.flush()
        add_membership(create_user("officer@northbrook.example", DEMO_PASSWORD, "Owen"), council, Role.OFFICER)
        db.session.commit()
        db.remove()
    browser_sign_in(page, "officer@northbrook.example")
    page.goto("/c/northbrook/manage/consultations")
    assert_accessible(page)
    page.get_by_role("button", name="Create a consultation").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    page.get_by_label("Title").fill("A heat network for the town centre")
    page.get_by_label("Summary").fill("Pipes carrying low-carbon heat.")
    page.get_by_label("The proposal").fill("## Why\n\nGas boilers must go.")
    page.get_by_label("Net zero").check()
    page.get_by_label("Wards").fill("Riverside\nMill End")
    closes = (utcnow() + timedelta(days=20)).date()
    group = page.get_by_role("group", name="Closing date")
    group.get_by_label("Day").fill(str(closes.day))
    group.get_by_label("Month").fill(str(closes.month))
    group.get_by_label("Year").fill(str(closes.year))
    page.get_by_label("Closing time").fill("17:00")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "Consultation created" in page.content()
    assert_accessible(page)
    # Opening without questions is refused.
    page.get_by_role("button", name="Open now").click()
    page.wait_for_load_state()
    assert "Add at least one question" in page.content()
    for kind, text, extra in [
        ("Support or oppose, with a free-text question asking why", "Do you support a heat network?", {}),
        ("Single choice", "How do you heat your home?", {"Options (single and multiple choice)": "Gas\nElectric"}),
    ]:
        page.get_by_role("button", name="Add a question").click()
        page.wait_for_load_state()
        assert_accessible(page)
        page.get_by_label(kind).check()
        page.get_by_label("Question", exact=True).fill(text)
        for label, value in extra.items():
            page.get_by_label(label).fill(value)
        page.get_by_role("button", name="Save question").click()
        page.wait_for_load_state()
        assert "Question added" in page.content()
    assert_accessible(page)
    page.get_by_role("link", name="Preview as a resident").click()
    page.wait_for_load_state()
    assert "Preview." in page.content() or "draft" in page.content()
    assert_accessible(page)
    page.go_back()
    page.wait_for_load_state()
    page.get_by_role("button", name="Open now").click()
    page.wait_for_load_state()
    assert "Consultation opened" in page.content()

    page.get_by_role("link", name="Import", exact=True).click()
    page.wait_for_load_state()
    assert_accessible(page)
    bad = tmp_path / "bad.csv"
    bad.write_text("Q1,Q2,Q3\nMaybe,because,Gas\n", encoding="utf-8")
    page.get_by_label("Upload a CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Check and import").click()
    page.wait_for_load_state()
    assert "Nothing was imported" in page.content()
    assert_accessible(page)
    good = tmp_path / "good.csv"
    good.write_text("Q1,Q2,Q3\nOppose,=cost too high,Gas\nSupport,cleaner air,Electric\n", encoding="utf-8")
    page.get_by_label("Upload a CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Check and import").click()
    page.wait_for_load_state()
    assert "2 responses imported" in page.content()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download responses (CSV, personal details removed)").click()
    path = download_info.value.path()
    exported = Path(path).read_text(encoding="utf-8-sig")
    assert "'=cost too high" in exported and exported.count("imported") == 2

    page.get_by_role("link", name="Responses and moderation").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Moderate answer to Q2")).first.click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("Hide from everyone but officers").check()
    page.get_by_label("Reason").fill("Contains a personal attack")
    page.get_by_role("button", name="Record").click()
    page.wait_for_load_state()
    assert "Moderation recorded" in page.content() and "Contains a personal attack" in page.content()
    page.get_by_role("link", name="Overview").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Close now").click()
    page.wait_for_load_state()
    assert "Consultation closed" in page.content()
    page.get_by_role("button", name="Publish results").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("What you told us and what we will do").fill("You told us about **costs**.")
    page.get_by_role("button", name="Publish results").click()
    page.wait_for_load_state()
    assert "Results published" in page.content()
    page.goto("/c/northbrook")
    page.get_by_role("link", name="A heat network for the town centre").click()
    page.wait_for_load_state()
    assert "You told us about" in page.content()
    assert_accessible(page)
