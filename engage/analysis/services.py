"""Theme analysis: who may see and do what, starting runs, placing new answers, analysts' review and search."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select, update

from engage.analysis import runner, sources
from engage.analysis.embedding import blob_of, get_embedder, vector_of
from engage.db import session as db_session
from engage.db import utcnow
from engage.jobs import enqueue
from engage.models import Council, User
from engage.models.accounts import Role
from engage.models.analysis import (
    ACTIVE_STATUSES,
    AnalysisRun,
    AssignmentSource,
    RunStatus,
    Theme,
    ThemeAssignment,
    ThemeEdit,
    ThemeSet,
)
from engage.models.consultations import Consultation, Question, QuestionKind
from engage.services import PermissionDenied, ServiceError, audit, require_role

log = logging.getLogger(__name__)
ANALYSTS = (Role.ANALYST, Role.ADMIN)
READERS = (Role.ANALYST, Role.COUNCILLOR, Role.OFFICER, Role.ADMIN)
RESPONDERS = (Role.OFFICER, Role.ADMIN)
QUEUED_TIMEOUT = timedelta(minutes=30)
CATCH_UP_EVERY = timedelta(seconds=30)
MAX_LABEL = 120
MAX_DESCRIPTION = 1000
MAX_WHAT_WE_DID = 3000


# ---------------------------------------------------------------------------------------------- access


def may(user: Any, council_id: int, roles: tuple[Role, ...]) -> bool:
    try:
        require_role(user, council_id, *roles)
    except PermissionDenied:
        return False
    return True


def consultations_for(user: Any) -> list[Consultation]:
    """Consultations whose themes the user may read: their councils' only (every council for site admins)."""
    query = select(Consultation).order_by(Consultation.created_at.desc())
    if not getattr(user, "is_site_admin", False):
        councils = {m.council_id for m in user.memberships if m.role in READERS}
        if not councils:
            return []
        query = query.where(Consultation.council_id.in_(councils))
    return list(db_session.scalars(query))


def get_consultation(user: Any, consultation_id: int, roles: tuple[Role, ...] = READERS) -> Consultation | None:
    """The consultation, or None when it does not exist; PermissionDenied outside the user's council or roles."""
    consultation = db_session.get(Consultation, consultation_id)
    if consultation is None:
        return None
    require_role(user, consultation.council_id, *roles)
    return consultation


def get_theme(user: Any, theme_id: int, roles: tuple[Role, ...] = READERS) -> Theme | None:
    theme = db_session.get(Theme, theme_id)
    if theme is None:
        return None
    consultation = db_session.get(Consultation, theme.theme_set.consultation_id)
    require_role(user, consultation.council_id, *roles)
    return theme


def get_run(user: Any, run_id: int) -> AnalysisRun | None:
    run = db_session.get(AnalysisRun, run_id)
    if run is None:
        return None
    require_role(user, run.council_id, *READERS)
    runner.reap_stale(run.consultation_id)
    db_session.refresh(run)
    return run


def question_of(consultation: Consultation, question_id: int) -> Question | None:
    question = db_session.get(Question, question_id)
    if question is None or question.consultation_id != consultation.id:
        return None
    return question


# ---------------------------------------------------------------------------------------------- runs


def runs_for(consultation: Consultation, limit: int = 20) -> list[AnalysisRun]:
    runner.reap_stale(consultation.id)
    return list(
        db_session.scalars(
            select(AnalysisRun)
            .where(AnalysisRun.consultation_id == consultation.id)
            .order_by(AnalysisRun.id.desc())
            .limit(limit)
        )
    )


def active_run(consultation: Consultation) -> AnalysisRun | None:
    """A queued or running run of the consultation (runs whose worker died are marked failed first)."""
    runner.reap_stale(consultation.id)
    db_session.expire_all()
    run = db_session.scalar(
        select(AnalysisRun)
        .where(AnalysisRun.consultation_id == consultation.id, AnalysisRun.status.in_(ACTIVE_STATUSES))
        .order_by(AnalysisRun.id.desc())
    )
    if run is not None and run.status == RunStatus.QUEUED and run.created_at < utcnow() - QUEUED_TIMEOUT:
        runner.fail(run.id, "No worker picked up this analysis within 30 minutes. Check the background workers.")
        return None
    return run


