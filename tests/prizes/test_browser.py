"""The prize journey in Chromium, with axe on every page visited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engage.db import session as db_session
from engage.models import OutboxEmail, User
from engage.models.prizes import Assignment, Entry, PrizeStatus
from engage.prizes import services as s
from tests.conftest import DEMO_PASSWORD, assert_accessible, browser_sign_in
from tests.prizes.conftest import PDF, make_entry, prize_input

pytestmark = pytest.mark.browser


def _setup(app):
    from engage.auth.services import add_membership, create_user
    from engage.models import Council
    from engage.models.accounts import Role

    with app.app_context():
        council = Council(slug="northbrook", name="Northbrook Borough Council")
        db_session.add(council)
        db_session.flush()
        officer = create_user("officer@example.org", DEMO_PASSWORD, "Owen Officer")
        add_membership(officer, council, Role.OFFICER)
        judges = []
        for email, name in (("judge1@example.org", "Jo Judge"), ("judge2@example.org", "Sam Judge")):
            judge = create_user(email, DEMO_PASSWORD, name)
            add_membership(judge, council, Role.JUDGE)
            judges.append(judge)
        other = create_user("other@example.org", DEMO_PASSWORD, "Olu Other")
        db_session.commit()
        prize = s.create_prize(officer, council, prize_input(title="Warm Homes", shortlist_size=1))
        s.set_status(officer, prize, PrizeStatus.OPEN)
        make_entry(other, prize, "Other Team", title="Heat pumps for every street")
        return prize.id, judges[1].id


def _switch(page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.context.clear_cookies()
    browser_sign_in(page, email, password)


def test_enter_judge_and_award_a_prize(page, live_server, tmp_path):
    app = live_server.app
    prize_id, second_judge_id = _setup(app)

    # An expert registers with email verification.
    page.goto("/prizes/register")
    assert_accessible(page)
    page.get_by_label("Email address").fill("expert@example.org")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    assert_accessible(page)
    with app.app_context():
        body = db_session.scalar(select(OutboxEmail.body).where(OutboxEmail.to == "expert@example.org"))
    page.goto(re.search(r"https?://\S+/prizes/register/\S+", body).group(0))
    assert_accessible(page)
    page.get_by_label("Your full name").fill("Eve Expert")
    page.get_by_label("Create a password").fill("marble otter lantern")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Your prize entries").wait_for()
    assert_accessible(page)

    # Forms a team by starting an entry, invites a colleague, drafts, attaches a file and submits.
    page.goto(f"/prizes/{prize_id}")
    assert_accessible(page)
    page.get_by_role("button", name="Enter this prize").click()
    assert_accessible(page)
    page.get_by_label("Team name").fill("Eve's Warm Walls")
    page.get_by_label("Organisation (if any)").fill("Warm Walls Ltd")
    page.get_by_role("group", name="Are you 18 or over?").get_by_label("Yes").check()
    page.get_by_label("I accept the terms").check()
    page.get_by_role("button", name="Start your entry").click()
    page.get_by_role("heading", name="Your draft entry").wait_for()
    edit_url = page.url
    assert_accessible(page)
    page.get_by_role("link", name="Eve's Warm Walls").click()
    assert_accessible(page)
    page.get_by_label("Email address of the person to invite").fill("colleague@example.org")
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_text("Invitation sent to colleague@example.org").wait_for()
    page.goto(edit_url)
    page.get_by_label("Title of your entry").fill("Thin internal insulation for terraces")
    page.get_by_label("Your idea").fill("Aerogel boards inside solid walls, fitted room by room.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Your draft has been saved").wait_for()
    pdf = tmp_path / "warm-walls-plan.pdf"
    pdf.write_bytes(PDF)
    page.get_by_label("Upload a file").set_input_files(str(pdf))
    page.get_by_role("button", name="Upload file").click()
    page.get_by_text("Your file has been attached").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Submit entry").click()
    page.get_by_text("Your entry has been submitted").wait_for()
    assert_accessible(page)

    # The officer closes entries and assigns judges.
    _switch(page, "officer@example.org")
    page.goto(f"/prizes/{prize_id}/manage")
    assert_accessible(page)
    page.get_by_role("button", name="Close entries and start judging").click()
    page.get_by_role("link", name="Judges and assignments").click()
    assert_accessible(page)
    page.get_by_role("button", name="Assign judges").click()
    page.get_by_text("assignments added").first.wait_for()
    assert_accessible(page)

    # A judge declares a conflict with the expert's team and scores the rest.
    _switch(page, "judge1@example.org")
    page.goto("/prizes/judging")
    assert_accessible(page)
    page.get_by_role("link", name="Warm Homes").click()
    page.get_by_role("heading", name="Declare conflicts of interest").wait_for()
    assert_accessible(page)
    page.get_by_label(re.compile("Eve's Warm Walls")).check()
    page.get_by_label("Describe your conflicts").fill("I advised this company last year")
    page.get_by_role("button", name="Confirm my declaration").click()
    page.get_by_role("heading", name="Your entries to judge").wait_for()
    assert_accessible(page)
    assert page.get_by_text("Thin internal insulation").count() == 0
    page.get_by_role("link", name=re.compile("Heat pumps for every street")).click()
    page.get_by_role("group", name=re.compile("Impact")).wait_for()
    assert_accessible(page)
    assert page.get_by_text("Olu Other").count() == 0  # blind judging: no entrant names
    page.get_by_role("group", name=re.compile("Impact")).locator("input[value='4']").check()
    page.get_by_role("group", name=re.compile("Feasibility")).locator("input[value='3']").check()
    page.get_by_label("Comment on Impact").fill("Strong savings case.")
    page.get_by_role("button", name="Save scores").click()
    page.get_by_text("1 of 1").first.wait_for()

    # The other judge's scores arrive (through the service, to keep the journey short).
    with app.app_context():
        judge = db_session.get(User, second_judge_id)
        for a in db_session.scalars(select(Assignment).where(Assignment.judge_id == judge.id)).all():
            mine = a.entry.title.startswith("Thin")
            s.declare_conflicts(judge, a.entry.prize, [], "") if not s.has_declared(judge, a.entry.prize) else None
            s.save_scores(judge, a, {c.id: (5 if mine else 2) for c in a.entry.prize.criteria}, {})

    # The officer sees normalised results, agreement and flags, shortlists and publishes with feedback.
    _switch(page, "officer@example.org")
    page.goto(f"/prizes/{prize_id}/manage")
    page.get_by_role("button", name="Close judging").click()
    page.get_by_role("link", name="Results", exact=True).click()
    page.get_by_role("table", name="Entries by normalised rank").wait_for()
    page.get_by_role("heading", name="Agreement between judges").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("Shortlist the top 1")).click()
    page.get_by_text("entries decided by rank").wait_for()
    with app.app_context():
        entries = [(e.id, e.title) for e in db_session.scalars(select(Entry).where(Entry.prize_id == prize_id))]
    for number, (entry_id, _title) in enumerate(entries):
        page.goto(f"/prizes/{prize_id}/entries/{entry_id}")
        if number == 0:
            assert_accessible(page)
        page.get_by_label("Feedback to the entrant").fill(f"Thank you. Feedback number {number}.")
        page.get_by_label("Approve this feedback for publication").check()
        page.get_by_role("button", name="Save decision").click()
        page.get_by_text("Decision saved").wait_for()
    page.goto(f"/prizes/{prize_id}/publish")
    assert_accessible(page)
    page.get_by_label("Summary of the results").fill("Two strong entries; one shortlisted.")
    page.get_by_role("button", name="Publish results").click()
    page.get_by_role("heading", name="Results").wait_for()
    assert_accessible(page)

    # The expert reads their feedback.
    _switch(page, "expert@example.org", "marble otter lantern")
    page.goto("/prizes/entries")
    page.get_by_role("link", name="Thin internal insulation for terraces").click()
    page.get_by_role("heading", name="Your feedback").wait_for()
    assert page.get_by_text("Feedback number").count() == 1
    assert_accessible(page)
