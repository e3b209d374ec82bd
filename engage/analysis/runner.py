"""Running an analysis: the work a background job (thread or Celery worker) or `flask analysis run` does.

Job state lives in the `analysis_run` row. The worker claims a queued run, writes progress (throttled) and a heartbeat
(from a small thread, so long silent steps such as UMAP still beat), and stores each question's themes as a theme set
that is not yet current. Only when every question is done does one transaction mark the run succeeded and make its
sets current; a run that fails, or whose worker dies (its heartbeat goes stale and anyone looking marks it failed),
leaves the current themes as they were.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from engage.analysis import sources
from engage.analysis.embedding import DatabaseEmbeddingCache, blob_of, get_embedder, setting, vector_of
from engage.db import db, utcnow
from engage.db import session as db_session
from engage.models.analysis import (
    AnalysisRun,
    AssignmentSource,
    FittedResult,
    RunStatus,
    Theme,
    ThemeAssignment,
    ThemeEdit,
    ThemeSet,
)
from engage.models.consultations import Consultation, Question

log = logging.getLogger(__name__)
PIPELINE_PARAMS = ("min_top", "max_top", "merge_similarity", "outlier_quantile", "campaign_min_count")
CARRY_MIN_OVERLAP = 0.5
CARRY_MIN_SIMILARITY = 0.9


class RunAbandoned(RuntimeError):
    """The run was marked failed (its heartbeat went stale) while this worker was still going."""


def heartbeat_seconds() -> float:
    return float(setting("ANALYSIS_HEARTBEAT_SECONDS", 10.0))


def stale_seconds() -> float:
    return float(setting("ANALYSIS_STALE_SECONDS", 60.0))


class Heartbeat:
    """Writes heartbeat_at every `interval` seconds from a daemon thread until stopped."""

    def __init__(self, engine: Engine, run_id: int, interval: float) -> None:
        self.engine = engine
        self.run_id = run_id
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"analysis-heartbeat-{run_id}", daemon=True)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        update(AnalysisRun)
                        .where(AnalysisRun.id == self.run_id, AnalysisRun.status == RunStatus.RUNNING)
                        .values(heartbeat_at=utcnow())
                    )
            except Exception:  # a missed beat is not fatal; the next one may succeed
                log.warning("analysis run %s: heartbeat failed", self.run_id, exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class ProgressWriter:
    """The pipeline's progress callback: writes progress and message at most every `min_interval` seconds."""

    def __init__(
        self,
        engine: Engine,
        run_id: int,
        min_interval: float = 0.5,
        echo: Callable[[float, str], None] | None = None,
    ) -> None:
        self.engine = engine
        self.run_id = run_id
        self.min_interval = min_interval
        self.echo = echo
        self._last = 0.0
        self._last_message = ""

    def __call__(self, fraction: float, message: str, force: bool = False) -> None:
        fraction = max(0.0, min(1.0, float(fraction)))
        if self.echo is not None:
            self.echo(fraction, message)
        now = time.monotonic()
        if not force and now - self._last < self.min_interval and message == self._last_message:
            return
        self._last, self._last_message = now, message
        with self.engine.begin() as connection:
            result = connection.execute(
                update(AnalysisRun)
                .where(AnalysisRun.id == self.run_id, AnalysisRun.status == RunStatus.RUNNING)
                .values(progress=fraction, message=message[:300], heartbeat_at=utcnow())
            )
        if result.rowcount == 0:
            raise RunAbandoned(f"analysis run {self.run_id} is no longer running")


def claim(run_id: int) -> bool:
    """Queued -> running, atomically; False when another worker has it or it was cancelled/failed."""
    now = utcnow()
    with db.engine.begin() as connection:
        result = connection.execute(
            update(AnalysisRun)
            .where(AnalysisRun.id == run_id, AnalysisRun.status == RunStatus.QUEUED)
            .values(status=RunStatus.RUNNING, started_at=now, heartbeat_at=now, progress=0.0, message="Starting")
        )
    return result.rowcount == 1


def fail(run_id: int, error: str) -> None:
    with db.engine.begin() as connection:
        connection.execute(
            update(AnalysisRun)
            .where(AnalysisRun.id == run_id, AnalysisRun.status.in_([RunStatus.QUEUED, RunStatus.RUNNING]))
            .values(status=RunStatus.FAILED, error=error[:4000], finished_at=utcnow(), message="Failed")
        )