def start_run(user: User, consultation: Consultation, question_id: int | None = None, seed: int = 42) -> AnalysisRun:
    """Queue an analysis of every free-text question (or one) and hand it to the background workers."""
    require_role(user, consultation.council_id, *ANALYSTS)
    run = create_run(consultation, question_id, user=user, seed=seed)
    audit("analysis.start", actor=user, council_id=consultation.council_id, target=run, question_id=question_id)
    db_session.commit()
    enqueue("analysis.run", run.id)
    return run


def create_run(
    consultation: Consultation,
    question_id: int | None,
    user: User | None = None,
    seed: int = 42,
    refit: bool = False,
) -> AnalysisRun:
    """A queued run. Unless `refit`, questions whose answers have not changed reuse the earlier result."""
    questions = sources.free_text_questions(consultation)
    if not questions:
        raise ServiceError("This consultation has no free-text questions to analyse", "question")
    if question_id:
        question = question_of(consultation, question_id)
        if question is None or question.kind != QuestionKind.FREE_TEXT:
            raise ServiceError("Choose a free-text question from this consultation", "question")
    if active_run(consultation) is not None:
        raise ServiceError(
            "An analysis of this consultation is already running. Wait for it to finish before starting another.",
            "question",
        )
    run = AnalysisRun(
        council_id=consultation.council_id,
        consultation_id=consultation.id,
        question_id=question_id or None,
        status=RunStatus.QUEUED,
        seed=seed,
        params={"refit": True} if refit else {},
        created_by_id=user.id if user is not None else None,
        message="Waiting for a worker",
    )
    db_session.add(run)
    db_session.flush()
    return run


def run_state(run: AnalysisRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "status": run.status.value,
        "status_label": run.status_label,
        "progress": round(run.progress or 0.0, 4),
        "percent": run.percent,
        "message": run.message,
        "error": run.error if run.status == RunStatus.FAILED else "",
        "finished": run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED),
    }


# ---------------------------------------------------------------------------------------------- theme sets


def current_set(question: Question) -> ThemeSet | None:
    return db_session.scalar(select(ThemeSet).where(ThemeSet.question_id == question.id, ThemeSet.is_current.is_(True)))


def current_sets(consultation: Consultation) -> dict[int, ThemeSet]:
    sets = db_session.scalars(
        select(ThemeSet).where(ThemeSet.consultation_id == consultation.id, ThemeSet.is_current.is_(True))
    )
    return {s.question_id: s for s in sets}


def live_themes(theme_set: ThemeSet) -> list[Theme]:
    return [t for t in theme_set.themes if t.merged_into_id is None]


def assigned_ids(theme_set: ThemeSet) -> set[int]:
    return set(
        db_session.scalars(select(ThemeAssignment.answer_id).where(ThemeAssignment.theme_set_id == theme_set.id))
    )


def new_answer_ids(theme_set: ThemeSet, question: Question) -> set[int]:
    """Answers that arrived after the run and are not yet placed."""
    return sources.answer_ids(question) - assigned_ids(theme_set)


def arrived_since_run(theme_set: ThemeSet) -> int:
    return int(
        db_session.scalar(
            select(func.count())
            .select_from(ThemeAssignment)
            .where(
                ThemeAssignment.theme_set_id == theme_set.id,
                ThemeAssignment.source == AssignmentSource.ASSIGNED.value,
            )
        )
        or 0
    )


def request_catch_up(theme_set: ThemeSet, question: Question, waiting: int | None = None) -> int:
    """Queue placing new answers into the current themes (at most every 30 seconds). Returns how many wait.

    `waiting`: how many analysable answers have no place in the set, when the caller has counted them already."""
    if waiting is None:
        waiting = len(new_answer_ids(theme_set, question))
    if not waiting:
        return 0
    now = utcnow()
    if theme_set.catchup_requested_at is None or theme_set.catchup_requested_at < now - CATCH_UP_EVERY:
        theme_set.catchup_requested_at = now
        db_session.commit()
        try:
            enqueue("analysis.assign_new", theme_set.id)
        except Exception:  # the page still shows; the next view tries again
            log.exception("could not queue placing new answers for theme set %s", theme_set.id)
    return waiting


