"""Background work for prizes: the landscape of ideas.

`prizes.group_entries` runs the theme pipeline (nlp) over a prize's submitted entries and records, on each entry:
its solution theme; the most similar earlier entry if they are near-duplicates (in this prize, or a resubmission
from an earlier prize of the same council); and which residents' consultation themes it addresses, when the
council has theme analysis results (context for officers and judges, never part of the score).

The embedder is the web app's (NLP_EMBEDDER: `sentence`, the verified all-MiniLM-L6-v2 model, or `fake` for tests).
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import select

from engage.db import session as db_session
from engage.db import utcnow
from engage.jobs import optional_module, task
from engage.models.prizes import Entry, EntryStatus, Prize

log = logging.getLogger(__name__)
DUPLICATE_SIMILARITY = 0.9  # cosine similarity of whole entries
CONSULTATION_SIMILARITY = 0.35  # cosine similarity of an entry to a consultation theme's centre
MAX_CONSULTATION_THEMES = 3


def entry_text(entry: Entry) -> str:
    return "\n".join([entry.title, *(v for v in entry.answers.values() if v)])


def embedder() -> Any:
    """The app's embedder: the theme analysis feature's (with its database cache) when present, else nlp's own."""
    embedding = None
    try:
        embedding = optional_module("engage.analysis.embedding")
    except ImportError:  # the analysis feature is partly installed
        embedding = None
    if embedding is not None:
        return embedding.get_embedder()
    kind = str(current_app.config.get("NLP_EMBEDDER") or os.environ.get("NLP_EMBEDDER") or "sentence").lower()
    if kind == "fake":
        from nlp import FakeEmbedder

        return FakeEmbedder()
    from nlp import SentenceEmbedder

    return SentenceEmbedder()


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def solution_themes(entries: list[Entry], texts: list[str], model: Any, seed: int) -> list[dict[str, Any]]:
    from nlp import ThemePipeline

    pipe = ThemePipeline(embedder=model, random_state=seed).fit(texts, ids=[e.id for e in entries])
    result = pipe.to_dict()
    themes = {t["id"]: t for t in result["themes"]}

    def top(theme_id: int | None) -> dict[str, Any] | None:
        theme = themes.get(theme_id) if theme_id is not None else None
        while theme is not None and theme["parent"] is not None:
            theme = themes[theme["parent"]]
        return theme

    counts: dict[str, dict[str, Any]] = {}
    by_id = {e.id: e for e in entries}
    for row in result["assignments"]:
        theme = top(row["theme"])
        label = theme["label"] if theme else "Other ideas"
        by_id[row["id"]].solution_theme = label[:200]
        bucket = counts.setdefault(
            label, {"label": label, "count": 0, "keywords": theme["keywords"][:5] if theme else []}
        )
        bucket["count"] += 1
    return sorted(counts.values(), key=lambda t: (t["label"] == "Other ideas", -t["count"], t["label"]))


def near_duplicates(prize: Prize, entries: list[Entry], vectors: np.ndarray, model: Any) -> None:
    """Mark each entry that is very like an earlier one (this prize's earlier submissions or earlier prizes')."""
    earlier = list(
        db_session.scalars(
            select(Entry)
            .join(Prize)
            .where(
                Prize.council_id == prize.council_id,
                Prize.id != prize.id,
                Prize.created_at <= prize.created_at,
                Entry.status == EntryStatus.SUBMITTED,
            )
        )
    )
    pool = earlier + entries
    pool_vectors = _unit(np.vstack([model.encode([entry_text(e) for e in earlier]), vectors])) if earlier else vectors
    similarity = _unit(vectors) @ pool_vectors.T
    for i, entry in enumerate(entries):
        entry.duplicate_of_id, entry.duplicate_similarity = None, None
        best, best_sim = None, DUPLICATE_SIMILARITY
        for j, other in enumerate(pool):
            if other.id == entry.id:
                continue
            if other.prize_id == prize.id and (other.submitted_at or utcnow()) > (entry.submitted_at or utcnow()):
                continue  # only the later of two look-alikes is flagged
            if other.prize_id == prize.id and other.submitted_at == entry.submitted_at and other.id > entry.id:
                continue
            if similarity[i, j] >= best_sim:
                best, best_sim = other, float(similarity[i, j])
        if best is not None:
            entry.duplicate_of_id, entry.duplicate_similarity = best.id, round(best_sim, 3)


