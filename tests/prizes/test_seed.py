"""The demo prize: twenty entries, three judges' scores, a closed round with results; running twice changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from engage.db import session as db_session
from engage.models import User
from engage.models.prizes import Assignment, Conflict, Entry, Prize, PrizeStatus, Score
from engage.prizes import services as s
from engage.prizes.seed import seed
from engage.seed import demo_council


def test_demo_seed_is_complete_and_idempotent(app_ctx):
    council = demo_council()
    lines = seed(council)
    assert any("Warm Homes Northbrook" in line for line in lines)
    counts = [db_session.scalar(select(func.count()).select_from(m)) for m in (Prize, Entry, Assignment, Score, User)]
    seed(council)
    again = [db_session.scalar(select(func.count()).select_from(m)) for m in (Prize, Entry, Assignment, Score, User)]
    assert counts == again
    warm = db_session.scalar(select(Prize).where(Prize.title.like("Warm Homes%")))
    assert warm.status == PrizeStatus.CLOSED
    assert len(s.submitted_entries(warm)) == 20
    assert db_session.scalar(select(func.count(Conflict.id))) == 1
    officer = db_session.scalar(select(User).where(User.email == "officer@northbrook.example"))
    result = s.results(officer, warm)
    assert len(result.entries) == 20 and len(result.judges) == 3
    assert all(r.judges == 2 for r in result.entries)
    assert any(r.disagreement for r in result.entries)
    assert {j.flag for j in result.judges} - {""}  # the demo has a lenient or harsh judge to discuss
    assert any(r.moderation for r in result.entries)
    cool = db_session.scalar(select(Prize).where(Prize.title.like("Cooler Streets%")))
    assert s.entries_open(cool)