def assign_new_answers(theme_set_id: int) -> int:
    """Place answers that arrived after the run into the existing themes (nlp assign). Returns how many."""
    from nlp import ThemeModel
    from nlp.model import Theme as NlpTheme

    theme_set = db_session.get(ThemeSet, theme_set_id)
    if theme_set is None or not theme_set.is_current:
        return 0
    question = db_session.get(Question, theme_set.question_id)
    ids = new_answer_ids(theme_set, question)
    if not ids:
        return 0
    rows = sources.answer_rows(question, ids)
    themes = [t for t in live_themes(theme_set) if t.centroid is not None]
    embedder = get_embedder()
    if theme_set.model_sha and embedder.model_sha != theme_set.model_sha:
        log.warning("theme set %s was made with another embedding model; run the analysis again", theme_set.id)
        return 0
    placed: list[int | None] = [None] * len(rows)
    if themes:
        live_ids = {t.id for t in themes}
        model = ThemeModel(
            themes=[
                NlpTheme(
                    id=t.id,
                    parent=t.parent_id if t.parent_id in live_ids else None,
                    label=t.label,
                    description="",
                    keywords=[],
                    size=0,
                    share=0.0,
                    stance_split={},
                    quotes=[],
                    stance=t.stance,
                )
                for t in themes
            ],
            assignments=[],
            campaigns=[],
            non_substantive=[],
            centroids=np.stack([vector_of(t.centroid) for t in themes]),
            assign_threshold=theme_set.assign_threshold,
            meta={"model_sha": theme_set.model_sha},
            campaign_keys={k: v for k, v in (theme_set.campaign_keys or {}).items() if v in live_ids},
        )
        placed = model.assign([r.text for r in rows], embedder, [r.stance for r in rows])
    now = utcnow()
    known = assigned_ids(theme_set)
    new_rows = [
        {
            "theme_set_id": theme_set.id,
            "answer_id": r.answer_id,
            "theme_id": theme_id,
            "source": AssignmentSource.ASSIGNED.value,
            "assigned_at": now,
        }
        for r, theme_id in zip(rows, placed, strict=True)
        if r.answer_id not in known
    ]
    if new_rows:
        db_session.execute(ThemeAssignment.__table__.insert(), new_rows)
    db_session.commit()
    return len(new_rows)


# ---------------------------------------------------------------------------------------------- review


def _edit(user: User, theme_set: ThemeSet, action: str, theme: Theme | None = None, **detail: Any) -> None:
    db_session.add(
        ThemeEdit(
            theme_set_id=theme_set.id,
            theme_id=theme.id if theme else None,
            user_id=user.id,
            action=action,
            detail=detail,
        )
    )
    if theme is not None:
        theme.edited_by_id = user.id
        theme.edited_at = utcnow()
    consultation = db_session.get(Consultation, theme_set.consultation_id)
    audit(f"analysis.{action}", actor=user, council_id=consultation.council_id, target=theme or theme_set, **detail)


def _require_analyst(user: User, theme_set: ThemeSet) -> None:
    consultation = db_session.get(Consultation, theme_set.consultation_id)
    require_role(user, consultation.council_id, *ANALYSTS)


def rename(user: User, theme: Theme, label: str, description: str) -> Theme:
    _require_analyst(user, theme.theme_set)
    label = " ".join((label or "").split())
    description = (description or "").strip()
    if not label:
        raise ServiceError("Enter a name for the theme", "label")
    if len(label) > MAX_LABEL:
        raise ServiceError(f"Theme name must be {MAX_LABEL} characters or fewer", "label")
    if len(description) > MAX_DESCRIPTION:
        raise ServiceError(f"Description must be {MAX_DESCRIPTION} characters or fewer", "description")
    before = theme.label
    theme.label, theme.description, theme.named_by_analyst = label, description, True
    _edit(user, theme.theme_set, "rename", theme, before=before, after=label)
    db_session.commit()
    return theme


def set_hidden(user: User, theme: Theme, hidden: bool) -> Theme:
    _require_analyst(user, theme.theme_set)
    theme.hidden = hidden
    _edit(user, theme.theme_set, "hide" if hidden else "show", theme)
    db_session.commit()
    return theme


def _descendants(theme: Theme) -> list[Theme]:
    out: list[Theme] = []
    todo = [theme]
    while todo:
        current = todo.pop()
        for t in current.theme_set.themes:
            if t.parent_id == current.id and t.merged_into_id is None and t not in out:
                out.append(t)
                todo.append(t)
    return out


