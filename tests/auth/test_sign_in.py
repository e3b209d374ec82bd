"""Signing in and out, CSRF, rate limits, redirects and invitations."""

from __future__ import annotations

import re
from datetime import timedelta

from bs4 import BeautifulSoup
from sqlalchemy import func, select

from engage.db import db, utcnow
from engage.models import AuditEvent, Invitation, Membership, OutboxEmail, User
from engage.models.accounts import Role
from tests.conftest import DEMO_PASSWORD, csrf_from, post_form, sign_in


def error_summary(response) -> list[str]:
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return [li.get_text(strip=True) for li in page.select(".govuk-error-summary__list li")]


def test_sign_in_and_out(client, make_user, council):
    user = make_user("officer", council)
    response = sign_in(client, user)
    assert response.headers["Location"] == "/"
    account = client.get("/account").get_data(as_text=True)
    assert user.email in account and "Officer" in account and "Testshire District Council" in account
    signed_out = post_form(client, "/sign-out", {}, get_url="/account")
    assert signed_out.status_code == 302, signed_out.get_data(as_text=True)[-3000:]
    assert client.get("/account").status_code == 302  # back to sign in


def test_wrong_password_and_unknown_email_get_the_same_message(client, make_user, council):
    user = make_user("officer", council)
    wrong = post_form(client, "/sign-in", {"email": user.email, "password": "not the password"})
    unknown = post_form(client, "/sign-in", {"email": "nobody@example.org", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 400
    assert error_summary(wrong) == error_summary(unknown) == ["Enter a correct email address and password"]
    assert client.get("/account").status_code == 302


def test_missing_and_malformed_input_get_govuk_errors(client, app_ctx):
    response = post_form(client, "/sign-in", {"email": "", "password": ""})
    assert response.status_code == 400
    assert error_summary(response) == ["Enter your email address", "Enter your password"]
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.title.get_text().startswith("Error: ")
    assert page.select_one("#email-error").get_text(strip=True).endswith("Enter your email address")
    response = post_form(client, "/sign-in", {"email": "not-an-email", "password": "x"})
    assert "Enter an email address in the correct format, like name@example.com" in error_summary(response)
    response = post_form(client, "/sign-in", {"email": "a" * 300 + "@example.org", "password": "x" * 500})
    assert response.status_code == 400
    assert "Email address must be 254 characters or fewer" in error_summary(response)
    assert "Password must be 128 characters or fewer" in error_summary(response)


def test_missing_or_forged_csrf_token_is_refused_and_changes_nothing(client, make_user, council):
    user = make_user("admin", council)
    sign_in(client, user)
    before = db.session.scalar(select(func.count(Invitation.id)))
    no_token = client.post(f"/admin/councils/{council.slug}", data={"email": "new@example.org", "role": "officer"})
    forged = client.post(
        f"/admin/councils/{council.slug}",
        data={"email": "new@example.org", "role": "officer", "csrf_token": "forged"},
    )
    assert no_token.status_code == forged.status_code == 400
    assert "Nothing was saved" in forged.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Invitation.id))) == before
    fresh = client.application.test_client()
    assert fresh.post("/sign-in", data={"email": user.email, "password": DEMO_PASSWORD}).status_code == 400