def reap_stale(consultation_id: int | None = None) -> int:
    """Mark failed every running run whose heartbeat is older than the stale limit. Returns how many."""
    cutoff = utcnow() - timedelta(seconds=stale_seconds())
    query = update(AnalysisRun).where(
        AnalysisRun.status == RunStatus.RUNNING,
        (AnalysisRun.heartbeat_at.is_(None)) | (AnalysisRun.heartbeat_at < cutoff),
    )
    if consultation_id is not None:
        query = query.where(AnalysisRun.consultation_id == consultation_id)
    with db.engine.begin() as connection:
        result = connection.execute(
            query.values(
                status=RunStatus.FAILED,
                finished_at=utcnow(),
                message="Failed",
                error="The analysis stopped responding (its worker may have been stopped or restarted). "
                "The previous themes are unchanged; start the analysis again.",
            )
        )
    return result.rowcount


def execute(run_id: int, echo: Callable[[float, str], None] | None = None) -> bool:
    """Do run `run_id` if it is still queued. True when it succeeded."""
    if not claim(run_id):
        log.info("analysis run %s is not queued any more; nothing to do", run_id)
        return False
    engine = db.engine
    heartbeat = Heartbeat(engine, run_id, heartbeat_seconds()).start()
    started = time.perf_counter()
    try:
        _execute(run_id, engine, echo, started)
        return True
    except RunAbandoned as exc:
        db_session.rollback()
        log.warning("%s", exc)
        _discard_sets(run_id)
        return False
    except Exception as exc:
        db_session.rollback()
        log.exception("analysis run %s failed", run_id)
        fail(run_id, f"{type(exc).__name__}: {exc}")
        _discard_sets(run_id)
        return False
    finally:
        heartbeat.stop()


def _discard_sets(run_id: int) -> None:
    try:
        for theme_set in db_session.scalars(select(ThemeSet).where(ThemeSet.run_id == run_id)):
            if not theme_set.is_current:
                db_session.delete(theme_set)
        db_session.commit()
    except Exception:
        db_session.rollback()
        log.warning("could not remove the theme sets of failed run %s", run_id, exc_info=True)


def _execute(run_id: int, engine: Engine, echo: Callable[[float, str], None] | None, started: float) -> None:
    from nlp import ThemePipeline

    run = db_session.get(AnalysisRun, run_id)
    assert run is not None
    consultation = db_session.get(Consultation, run.consultation_id)
    assert consultation is not None
    questions = (
        [db_session.get(Question, run.question_id)] if run.question_id else sources.free_text_questions(consultation)
    )
    questions = [q for q in questions if q is not None]
    progress = ProgressWriter(engine, run_id, echo=echo)
    progress(0.0, "Loading answers", force=True)
    rows_by_question = {q.id: sources.answer_rows(q) for q in questions}
    total = sum(len(r) for r in rows_by_question.values()) or 1
    progress(0.01, "Loading the language model")
    embedder = get_embedder(engine)
    params = {k: v for k, v in (run.params or {}).items() if k in PIPELINE_PARAMS}
    stats: dict[str, Any] = {"questions": {}, "embedded": 0, "cached": 0}
    done = 0
    new_sets: list[ThemeSet] = []
    for question in questions:
        rows = rows_by_question[question.id]
        lo, hi = done / total, (done + len(rows)) / total

        def step(fraction: float, message: str, lo: float = lo, hi: float = hi, q: Question = question) -> None:
            label = f"Question {q.position}: {message}" if len(questions) > 1 else message
            progress(0.02 + 0.95 * (lo + (hi - lo) * fraction), label)

        texts = [r.text for r in rows]
        t0 = time.perf_counter()
        print_ = fingerprint(embedder.model_sha, run.seed, params, question.id, rows)
        model = None if (run.params or {}).get("refit") else load_fitted(print_)
        if model is not None:
            step(1.0, "Answers unchanged since an earlier analysis: its themes are reused")
            stats["reused"] = stats.get("reused", 0) + 1
        else:
            DatabaseEmbeddingCache.reset_counts()
            pipe = ThemePipeline(embedder=embedder, random_state=run.seed, **params)
            pipe.fit(
                texts,
                ids=[r.answer_id for r in rows],
                stances=[r.stance for r in rows],
                progress=step,
                group=str(question.id),
            )
            model = pipe.model_
            cached, embedded = DatabaseEmbeddingCache.read_counts()
            stats["embedded"] += embedded
            stats["cached"] += cached
            save_fitted(print_, model)
        stats["questions"][str(question.id)] = {
            "answers": len(rows),
            "seconds": round(time.perf_counter() - t0, 3),
            "timings": model.meta.get("timings", {}),
        }
        new_sets.append(store_model(run, question, model))
        db_session.commit()
        done += len(rows)
    progress(0.98, "Saving themes", force=True)
    stats["seconds"] = round(time.perf_counter() - started, 3)
    _finish(run, new_sets, stats, total if any(rows_by_question.values()) else 0)


