"""Signing in, accounts and invitations."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from engage.db import session as db_session
from engage.db import utcnow
from engage.mail import queue_email
from engage.models import Council, Invitation, Membership, User
from engage.models.accounts import ROLE_LABELS, Role
from engage.security import (
    hash_password,
    new_token,
    password_problem,
    token_hash,
    verify_password,
)
from engage.services import ServiceError, audit, require_role


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db_session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The user if the email and password match an active account; otherwise None (same time either way)."""
    user = find_user(email)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        return None
    user.last_sign_in_at = utcnow()
    if not user.session_token:
        user.session_token = new_token()[:32]
    audit("auth.sign_in", actor=user)
    db_session.commit()
    return user


def load_user(user_id: str) -> User | None:
    try:
        raw_id, token = user_id.split(":", 1)
        user = db_session.get(User, int(raw_id))
    except (ValueError, TypeError):
        return None
    if user is None or not user.is_active or user.session_token != token:
        return None
    return user


def create_user(email: str, password: str, name: str = "", *, site_admin: bool = False, check: bool = True) -> User:
    email = normalise_email(email)
    if find_user(email) is not None:
        raise ServiceError("An account with this email address already exists", field="email")
    if check:
        problem = password_problem(password, email)
        if problem:
            raise ServiceError(problem, field="password")
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        is_site_admin=site_admin,
        session_token=new_token()[:32],
        email_verified_at=utcnow(),
    )
    db_session.add(user)
    db_session.flush()
    return user


def set_password(user: User, password: str) -> None:
    problem = password_problem(password, user.email)
    if problem:
        raise ServiceError(problem, field="password")
    user.password_hash = hash_password(password)
    user.session_token = new_token()[:32]


def add_membership(user: User, council: Council, role: Role) -> Membership:
    existing = db_session.scalar(
        select(Membership).where(
            Membership.user_id == user.id,
            Membership.council_id == council.id,
            Membership.role == role,
        )
    )
    if existing:
        return existing
    membership = Membership(user=user, council=council, role=role)
    db_session.add(membership)
    db_session.flush()
    return membership


def invite(actor: User, council: Council, email: str, role: Role) -> Invitation:
    """Invite someone to the council in a role; only the council's admins (or site admins) may."""
    require_role(actor, council.id, Role.ADMIN)
    email = normalise_email(email)
    token = new_token()
    invitation = Invitation(
        token_hash=token_hash(token),
        email=email,
        council_id=council.id,
        role=role,
        invited_by_id=actor.id,
        expires_at=utcnow() + timedelta(days=current_app.config["INVITATION_DAYS"]),
    )
    db_session.add(invitation)
    db_session.flush()
    link = f"{current_app.config['BASE_URL']}/invitations/{token}"
    queue_email(
        email,
        f"You have been invited to {council.name} on Engage",
        f"{actor.name or actor.email} has invited you to join {council.name} on Engage as "
        f"{ROLE_LABELS[role].lower()}.\n\nAccept the invitation: {link}\n\n"
        f"The link works once and expires in {current_app.config['INVITATION_DAYS']} days.",
    )
    audit("invitation.create", actor=actor, council_id=council.id, target=invitation, role=role.value)
    db_session.commit()
    return invitation


def open_invitation(token: str) -> Invitation | None:
    invitation = db_session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at < utcnow():
        return None
    return invitation


def accept_invitation(invitation: Invitation, name: str, password: str) -> User:
    """Join the invited council: an existing account gains the role; otherwise an account is made."""
    user = find_user(invitation.email)
    if user is None:
        user = create_user(invitation.email, password, name)
    elif not verify_password(user.password_hash, password):
        raise ServiceError("You already have an account: enter the password for it to accept", field="password")
    add_membership(user, invitation.council, invitation.role)
    invitation.accepted_at = utcnow()
    audit(
        "invitation.accept",
        actor=user,
        council_id=invitation.council_id,
        target=invitation,
        role=invitation.role.value,
    )
    db_session.commit()
    return user
