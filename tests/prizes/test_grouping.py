"""Grouping entries with the theme pipeline (fake embedder): solution themes, near-duplicates, consultation themes."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from engage.db import session as db_session
from engage.models.prizes import Entry, PrizeStatus
from engage.prizes import services as s
from tests.conftest import post_form, sign_in
from tests.prizes.conftest import make_entry, prize_input


@pytest.fixture
def fake_embedder(app, monkeypatch):
    monkeypatch.setitem(app.config, "NLP_EMBEDDER", "fake")


def test_grouping_finds_themes_and_near_duplicates(client, world, quick_user, fake_embedder):
    # An earlier prize's entry, resubmitted word for word to this one.
    earlier = s.create_prize(world.officer, world.council, prize_input(title="Earlier prize"))
    s.set_status(world.officer, earlier, PrizeStatus.OPEN)
    old_hand = quick_user(None, email="old@example.org")
    original = make_entry(old_hand, earlier, "Old Hands", title="Solar canopies over car parks")
    earlier.created_at = world.prize.created_at.replace(year=2020)
    db_session.commit()
    copier = quick_user(None, email="copy@example.org")
    resubmitted = make_entry(copier, world.prize, "Copy Cats", title="Solar canopies over car parks")
    db_session.execute(Entry.__table__.update().where(Entry.id == resubmitted.id).values(answers=original.answers))
    db_session.commit()
    sign_in(client, world.officer)
    response = post_form(client, f"/prizes/{world.prize.id}/group", {}, get_url=f"/prizes/{world.prize.id}/manage")
    assert response.status_code == 302
    db_session.expire_all()
    prize = s.get_prize(world.prize.id)
    assert prize.grouping_status == "done", prize.grouping_error
    assert sum(t["count"] for t in prize.solution_themes) == 3
    entries = {e.id: e for e in db_session.scalars(select(Entry).where(Entry.prize_id == prize.id))}
    assert all(e.solution_theme for e in entries.values())
    assert entries[resubmitted.id].duplicate_of_id == original.id
    assert entries[world.alpha.id].duplicate_of_id is None
    page = client.get(f"/prizes/{prize.id}/manage").get_data(as_text=True)
    assert f"Like entry {original.id}" in page and "an earlier prize" in page


def test_entries_linked_to_consultation_themes_when_analysis_exists(client, world, fake_embedder):
    analysis = pytest.importorskip("engage.models.analysis")
    consultations = pytest.importorskip("engage.models.consultations")
    from engage.prizes.tasks import embedder, group_entries

    slug = world.council.slug

    model = embedder()  # before any write of ours: the cache writes on its own connection
    centroids = {
        label: np.asarray(model.encode([text])[0], dtype="<f4").tobytes()
        for label, text in (("More trees", "plant trees greening"), ("Bus fares", "cheaper bus fares every day"))
    }
    consultation = consultations.Consultation(council_id=world.council.id, slug="heat", title="Hot streets")
    db_session.add(consultation)
    db_session.flush()
    question = consultations.Question(
        consultation_id=consultation.id, kind=consultations.QuestionKind.FREE_TEXT, text="Why?"
    )
    db_session.add(question)
    db_session.flush()
    run = analysis.AnalysisRun(council_id=world.council.id, consultation_id=consultation.id)
    db_session.add(run)
    db_session.flush()
    theme_set = analysis.ThemeSet(
        run_id=run.id,
        consultation_id=consultation.id,
        question_id=question.id,
        is_current=True,
        model_sha=model.model_sha,
    )
    db_session.add(theme_set)
    db_session.flush()
    for label, centroid in centroids.items():
        db_session.add(analysis.Theme(theme_set_id=theme_set.id, label=label, centroid=centroid))
    db_session.commit()
    group_entries(world.prize.id)
    db_session.expire_all()
    alpha = db_session.get(Entry, world.alpha.id)
    labels = [t["label"] for t in alpha.consultation_themes]
    assert labels[:1] == ["More trees"] and "Bus fares" not in labels
    assert alpha.consultation_themes[0]["consultation"] == "Hot streets"

    # Officers can quote the same themes as the evidence behind a new prize.
    sign_in(client, world.officer)
    url = f"/prizes/manage/{slug}/new"
    form_page = client.get(url).get_data(as_text=True)
    assert "Hot streets: More trees" in form_page
    from tests.prizes.test_pages import GOOD_PRIZE

    tree_theme = next(t for t in db_session.scalars(select(analysis.Theme)) if t.label == "More trees")
    created = post_form(client, url, {**GOOD_PRIZE, "evidence_theme_ids": str(tree_theme.id)})
    assert created.status_code == 302
    prize_id = int(created.headers["Location"].split("/")[2])
    public = client.get(f"/prizes/{prize_id}").get_data(as_text=True)
    assert "More trees" in public and "Hot streets" in public
    bad = post_form(client, url, {**GOOD_PRIZE, "evidence_theme_ids": "999999"})
    assert bad.status_code == 400
