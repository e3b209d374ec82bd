"""In Chromium: every foundation page passes axe, and every demo role signs in with the keyboard alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from engage.db import db
from tests.conftest import DEMO_PASSWORD, assert_accessible, browser_sign_in

pytestmark = pytest.mark.browser


def make_people(app):
    from engage.auth.services import add_membership, create_user
    from engage.models import Council
    from engage.models.accounts import Role

    with app.app_context():
        council = Council(slug="northbrook", name="Northbrook Borough Council", intro="Have your say.")
        db.session.add(council)
        db.session.flush()
        users = {}
        for role in Role:
            user = create_user(f"{role.value}@northbrook.example", DEMO_PASSWORD, f"Demo {role.value}")
            add_membership(user, council, role)
            users[role.value] = user.email
        users["site-admin"] = create_user("site@engage.example", DEMO_PASSWORD, "Site", site_admin=True).email
        db.session.commit()
        return users


def test_public_pages_are_accessible(page, live_server):
    make_people(live_server.app)
    for path in ["/", "/c/northbrook", "/sign-in", "/accessibility", "/privacy", "/no-such-page"]:
        page.goto(path)
        assert_accessible(page)
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()  # waits for the page the form posts back
    assert page.title().startswith("Error: ")
    assert_accessible(page)


def test_every_role_signs_in_using_the_keyboard_alone(page, live_server):
    users = make_people(live_server.app)
    for role, email in users.items():
        page.goto("/sign-in")
        page.keyboard.press("Tab")  # the skip link comes first
        assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
        page.get_by_label("Email address").focus()
        page.keyboard.type(email)
        page.keyboard.press("Tab")
        page.keyboard.type(DEMO_PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server.url}/")
        page.goto("/account")
        assert email in page.locator("main").inner_text(), role
        assert_accessible(page)
        page.get_by_role("button", name="Sign out").first.click()
        page.wait_for_load_state()
        assert "You have signed out" in page.locator("main").inner_text()


def test_admin_pages_are_accessible_and_invite_works(page, live_server):
    users = make_people(live_server.app)
    browser_sign_in(page, users["site-admin"])
    page.goto("/admin/")
    assert_accessible(page)
    page.get_by_role("button", name="Create a council").click()
    page.get_by_label("Council name").wait_for()
    assert_accessible(page)
    page.get_by_label("Council name").fill("Riverside Council")
    page.get_by_label("Web address name").fill("riverside")
    page.get_by_role("button", name="Create council").click()
    page.wait_for_url(f"{live_server.url}/admin/councils/riverside")
    assert_accessible(page)
    page.get_by_label("Email address").fill("new.officer@riverside.example")
    page.get_by_label("Officer").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator("main")).to_contain_text("An invitation has been sent to new.officer@riverside.example")
    assert_accessible(page)
    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("main")).to_contain_text("council.create")
    assert_accessible(page)
    page.goto("/dev/outbox")
    assert_accessible(page)
    link = page.get_by_role("link", name="/invitations/").first.get_attribute("href")
    page.context.clear_cookies()
    page.goto(link)
    assert_accessible(page)
    page.get_by_label("Your full name").fill("New Officer")
    page.get_by_role("textbox", name="Create a password").fill("heron meadow lantern")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("main")).to_contain_text("You have joined Riverside Council")
    assert page.locator(".govuk-header").inner_text().startswith("Riverside Council")