def theme_ids(theme: Theme) -> list[int]:
    """The theme and its live sub-themes (their answers are the theme's answers too)."""
    return [theme.id] + [t.id for t in _descendants(theme)]


def members_of(theme: Theme) -> set[int]:
    return set(
        db_session.scalars(
            select(ThemeAssignment.answer_id).where(
                ThemeAssignment.theme_set_id == theme.theme_set_id, ThemeAssignment.theme_id.in_(theme_ids(theme))
            )
        )
    )


def merge(user: User, target: Theme, others: list[Theme]) -> Theme:
    """Fold `others` into `target`: their answers move, their sub-themes come along, they leave the lists."""
    _require_analyst(user, target.theme_set)
    others = [o for o in others if o.id != target.id]
    if not others:
        raise ServiceError("Choose at least one other theme to merge into this one", "themes")
    for other in others:
        if other.theme_set_id != target.theme_set_id or other.merged_into_id is not None:
            raise ServiceError("Choose themes from the same question", "themes")
        if target in _descendants(other) or other in _descendants(target):
            raise ServiceError(f"“{other.label}” and “{target.label}” are a theme and its sub-theme", "themes")
    for other in others:
        for child in [t for t in other.theme_set.themes if t.parent_id == other.id and t.merged_into_id is None]:
            if target.parent_id is None:
                child.parent_id = target.id
            else:
                _move_all(child, target)
                child.merged_into_id = target.id
        _move_all(other, target)
        other.merged_into_id = target.id
        target.pinned = list(dict.fromkeys((target.pinned or []) + (other.pinned or [])))
        if other.what_we_did and not target.what_we_did:
            target.what_we_did = other.what_we_did
    _recentre(target)
    _edit(user, target.theme_set, "merge", target, merged=[o.label for o in others], into=target.label)
    db_session.commit()
    return target


def _move_all(source: Theme, target: Theme) -> None:
    db_session.execute(
        update(ThemeAssignment)
        .where(ThemeAssignment.theme_set_id == source.theme_set_id, ThemeAssignment.theme_id == source.id)
        .values(theme_id=target.id)
    )


def _vectors_for(rows: list[sources.AnswerRow]) -> np.ndarray:
    return _text_vectors([r.text for r in rows])


def _text_vectors(texts: list[str]) -> np.ndarray:
    from nlp.preprocess import normalise

    embedder = get_embedder()
    return np.asarray(embedder.encode([normalise(t) or t for t in texts]), dtype=np.float32)


def _recentre(theme: Theme) -> None:
    """Centre of the theme's answers (so new answers keep being placed well after edits)."""
    db_session.flush()
    ids = members_of(theme)
    if not ids:
        return
    question = db_session.get(Question, theme.theme_set.question_id)
    rows = sources.answer_rows(question, ids)
    if not rows:
        return
    v = _vectors_for(rows).sum(axis=0)
    theme.centroid = blob_of(v / (np.linalg.norm(v) or 1.0))


def split(user: User, theme: Theme, parts: int = 2) -> list[Theme]:
    """Re-cluster a theme's answers into `parts` sub-themes (replacing any it had)."""
    from sklearn.cluster import KMeans

    from nlp.label import CTfidfLabeller

    _require_analyst(user, theme.theme_set)
    if parts < 2 or parts > 10:
        raise ServiceError("Split a theme into between 2 and 10 parts", "parts")
    question = db_session.get(Question, theme.theme_set.question_id)
    rows = sources.answer_rows(question, members_of(theme))
    if len(rows) < parts * 2:
        raise ServiceError(f"This theme has too few answers to split into {parts}", "parts")
    emb = _vectors_for(rows)
    labels = KMeans(n_clusters=parts, n_init=10, random_state=theme.theme_set.run.seed).fit_predict(emb)
    names = CTfidfLabeller(encode=get_embedder().encode).label([r.text for r in rows], emb, labels, parts)
    parent = theme if theme.parent_id is None else theme.parent
    for child in [t for t in theme.theme_set.themes if t.parent_id == theme.id and t.merged_into_id is None]:
        child.merged_into_id = theme.id
    db_session.flush()
    new_themes: list[Theme] = []
    for k in range(parts):
        idx = np.flatnonzero(labels == k)
        v = emb[idx].sum(axis=0)
        part = Theme(
            theme_set_id=theme.theme_set_id,
            number=-1,
            parent_id=parent.id,
            label=names[k].label[:200],
            description=names[k].description,
            keywords=names[k].keywords,
            stance=theme.stance,
            quotes=[rows[i].answer_id for i in names[k].quotes],
            pinned=[],
            centroid=blob_of(v / (np.linalg.norm(v) or 1.0)),
        )
        db_session.add(part)
        db_session.flush()
        db_session.execute(
            update(ThemeAssignment)
            .where(
                ThemeAssignment.theme_set_id == theme.theme_set_id,
                ThemeAssignment.answer_id.in_([rows[i].answer_id for i in idx]),
            )
            .values(theme_id=part.id, source=AssignmentSource.ANALYST.value, assigned_by_id=user.id)
        )
        new_themes.append(part)
    if theme.parent_id is not None:
        theme.merged_into_id = new_themes[0].id
    _edit(user, theme.theme_set, "split", theme, parts=[t.label for t in new_themes])
    db_session.commit()
    return new_themes