def consultation_links(prize: Prize, entries: list[Entry], vectors: np.ndarray, model: Any) -> bool:
    """Link entries to the council's current consultation themes; False when there are none (or no analysis)."""
    analysis = optional_module("engage.models.analysis")
    consultations = optional_module("engage.models.consultations")
    if analysis is None or consultations is None:
        return False
    Theme, ThemeSet = analysis.Theme, analysis.ThemeSet  # noqa: N806
    Consultation = consultations.Consultation  # noqa: N806
    rows = db_session.execute(
        select(Theme, Consultation.title, ThemeSet.model_sha)
        .join(ThemeSet, Theme.theme_set_id == ThemeSet.id)
        .join(Consultation, Consultation.id == ThemeSet.consultation_id)
        .where(
            Consultation.council_id == prize.council_id,
            ThemeSet.is_current.is_(True),
            Theme.parent_id.is_(None),
            Theme.hidden.is_(False),
            Theme.merged_into_id.is_(None),
            Theme.centroid.is_not(None),
        )
    ).all()
    sha = getattr(model, "model_sha", "")
    rows = [(theme, title) for theme, title, model_sha in rows if not model_sha or model_sha == sha]
    if not rows:
        for entry in entries:
            entry.consultation_themes = []
        return False
    centres = _unit(np.vstack([np.frombuffer(theme.centroid, dtype="<f4") for theme, _ in rows]))
    if centres.shape[1] != vectors.shape[1]:
        return False
    similarity = _unit(vectors) @ centres.T
    for i, entry in enumerate(entries):
        order = np.argsort(-similarity[i])[:MAX_CONSULTATION_THEMES]
        entry.consultation_themes = [
            {
                "theme_id": rows[j][0].id,
                "label": rows[j][0].label,
                "consultation": rows[j][1],
                "similarity": round(float(similarity[i, j]), 3),
            }
            for j in order
            if similarity[i, j] >= CONSULTATION_SIMILARITY
        ]
    return True


@task("prizes.group_entries")
def group_entries(prize_id: int) -> None:
    prize = db_session.get(Prize, prize_id)
    if prize is None:
        return
    prize.grouping_status = "running"
    db_session.commit()
    try:
        entries = list(
            db_session.scalars(
                select(Entry)
                .where(Entry.prize_id == prize.id, Entry.status == EntryStatus.SUBMITTED)
                .order_by(Entry.submitted_at, Entry.id)
            )
        )
        texts = [entry_text(e) for e in entries]
        model = embedder()
        vectors = np.asarray(model.encode(texts), dtype=np.float32) if texts else np.zeros((0, 1), dtype=np.float32)
        if entries:
            prize.solution_themes = solution_themes(entries, texts, model, seed=prize.id)
            near_duplicates(prize, entries, vectors, model)
            consultation_links(prize, entries, vectors, model)
        else:
            prize.solution_themes = []
        prize.grouping_status = "done"
        prize.grouping_error = ""
        prize.grouped_at = utcnow()
        db_session.commit()
    except Exception as exc:
        log.exception("grouping the entries of prize %s failed", prize_id)
        db_session.rollback()
        prize = db_session.get(Prize, prize_id)
        if prize is not None:
            prize.grouping_status = "failed"
            prize.grouping_error = f"{type(exc).__name__}: {exc}"[:500]
            db_session.commit()