def test_sign_in_is_rate_limited(client, make_user, council):
    user = make_user("officer", council)
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    statuses = [
        client.post("/sign-in", data={"csrf_token": token, "email": user.email, "password": "wrong"}).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    blocked = client.post("/sign-in", data={"csrf_token": token, "email": user.email, "password": DEMO_PASSWORD})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_next_only_follows_same_site_paths(client, make_user, council):
    user = make_user("officer", council)
    for target, expected in [
        ("/account", "/account"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ]:
        client.application.test_client()
        response = post_form(
            client,
            f"/sign-in?next={target}",
            {"email": user.email, "password": DEMO_PASSWORD},
            get_url="/sign-in",
        )
        assert response.headers["Location"] == expected, target
        post_form(client, "/sign-out", {}, get_url="/account")


def test_session_is_renewed_on_sign_in(client, make_user, council):
    user = make_user("officer", council)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, user)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_deactivated_user_cannot_sign_in(client, make_user, council):
    user = make_user("officer", council)
    user.is_active = False
    db.session.commit()
    response = post_form(client, "/sign-in", {"email": user.email, "password": DEMO_PASSWORD})
    assert response.status_code == 400


def test_changing_password_ends_other_sessions(client, make_user, council):
    from engage.auth.services import set_password

    user = make_user("officer", council)
    sign_in(client, user)
    assert client.get("/account").status_code == 200
    set_password(db.session.get(User, user.id), "a brand new passphrase")
    db.session.commit()
    assert client.get("/account").status_code == 302


def test_password_rules_are_about_length_not_composition(app_ctx):
    from engage.security import password_problem

    assert password_problem("short") == "Password must be 10 characters or more"
    assert password_problem("x" * 129).startswith("Password must be 128 characters or fewer")
    assert password_problem("password123") == "Password is too easy to guess: try three random words"
    assert password_problem("aaaaaaaaaaaa") == "Password is too easy to guess: try three random words"
    assert password_problem("juniper.hopscotch.lantern") is None
    assert password_problem("alllowercaselongphrase") is None


def test_passwords_are_hashed_with_argon2(make_user, council):
    user = make_user("officer", council)
    assert user.password_hash.startswith("$argon2")
    assert DEMO_PASSWORD not in user.password_hash


def invite(client, council, email, role="officer"):
    return post_form(client, f"/admin/councils/{council.slug}", {"email": email, "role": role})


def invitation_link(email: str) -> str:
    body = db.session.scalars(select(OutboxEmail.body).where(OutboxEmail.to == email)).all()[-1]
    return re.search(r"http://localhost(/invitations/\S+)", body).group(1)


def test_invitation_creates_an_account_with_the_role(app, client, make_user, council):
    admin = make_user("admin", council)
    sign_in(client, admin)
    response = invite(client, council, "New.Person@Example.org", "analyst")
    assert response.status_code == 302
    link = invitation_link("new.person@example.org")
    post_form(client, "/sign-out", {}, get_url="/account")

    newcomer = app.test_client()
    page = newcomer.get(link)
    assert "Accept your invitation" in page.get_data(as_text=True)
    weak = post_form(newcomer, link, {"name": "New Person", "password": "short"})
    assert weak.status_code == 400
    assert error_summary(weak) == ["Password must be 10 characters or more"]
    assert db.session.scalar(select(User).where(User.email == "new.person@example.org")) is None

    done = post_form(newcomer, link, {"name": "New Person", "password": "maple otter compass"})
    assert done.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new.person@example.org"))
    assert user.roles_in(council.id) == {Role.ANALYST}
    assert newcomer.get("/account").status_code == 200
    # The link works once.
    assert app.test_client().get(link).status_code == 404
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "invitation.accept")) is not None


def test_expired_invitation_does_not_work(app, client, make_user, council):
    admin = make_user("admin", council)
    sign_in(client, admin)
    invite(client, council, "late@example.org")
    invitation = db.session.scalar(select(Invitation).where(Invitation.email == "late@example.org"))
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = app.test_client().get(invitation_link("late@example.org"))
    assert response.status_code == 404
    assert "This invitation link does not work" in response.get_data(as_text=True)


def test_existing_user_accepts_with_their_password(app, client, make_user, council, other_council):
    admin = make_user("admin", council)
    existing = make_user("judge", other_council, email="judge@example.org")
    sign_in(client, admin)
    invite(client, council, "judge@example.org", "judge")
    link = invitation_link("judge@example.org")
    other = app.test_client()
    wrong = post_form(other, link, {"password": "not their password"})
    assert wrong.status_code == 400
    assert db.session.scalar(select(func.count(Membership.id)).where(Membership.user_id == existing.id)) == 1
    ok = post_form(other, link, {"password": DEMO_PASSWORD})
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, existing.id).roles_in(council.id) == {Role.JUDGE}