def move_answers(user: User, theme_set: ThemeSet, answer_ids: list[int], target: Theme | None) -> int:
    """Put answers into `target` (None: out of every theme, into Other)."""
    _require_analyst(user, theme_set)
    if target is not None and (target.theme_set_id != theme_set.id or target.merged_into_id is not None):
        raise ServiceError("Choose a theme from this question", "target")
    if not answer_ids:
        raise ServiceError("Select at least one answer to move", "answers")
    if target is not None:
        # Embed (and cache) every answer the target will hold before this transaction starts writing: the embedding
        # cache saves on its own connection, which on SQLite would wait for this one's write lock.
        question = db_session.get(Question, theme_set.question_id)
        _vectors_for(sources.answer_rows(question, members_of(target) | set(answer_ids)))
    result = db_session.execute(
        update(ThemeAssignment)
        .where(ThemeAssignment.theme_set_id == theme_set.id, ThemeAssignment.answer_id.in_(answer_ids))
        .values(
            theme_id=target.id if target else None,
            source=AssignmentSource.ANALYST.value,
            assigned_by_id=user.id,
            assigned_at=utcnow(),
        )
    )
    moved = result.rowcount or 0
    if target is not None:
        _recentre(target)
    _edit(user, theme_set, "move", target, answers=sorted(answer_ids), to=target.label if target else "Other")
    db_session.commit()
    return moved


def pin(user: User, theme: Theme, answer_id: int, pinned: bool) -> Theme:
    _require_analyst(user, theme.theme_set)
    current = list(theme.pinned or [])
    if pinned:
        if answer_id not in members_of(theme):
            raise ServiceError("Only an answer in this theme can be pinned as its quote", "answer")
        if answer_id not in current:
            current.insert(0, answer_id)
    else:
        current = [a for a in current if a != answer_id]
    theme.pinned = current
    _edit(user, theme.theme_set, "pin" if pinned else "unpin", theme, answer=answer_id)
    db_session.commit()
    return theme


def create_theme(user: User, theme_set: ThemeSet, label: str, answer_ids: list[int]) -> Theme:
    """A new top-level theme from chosen answers (e.g. the results of a search)."""
    _require_analyst(user, theme_set)
    label = " ".join((label or "").split())
    if not label:
        raise ServiceError("Enter a name for the new theme", "label")
    if len(label) > MAX_LABEL:
        raise ServiceError(f"Theme name must be {MAX_LABEL} characters or fewer", "label")
    known = assigned_ids(theme_set)
    chosen = [a for a in answer_ids if a in known]
    if not chosen:
        raise ServiceError("Select at least one answer for the new theme", "answers")
    theme = Theme(theme_set_id=theme_set.id, number=-1, label=label, description="", keywords=[], named_by_analyst=True)
    db_session.add(theme)
    db_session.flush()
    db_session.execute(
        update(ThemeAssignment)
        .where(ThemeAssignment.theme_set_id == theme_set.id, ThemeAssignment.answer_id.in_(chosen))
        .values(theme_id=theme.id, source=AssignmentSource.ANALYST.value, assigned_by_id=user.id)
    )
    _recentre(theme)
    _edit(user, theme_set, "create", theme, label=label, answers=len(chosen))
    db_session.commit()
    return theme