def fingerprint(model_sha: str, seed: int, params: dict[str, Any], question_id: int, rows: list[Any]) -> str:
    """What determines the pipeline's output: the answers (id, text, stance), the model, the seed, the parameters."""
    digest = hashlib.sha256()
    # version: raised when the same inputs give different themes or labels (2: key phrases in order of meaning;
    # 3: stance sides separated by a permutation test; 4: sibling themes' labels start with different phrases;
    # 5: under 80 answers, Ward clustering cut where the silhouette is best; 6: sub-themes' labels do not start with
    # a phrase their parent's label shows, and key phrases leave out other languages' function words)
    head = {"model": model_sha, "seed": seed, "params": params, "question": question_id, "version": 6}
    digest.update(json.dumps(head, sort_keys=True).encode())
    for r in rows:
        digest.update(f"\x1e{r.answer_id}\x1f{r.stance or ''}\x1f{r.text}".encode())
    return digest.hexdigest()


def load_fitted(print_: str) -> Any:
    from nlp import ThemeModel
    from nlp.model import Theme as NlpTheme

    found = db_session.get(FittedResult, print_)
    if found is None:
        return None
    doc = found.model
    centroids = np.frombuffer(found.centroids, dtype="<f4").reshape(-1, found.dim) if found.dim else np.zeros((0, 0))
    return ThemeModel(
        themes=[NlpTheme.from_dict(t) for t in doc["themes"]],
        assignments=doc["assignments"],
        campaigns=doc["campaigns"],
        non_substantive=doc["non_substantive"],
        centroids=centroids.copy(),
        assign_threshold=float(doc["assign_threshold"]),
        meta=doc.get("meta", {}),
        group=doc.get("group", ""),
        message=doc.get("message", ""),
        campaign_keys=doc.get("campaign_keys", {}),
    )


def save_fitted(print_: str, model: Any) -> None:
    if db_session.get(FittedResult, print_) is not None:
        return
    centroids = np.asarray(model.centroids, dtype="<f4")
    doc = {
        **model.to_dict(),
        "meta": model.meta,
        "assign_threshold": model.assign_threshold,
        "message": model.message,
        "campaign_keys": model.campaign_keys,
    }
    dim = int(centroids.shape[1]) if centroids.ndim == 2 and centroids.shape[0] else 0
    db_session.add(FittedResult(fingerprint=print_, model=doc, centroids=centroids.tobytes(), dim=dim))
    db_session.flush()


def store_model(run: AnalysisRun, question: Question, model: Any) -> ThemeSet:
    """Write one fitted ThemeModel as a (not yet current) theme set with its themes and assignments."""
    theme_set = ThemeSet(
        run_id=run.id,
        consultation_id=run.consultation_id,
        question_id=question.id,
        is_current=False,
        model_sha=str(model.meta.get("model_sha") or ""),
        assign_threshold=float(model.assign_threshold),
        answer_count=len(model.assignments),
        campaigns=[
            {"count": int(c["count"]), "text": c["text"], "ids": [int(i) for i in c["ids"]]} for c in model.campaigns
        ],
        campaign_keys={k: v for k, v in model.campaign_keys.items()},
        non_substantive=[int(i) for i in model.non_substantive],
        meta={k: v for k, v in model.meta.items() if k != "timings"},
        message=model.message or "",
    )
    db_session.add(theme_set)
    db_session.flush()
    by_number: dict[int, Theme] = {}
    for index, t in enumerate(model.themes):
        theme = Theme(
            theme_set_id=theme_set.id,
            number=t.id,
            label=t.label[:200],
            description=t.description,
            keywords=list(t.keywords),
            stance=t.stance,
            quotes=[int(q) for q in t.quotes],
            pinned=[],
            centroid=blob_of(model.centroids[index]) if len(model.centroids) > index else None,
        )
        db_session.add(theme)
        by_number[t.id] = theme
    db_session.flush()
    for t in model.themes:
        if t.parent is not None:
            by_number[t.id].parent_id = by_number[t.parent].id
    # campaign keys name pipeline theme numbers; keep them as database ids so assignment of new answers works
    theme_set.campaign_keys = {
        k: (by_number[v].id if v is not None and v in by_number else None) for k, v in model.campaign_keys.items()
    }
    now = utcnow()
    db_session.execute(
        ThemeAssignment.__table__.insert(),
        [
            {
                "theme_set_id": theme_set.id,
                "answer_id": int(a["id"]),
                "theme_id": by_number[a["theme"]].id if a["theme"] is not None else None,
                "source": AssignmentSource.MODEL.value,
                "assigned_at": now,
            }
            for a in model.assignments
        ],
    ) if model.assignments else None
    db_session.flush()
    return theme_set


