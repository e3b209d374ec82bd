"""A prize with entrants, judges and an officer, built through the services (the pages are tested separately)."""

from __future__ import annotations

import io
from datetime import timedelta
from types import SimpleNamespace

import pytest

from engage.db import utcnow
from engage.models.prizes import PrizeStatus
from engage.prizes import services as s

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def prize_input(**overrides) -> s.PrizeInput:
    deadline = (utcnow() + timedelta(days=30)).astimezone(s.LONDON).strftime("%d/%m/%Y %H:%M")
    data = {
        "title": "Cooler streets",
        "summary": "Ideas to keep streets cool in heatwaves",
        "problem": "Streets get **too hot**.",
        "evidence": "Residents told us so.",
        "prize_money": "£10,000",
        "entry_closes": deadline,
        "shortlist_closes": "",
        "final_closes": "",
        "criteria": "Impact | 2 | How much cooler\nFeasibility | 1 | Can it be built",
        "score_min": 1,
        "score_max": 5,
        "descriptors": "1: Poor\n3: Good\n5: Excellent",
        "eligibility": "Are you 18 or over? | yes | Entrants must be adults",
        "entry_fields": "Your idea | required | 300\nCosts | optional | 100",
        "allow_attachments": True,
        "terms": "Be nice.",
        "ip_conditions": "You keep your IP.",
        "blind_judging": True,
        "judges_per_entry": 2,
        "judge_cap": 10,
        "shortlist_size": 1,
    }
    data.update(overrides)
    return s.PrizeInput(**data)


def make_entry(user, prize, team_name: str, organisation: str = "", submit: bool = True, title: str = ""):
    entry = s.start_entry(
        user,
        prize,
        team_id=None,
        team_name=team_name,
        organisation=organisation,
        eligibility={"q0": "yes"},
        accept_terms=True,
    )
    s.save_entry(user, entry, title or f"{team_name} idea", {"f1": f"Plant trees, says {team_name}"}, submit=submit)
    return entry


_HASH: dict[str, str] = {}


@pytest.fixture
def quick_user(app_ctx):
    """Like make_user, but hashes the shared test password once per session (argon2 is slow on purpose)."""
    from engage.auth.services import add_membership
    from engage.db import session as db_session
    from engage.models import User
    from engage.models.accounts import Role
    from engage.security import hash_password, new_token
    from tests.conftest import DEMO_PASSWORD

    counter = {"n": 0}

    def _make(role: str | None = None, council=None, email: str | None = None, name: str = ""):
        if "hash" not in _HASH:
            _HASH["hash"] = hash_password(DEMO_PASSWORD)
        counter["n"] += 1
        user = User(
            email=email or f"{role or 'person'}{counter['n']}@example.org",
            name=name or f"Test {role or 'person'} {counter['n']}",
            password_hash=_HASH["hash"],
            session_token=new_token()[:32],
            email_verified_at=utcnow(),
        )
        db_session.add(user)
        db_session.flush()
        if role is not None and council is not None:
            add_membership(user, council, Role(role))
        db_session.commit()
        return user

    return _make


@pytest.fixture
def world(app_ctx, council, other_council, quick_user):
    """An open prize in `council` with two submitted entries (teams Alpha and Beta), three judges, an officer,
    an officer of another council, and an attachment on Alpha's entry."""
    make_user = quick_user
    officer = make_user("officer", council)
    prize = s.create_prize(officer, council, prize_input())
    s.set_status(officer, prize, PrizeStatus.OPEN)
    alice = make_user(None, email="alice@example.org")
    bob = make_user(None, email="bob@example.org")
    alpha = make_entry(alice, prize, "Alpha Greening", organisation="Alpha Ltd")
    beta = make_entry(bob, prize, "Beta Shade", organisation="Beta CIC")
    attachment = s.add_attachment(alice, alpha, io.BytesIO(PDF), "alpha-secret-plan.pdf")
    judges = [make_user("judge", council) for _ in range(3)]
    outsider = make_user("officer", other_council)
    return SimpleNamespace(
        prize=prize,
        officer=officer,
        alice=alice,
        bob=bob,
        alpha=alpha,
        beta=beta,
        attachment=attachment,
        judges=judges,
        outsider=outsider,
        council=council,
    )


def start_judging(w, declare: bool = True) -> None:
    """Close entries, have every judge declare no conflicts, and assign two judges per entry."""
    s.set_status(w.officer, w.prize, PrizeStatus.JUDGING)
    if declare:
        for judge in w.judges:
            s.declare_conflicts(judge, w.prize, [], "")
    s.auto_assign(w.officer, w.prize, 2, 10, seed=1)