def set_what_we_did(user: User, theme: Theme, text: str) -> Theme:
    consultation = db_session.get(Consultation, theme.theme_set.consultation_id)
    require_role(user, consultation.council_id, *RESPONDERS)
    text = (text or "").strip()
    if len(text) > MAX_WHAT_WE_DID:
        raise ServiceError(f"“What we did” must be {MAX_WHAT_WE_DID} characters or fewer", "what_we_did")
    theme.what_we_did, theme.what_we_did_by_id, theme.what_we_did_at = text, user.id, utcnow()
    _edit(user, theme.theme_set, "what_we_did", theme)
    db_session.commit()
    return theme


def history(theme_set: ThemeSet, limit: int = 50) -> list[ThemeEdit]:
    return list(
        db_session.scalars(
            select(ThemeEdit).where(ThemeEdit.theme_set_id == theme_set.id).order_by(ThemeEdit.id.desc()).limit(limit)
        )
    )


# ---------------------------------------------------------------------------------------------- search


def _query_vector(query: str) -> np.ndarray:
    query = " ".join((query or "").split())
    if not query:
        raise ServiceError("Enter what to search for", "q")
    if len(query) > 200:
        raise ServiceError("Search for 200 characters or fewer", "q")
    return np.asarray(get_embedder().encode([query]), dtype=np.float32)[0]


def _matches(question: Question, q: np.ndarray, min_score: float) -> list[tuple[int, float]]:
    """(answer id, similarity) of the question's answers at least `min_score` similar to the query vector. Scores
    ids and texts only; the full rows are read for the few shown."""
    answers = sources.answer_texts(question)
    if not answers:
        return []
    scores = _text_vectors([text for _, text in answers]) @ q
    return [(answers[i][0], float(scores[i])) for i in np.flatnonzero(scores >= min_score)]


def _closest(questions: list[Question], query: str, limit: int, min_score: float) -> list[tuple[Question, Any, float]]:
    """The answers to `questions` closest in meaning to `query`, most similar first (oldest first among equals), as
    (question, answer row, similarity); full rows are read only for those kept."""
    q = _query_vector(query)
    hits = [
        (question, answer_id, score) for question in questions for answer_id, score in _matches(question, q, min_score)
    ]
    hits = sorted(hits, key=lambda hit: (-hit[2], hit[1]))[:limit]
    wanted: dict[Question, list[int]] = {}
    for question, answer_id, _ in hits:
        wanted.setdefault(question, []).append(answer_id)
    rows = {
        answer_id: row
        for question, ids in wanted.items()
        for answer_id, row in sources.rows_by_id(question, ids).items()
    }
    return [(question, rows[answer_id], score) for question, answer_id, score in hits if answer_id in rows]


def search(question: Question, query: str, limit: int = 25, min_score: float = 0.2) -> list[tuple[Any, float]]:
    """Answers to `question` closest in meaning to `query` (oldest first among equals), using the stored embeddings."""
    return [(row, score) for _, row, score in _closest([question], query, limit, min_score)]


def search_consultation(
    consultation: Consultation, query: str, limit: int = 40, min_score: float = 0.2
) -> list[tuple[Question, Any, float]]:
    """Answers to every free-text question of the consultation, closest in meaning to `query` first."""
    return _closest(sources.free_text_questions(consultation), query, limit, min_score)


def council_of(consultation: Consultation) -> Council:
    return db_session.get(Council, consultation.council_id)


def may_see_any(user: Any) -> bool:
    return bool(getattr(user, "is_site_admin", False)) or any(m.role in READERS for m in user.memberships)


def published_consultation(council_slug: str, consultation_id: int) -> Consultation | None:
    """A consultation whose results are published (the public may read its themes), else None."""
    from engage.models.consultations import ConsultationStatus

    consultation = db_session.get(Consultation, consultation_id)
    if consultation is None or consultation.status != ConsultationStatus.PUBLISHED:
        return None
    council = db_session.get(Council, consultation.council_id)
    if council is None or council.slug != council_slug:
        return None
    return consultation


def published_with_themes(council: Council) -> list[Consultation]:
    """The council's published consultations that have current themes (for its home page)."""
    from engage.models.consultations import ConsultationStatus

    ids = select(ThemeSet.consultation_id).where(ThemeSet.is_current.is_(True))
    return list(
        db_session.scalars(
            select(Consultation)
            .where(
                Consultation.council_id == council.id,
                Consultation.status == ConsultationStatus.PUBLISHED,
                Consultation.id.in_(ids),
            )
            .order_by(Consultation.published_at.desc())
        )
    )