def _finish(run: AnalysisRun, new_sets: list[ThemeSet], stats: dict[str, Any], answers: int) -> None:
    """One transaction: the run succeeds (only if still running), analysts' work carries over, sets become current."""
    now = utcnow()
    result = db_session.execute(
        update(AnalysisRun)
        .where(AnalysisRun.id == run.id, AnalysisRun.status == RunStatus.RUNNING)
        .values(
            status=RunStatus.SUCCEEDED,
            progress=1.0,
            message="Finished",
            finished_at=now,
            heartbeat_at=now,
            stats=stats,
            answer_count=answers,
        )
    )
    if result.rowcount != 1:
        raise RunAbandoned(f"analysis run {run.id} was marked failed before it could finish")
    for theme_set in new_sets:
        previous = db_session.scalar(
            select(ThemeSet).where(ThemeSet.question_id == theme_set.question_id, ThemeSet.is_current.is_(True))
        )
        if previous is not None:
            carry_over(previous, theme_set)
            previous.is_current = False
            db_session.flush()
        theme_set.is_current = True
    db_session.commit()


# ---------------------------------------------------------------------------------------------- carry-over


def members(theme_set_id: int) -> dict[int, set[int]]:
    """theme id -> answer ids, counting a sub-theme's answers in its parent too."""
    themes = {t.id: t for t in db_session.scalars(select(Theme).where(Theme.theme_set_id == theme_set_id))}
    out: dict[int, set[int]] = {tid: set() for tid in themes}
    rows = db_session.execute(
        select(ThemeAssignment.theme_id, ThemeAssignment.answer_id).where(
            ThemeAssignment.theme_set_id == theme_set_id, ThemeAssignment.theme_id.is_not(None)
        )
    )
    for theme_id, answer_id in rows:
        seen = set()
        tid = theme_id
        while tid is not None and tid in themes and tid not in seen:
            seen.add(tid)
            out[tid].add(answer_id)
            tid = themes[tid].parent_id
    return out


def carry_over(previous: ThemeSet, new: ThemeSet) -> int:
    """Give the new set's themes the analyst's words (label, description, hidden, pinned quotes, "what we did")
    of the previous set's theme they match best: most shared answers (Jaccard >= 0.5) or, failing that, centres
    at least 0.9 cosine-similar. Returns how many themes were carried over."""
    old_themes = [
        t
        for t in db_session.scalars(select(Theme).where(Theme.theme_set_id == previous.id))
        if t.live and (t.named_by_analyst or t.hidden or t.what_we_did or t.pinned)
    ]
    if not old_themes:
        return 0
    new_themes = list(db_session.scalars(select(Theme).where(Theme.theme_set_id == new.id)))
    old_members = members(previous.id)
    new_members = members(new.id)
    candidates: list[tuple[float, int, int]] = []
    for o in old_themes:
        a = old_members.get(o.id, set())
        ov = vector_of(o.centroid)
        for n in new_themes:
            b = new_members.get(n.id, set())
            score = 0.0
            if a and b:
                score = len(a & b) / len(a | b)
            if score < CARRY_MIN_OVERLAP:
                nv = vector_of(n.centroid)
                sim = float(np.dot(ov, nv)) if ov is not None and nv is not None and len(ov) == len(nv) else 0.0
                score = 0.5 * sim if sim >= CARRY_MIN_SIMILARITY else 0.0
            else:
                score = 1.0 + score
            if score > 0:
                candidates.append((score, o.id, n.id))
    candidates.sort(reverse=True)
    used_old: set[int] = set()
    used_new: set[int] = set()
    old_by_id = {t.id: t for t in old_themes}
    new_by_id = {t.id: t for t in new_themes}
    carried = 0
    for _score, oid, nid in candidates:
        if oid in used_old or nid in used_new:
            continue
        used_old.add(oid)
        used_new.add(nid)
        o, n = old_by_id[oid], new_by_id[nid]
        if o.named_by_analyst:
            n.label, n.description, n.named_by_analyst = o.label, o.description, True
            n.edited_by_id, n.edited_at = o.edited_by_id, o.edited_at
        n.hidden = o.hidden
        n.what_we_did, n.what_we_did_by_id, n.what_we_did_at = o.what_we_did, o.what_we_did_by_id, o.what_we_did_at
        in_new = new_members.get(n.id, set())
        n.pinned = [a for a in (o.pinned or []) if a in in_new]
        n.carried_from_id = o.id
        db_session.add(
            ThemeEdit(
                theme_set_id=new.id,
                theme_id=n.id,
                user_id=None,
                action="carried_over",
                detail={"from_theme": o.id, "label": o.label},
            )
        )
        carried += 1
    return carried
