"""Arbitrary input to the account forms (inviting someone to a council, accepting an invitation): a clear error or
a clean save, never a server error, never markup that renders, and a refused form changes nothing."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import select

from engage.db import session as db_session
from engage.db import utcnow
from engage.extensions import limiter
from engage.models import Invitation, User
from engage.models.accounts import Role
from engage.security import new_token, token_hash
from tests.hardening.hostile import (
    EMAILS,
    HOSTILE,
    SETTINGS,
    TEXT,
    assert_no_live_markup,
    choice_or_hostile,
    clean,
    count,
    outcome,
    post_raw,
)


@pytest.fixture
def council_admin(signed_in, council):
    client, _admin = signed_in("admin")
    return client, council


@SETTINGS
@given(email=EMAILS, role=choice_or_hostile(*(r.value for r in Role)))
def test_invite_form(council_admin, email, role):
    client, council = council_admin
    url = f"/admin/councils/{council.slug}"
    before = count(Invitation)
    if not outcome(post_raw(client, url, {"email": email, "role": role})):
        assert count(Invitation) == before
        return
    invitation = db_session.scalar(select(Invitation).order_by(Invitation.id.desc()))
    assert clean(invitation.email) and "@" in invitation.email and invitation.email == invitation.email.strip()
    page = client.get(url)
    assert page.status_code == 200
    assert_no_live_markup(page.get_data(as_text=True))


NUMBERS = itertools.count()


@SETTINGS
@example(name="   ", password="tangerine pylon quartz")
@example(name="<script>alert(1)</script>", password="tangerine pylon quartz")
@given(name=HOSTILE, password=st.one_of(HOSTILE, TEXT.map(lambda t: "tangerine pylon quartz " + t)))
def test_accept_invitation_form(app, council, make_user, name, password):
    """Each example is a new invitation, accepted by someone without an account yet."""
    inviter = make_user("admin", council) if not count(User) else db_session.scalar(select(User))
    email = f"invited{next(NUMBERS)}@example.org"
    token = new_token()
    db_session.add(
        Invitation(
            token_hash=token_hash(token),
            email=email,
            council_id=council.id,
            role=Role.OFFICER,
            invited_by_id=inviter.id,
            expires_at=utcnow() + timedelta(days=7),
        )
    )
    db_session.commit()
    limiter.reset()
    client = app.test_client()
    if not outcome(post_raw(client, f"/invitations/{token}", {"name": name, "password": password})):
        assert count(User, User.email == email) == 0
        return
    user = db_session.scalar(select(User).where(User.email == email))
    assert user.name.strip() and clean(user.name)
    for url in ("/account", f"/c/{council.slug}"):
        page = client.get(url)
        assert page.status_code == 200
        assert_no_live_markup(page.get_data(as_text=True))
