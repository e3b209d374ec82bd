"""The councillor's summary: themes ranked by share with stance, quotes, key phrases and who said it, counts under
five suppressed; campaigns, non-substantive answers and responses over time. Plain data for templates, CSV and PDF."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, String, Text, and_, cast, func, literal, select, union_all
from sqlalchemy.orm import aliased

from engage import LONDON
from engage.analysis import services, sources
from engage.analysis.page_cache import CachedBody, PageCache
from engage.db import session as db_session
from engage.models.analysis import Theme, ThemeAssignment, ThemeEdit, ThemeSet
from engage.models.consultations import (
    RESPONDENT_TYPE_LABELS,
    Answer,
    Consultation,
    ModerationAction,
    Question,
    RespondentType,
    Response,
    ResponseStatus,
)

SUPPRESS_BELOW = 5
MAX_QUOTES = 5
STANCES = (("support", "Support"), ("neutral", "Neither"), ("oppose", "Oppose"), ("unknown", "Not said"))
TYPE_LABELS = {t.value: label.removeprefix("A ").removeprefix("An ") for t, label in RESPONDENT_TYPE_LABELS.items()}
TYPE_LABELS[RespondentType.NOT_SAID.value] = "Not said"


def shown(count: int) -> str:
    """A count as shown to councillors and the public: 1 to 4 become 'fewer than 5' so no one is identifiable."""
    if 0 < count < SUPPRESS_BELOW:
        return "fewer than 5"
    return f"{count:,}"


def percent(part: int, whole: int) -> str:
    if not whole:
        return "0%"
    value = 100.0 * part / whole
    return f"{value:.0f}%" if value >= 1 or value == 0 else "less than 1%"


@dataclass
class Breakdown:
    label: str
    count: int

    @property
    def shown(self) -> str:
        return shown(self.count)


@dataclass
class StanceSplit:
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def known(self) -> int:
        return self.total - self.counts.get("unknown", 0)

    def parts(self) -> list[dict[str, Any]]:
        """Bar segments: key, label, count (shown), percent of the answers, x offset and width for the SVG."""
        out, x = [], 0.0
        total = self.total or 1
        for key, label in STANCES:
            n = self.counts.get(key, 0)
            width = 100.0 * n / total
            out.append(
                {
                    "key": key,
                    "label": label,
                    "count": n,
                    "shown": shown(n),
                    "percent": percent(n, total),
                    "x": round(x, 2),
                    "width": round(width, 2),
                }
            )
            x += width
        return out

    def text(self) -> str:
        return ", ".join(f"{p['label']}: {p['shown']} ({p['percent']})" for p in self.parts() if p["count"])


@dataclass
class ThemeSummary:
    theme: Theme
    count: int
    total: int
    stance: StanceSplit | None
    quotes: list[sources.AnswerRow]
    wards: list[Breakdown]
    types: list[Breakdown]
    children: list[ThemeSummary] = field(default_factory=list)

    @property
    def percent(self) -> str:
        return percent(self.count, self.total)

    @property
    def share(self) -> float:
        return self.count / self.total if self.total else 0.0

    @property
    def shown(self) -> str:
        return shown(self.count)


@dataclass
class QuestionSummary:
    question: Question
    theme_set: ThemeSet | None
    total: int = 0
    themes: list[ThemeSummary] = field(default_factory=list)
    other: int = 0
    non_substantive: int = 0
    campaigns: list[dict[str, Any]] = field(default_factory=list)
    arrived: int = 0
    waiting: int = 0
    has_stance: bool = False
    message: str = ""


def _breakdown(counts: Counter[str], labels: dict[str, str] | None = None) -> list[Breakdown]:
    items = [Breakdown((labels or {}).get(k, k) or "Not given", n) for k, n in counts.items() if n]
    return sorted(items, key=lambda b: (-b.count, b.label))


def assignment_map(theme_set: ThemeSet) -> dict[int, int | None]:
    return dict(
        db_session.execute(
            select(ThemeAssignment.answer_id, ThemeAssignment.theme_id).where(
                ThemeAssignment.theme_set_id == theme_set.id
            )
        ).all()
    )


def _placed_in(theme_set_id: int) -> ColumnElement[bool]:
    """Join condition: an answer's placement in the theme set."""
    return and_(ThemeAssignment.answer_id == Answer.id, ThemeAssignment.theme_set_id == theme_set_id)


def _placements(question: Question, theme_set: ThemeSet) -> list[tuple[int, int | None, bool]]:
    """(answer id, theme id, placed) of every analysable answer, by answer id. Three numbers a row: cheap to read."""
    rows = db_session.execute(
        sources.analysable_select(question, Answer.id, ThemeAssignment.theme_id, ThemeAssignment.id)
        .outerjoin(ThemeAssignment, _placed_in(theme_set.id))
        .order_by(Answer.id)
    )
    return [(answer_id, theme_id, assignment_id is not None) for answer_id, theme_id, assignment_id in rows]


def _groups(question: Question, theme_set: ThemeSet) -> list[tuple[str, int | None, str | None, int]]:
    """How many placed analysable answers each theme has per ward ("ward"), per respondent type ("type") and per
    stance answer ("stance"): (kind, theme id, value, count), by SQL GROUP BY over one set of rows.

    A stance value is the support/oppose answer's stored JSON as text (None without one): `sources.stance_of` turns
    it into a stance the way `free_text_answers` does. Three small groupings rather than one by ward, type and stance
    together, whose combinations would be almost as many as the answers."""
    columns: list[Any] = [
        ThemeAssignment.theme_id.label("theme_id"),
        Response.ward.label("ward"),
        cast(Response.respondent_type, String).label("kind"),
    ]
    query = sources.analysable_select(question).join(ThemeAssignment, _placed_in(theme_set.id))
    if question.stance_question_id is not None:
        stance_answer = aliased(Answer)
        columns.append(cast(stance_answer.choices, Text).label("choices"))
        query = query.outerjoin(
            stance_answer,
            and_(stance_answer.response_id == Response.id, stance_answer.question_id == question.stance_question_id),
        )
    placed = query.add_columns(*columns).cte("placed")
    parts = [("ward", placed.c.ward), ("type", placed.c.kind)]
    if question.stance_question_id is not None:
        parts.append(("stance", placed.c.choices))
    grouped = union_all(
        *(
            select(literal(kind, String).label("what"), placed.c.theme_id, value.label("value"), func.count())
            .select_from(placed)
            .group_by(placed.c.theme_id, value)
            for kind, value in parts
        )
    )
    return [(kind, theme_id, value, int(n)) for kind, theme_id, value, n in db_session.execute(grouped)]


@dataclass
class _Tally:
    """One theme's answers counted (its sub-themes' included) and the smallest answer ids, for default quotes."""

    count: int = 0
    stance: Counter[str] = field(default_factory=Counter)
    wards: Counter[str] = field(default_factory=Counter)
    types: Counter[str] = field(default_factory=Counter)
    first: list[int] = field(default_factory=list)


def summarise_question(question: Question, include_hidden: bool = False, catch_up: bool = True) -> QuestionSummary:
    """One question's summary. Counts come from SQL (one GROUP BY, one read of answer and theme ids); only the
    quoted answers' text is read."""
    theme_set = services.current_set(question)
    summary = QuestionSummary(question=question, theme_set=theme_set)
    summary.has_stance = bool(question.stance_question_id)
    if theme_set is None:
        return summary
    placements = _placements(question, theme_set)
    if catch_up:
        waiting = sum(1 for _answer_id, _theme_id, placed in placements if not placed)
        asked = theme_set.catchup_requested_at
        summary.waiting = services.request_catch_up(theme_set, question, waiting)
        if theme_set.catchup_requested_at != asked:  # queued now (and, with eager jobs, placed already): read again
            placements = _placements(question, theme_set)
    valid = {answer_id for answer_id, _theme_id, _placed in placements}
    assigned = {answer_id: theme_id for answer_id, theme_id, placed in placements if placed}
    summary.total = len(assigned)
    summary.arrived = services.arrived_since_run(theme_set)
    summary.message = theme_set.message
    non_sub = set(theme_set.non_substantive or []) & set(assigned)
    summary.non_substantive = len(non_sub)
    summary.campaigns = [
        {"count": sum(1 for i in c["ids"] if i in valid), "text": c["text"]} for c in (theme_set.campaigns or [])
    ]
    summary.campaigns = [c for c in summary.campaigns if c["count"]]
    themes = services.live_themes(theme_set)
    by_id = {t.id: t for t in themes}

    def chain(theme_id: int | None) -> list[int]:
        """The theme and the themes above it: an answer counts in each."""
        out: list[int] = []
        while theme_id is not None and theme_id in by_id and theme_id not in out:
            out.append(theme_id)
            theme_id = by_id[theme_id].parent_id
        return out

    chains = {t.id: chain(t.id) for t in themes}
    summary.other = sum(1 for a, t in assigned.items() if t not in by_id and a not in non_sub)
    tallies = {t.id: _Tally() for t in themes}
    stances: dict[str | None, str] = {}
    for what, theme_id, value, n in _groups(question, theme_set):
        for tid in chains.get(theme_id, ()):
            tally = tallies[tid]
            if what == "ward":
                tally.count += n
                tally.wards[value or ""] += n
            elif what == "type":
                tally.types[value] += n
            else:
                if value not in stances:
                    stances[value] = sources.stance_of(json.loads(value) if value else None) or "unknown"
                tally.stance[stances[value]] += n
    for answer_id, theme_id, placed in placements:  # by answer id: the first three of each theme
        if placed and theme_id in chains:
            for tid in chains[theme_id]:
                if len(tallies[tid].first) < 3:
                    tallies[tid].first.append(answer_id)

    def quote_ids(theme: Theme) -> list[int]:
        ids = [
            q
            for q in list(theme.pinned or []) + list(theme.quotes or [])
            if theme.id in chains.get(assigned.get(q), ())
        ]
        ids = list(dict.fromkeys(ids))[:MAX_QUOTES]
        if len(ids) < 3:
            ids += [i for i in tallies[theme.id].first if i not in ids][: 3 - len(ids)]
        return ids

    visible = [t for t in themes if include_hidden or not t.hidden]
    tops = [t for t in visible if t.parent_id is None or t.parent_id not in by_id]
    shown_themes = tops + [c for top in tops for c in visible if c.parent_id == top.id]
    wanted = {t.id: quote_ids(t) for t in shown_themes}
    rows = sources.rows_by_id(question, [i for ids in wanted.values() for i in ids])

    def build(theme: Theme) -> ThemeSummary:
        tally = tallies[theme.id]
        return ThemeSummary(
            theme=theme,
            count=tally.count,
            total=summary.total,
            stance=StanceSplit(dict(tally.stance)) if summary.has_stance else None,
            quotes=[rows[i] for i in wanted[theme.id] if i in rows],
            wards=_breakdown(tally.wards),
            types=_breakdown(tally.types, TYPE_LABELS),
        )

    for top in tops:
        ts = build(top)
        ts.children = sorted(
            (build(c) for c in visible if c.parent_id == top.id), key=lambda s: (-s.count, s.theme.label)
        )
        summary.themes.append(ts)
    summary.themes.sort(key=lambda s: (-s.count, s.theme.label))
    return summary


def summarise(consultation: Consultation, include_hidden: bool = False, catch_up: bool = True) -> list[QuestionSummary]:
    return [summarise_question(q, include_hidden, catch_up) for q in sources.free_text_questions(consultation)]


# ---------------------------------------------------------------------------------------------- cached pages


def _digest(*parts: Any) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def data_version(consultation: Consultation) -> tuple[Hashable, ...]:
    """A cheap fingerprint of everything the summary and public results pages show: it changes whenever a page
    could. Five small indexed queries; no answer text is read. Every write path ends in one of its parts:

    - the consultation's own fields (status, publishing, results text; `created_at` tells apart a consultation
      made again with the same id after a database reset);
    - its questions (wording, order, kind, which question gives the stance);
    - its responses: how many and the newest (new responses, deleted ones), the latest submitted, changed (a verified
      resident changing their answers), withdrawn and anonymised times, and exactly which responses are not valid
      (withdrawn, or marked duplicate and back: marking changes no timestamp);
    - its moderation log (hiding an answer adds a row; rows are only ever added, or deleted with their response);
    - the current theme set of each question (a new analysis makes new sets), the newest of their edit rows (every
      analyst's or officer's change: rename, describe, hide, merge, split, move, pin, create a theme, "what we did";
      carrying over at the end of a run), and how many answers are placed in them and the newest placement (answers
      placed after the run)."""
    questions = db_session.execute(
        select(Question.id, Question.position, Question.kind, Question.text, Question.stance_question_id)
        .where(Question.consultation_id == consultation.id)
        .order_by(Question.id)
    ).all()
    responses = db_session.execute(
        select(
            func.count(),
            func.max(Response.id),
            func.max(Response.submitted_at),
            func.max(Response.updated_at),
            func.max(Response.withdrawn_at),
            func.max(Response.anonymised_at),
        ).where(Response.consultation_id == consultation.id)
    ).one()
    not_valid = db_session.execute(
        select(Response.id, Response.status)
        .where(Response.consultation_id == consultation.id, Response.status != ResponseStatus.VALID)
        .order_by(Response.id)
    ).all()
    moderation = db_session.execute(
        select(func.count(), func.max(ModerationAction.id))
        .select_from(ModerationAction)
        .join(Answer, Answer.id == ModerationAction.answer_id)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.consultation_id == consultation.id)
    ).one()

    def per_set(column: Any, model: Any) -> Any:
        return select(column).where(model.theme_set_id == ThemeSet.id).correlate(ThemeSet).scalar_subquery()

    sets = db_session.execute(
        select(
            ThemeSet.question_id,
            ThemeSet.id,
            per_set(func.max(ThemeEdit.id), ThemeEdit),
            per_set(func.count(ThemeAssignment.id), ThemeAssignment),
            per_set(func.max(ThemeAssignment.id), ThemeAssignment),
        )
        .where(ThemeSet.consultation_id == consultation.id, ThemeSet.is_current.is_(True))
        .order_by(ThemeSet.question_id, ThemeSet.id)
    ).all()
    return (
        consultation.created_at,
        consultation.status,
        consultation.published_at,
        _digest(consultation.title, consultation.results_summary),
        _digest(*(tuple(q) for q in questions)),
        tuple(responses),
        _digest(*(tuple(r) for r in not_valid)),
        tuple(moderation),
        tuple(tuple(s) for s in sets),
    )


def page_cache() -> PageCache:
    """This process's cache of page bodies (one per app, so each test app has its own)."""
    return current_app.extensions.setdefault("engage.summary_pages", PageCache())


def _nudge_catch_up(waiting: tuple[tuple[int, int, int], ...]) -> bool:
    """A kept page says answers wait to be placed: ask for them again (at most every 30 seconds, as the uncached page
    does). True when a request went out now (with eager jobs the answers are placed already): read the page again."""
    queued = False
    for theme_set_id, question_id, count in waiting:
        theme_set = db_session.get(ThemeSet, theme_set_id)
        question = db_session.get(Question, question_id)
        if theme_set is None or question is None or not theme_set.is_current:
            continue
        asked = theme_set.catchup_requested_at
        services.request_catch_up(theme_set, question, count)
        queued = queued or theme_set.catchup_requested_at != asked
    return queued


def cached_page(
    consultation: Consultation,
    page: str,
    audience: Hashable,
    render: Callable[[], tuple[str, list[QuestionSummary]]],
    catch_up: bool = False,
) -> str:
    """A page body made by `render` (its HTML and the summaries it showed), kept per process and served again while
    `data_version` is unchanged, so it is never stale. `audience` is whatever else the body depends on (e.g. whether
    the reader may say what the council did); nothing per person may go into a body. With `catch_up`, a kept body
    that says answers wait to be placed still asks for them to be placed. SUMMARY_CACHE=false renders every time."""
    if not current_app.config.get("SUMMARY_CACHE", True):
        return render()[0]
    cache = page_cache()
    slot = (consultation.id, page, audience)
    version = data_version(consultation)
    kept = cache.get(slot, version)
    if kept is not None:
        if not (catch_up and kept.waiting and _nudge_catch_up(kept.waiting)):
            return kept.html
        version = data_version(consultation)
    html, summaries = render()
    if data_version(consultation) == version:  # nothing changed while the page was read: keep it under that version
        waiting = tuple(
            (qs.theme_set.id, qs.question.id, qs.waiting) for qs in summaries if qs.theme_set is not None and qs.waiting
        )
        cache.put(slot, version, CachedBody(html, waiting))
    return html


def _hour(column: Any) -> Any:
    """The UTC hour of a timestamp as text, "YYYY-MM-DD HH" (London is always a whole number of hours off UTC, so
    counts per UTC hour add up exactly to counts per London day)."""
    if db_session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", column)


def responses_over_time(consultation: Consultation) -> list[Breakdown]:
    """Valid responses per day (per week when the consultation ran for more than 8 weeks), London dates."""
    from engage.models.consultations import ResponseStatus

    hour = _hour(Response.submitted_at)
    per_hour = db_session.execute(
        select(hour, func.count())
        .where(Response.consultation_id == consultation.id, Response.status == ResponseStatus.VALID)
        .group_by(hour)
    ).all()
    days: Counter[date] = Counter()
    for text, n in per_hour:
        if text:
            utc_hour = datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=UTC)
            days[utc_hour.astimezone(LONDON).date()] += n
    if not days:
        return []
    first, last = min(days), max(days)
    weekly = (last - first).days > 56
    out: list[Breakdown] = []
    if weekly:
        start = first - timedelta(days=first.weekday())
        while start <= last:
            n = sum(days.get(start + timedelta(days=i), 0) for i in range(7))
            out.append(Breakdown(f"Week of {_day(start)}", n))
            start += timedelta(days=7)
    else:
        d = first
        while d <= last:
            out.append(Breakdown(_day(d), days.get(d, 0)))
            d += timedelta(days=1)
    return out


def _day(d: date) -> str:
    return f"{d.day} {d.strftime('%B %Y')}"


def chart_bars(items: list[Breakdown], height: int = 120) -> list[dict[str, Any]]:
    """SVG geometry for a simple column chart (percent widths, pixel heights)."""
    if not items:
        return []
    top = max(b.count for b in items) or 1
    width = 100.0 / len(items)
    return [
        {
            "x": round(i * width, 3),
            "width": round(width * 0.8, 3),
            "height": round(height * b.count / top, 1),
            "y": round(height - height * b.count / top, 1),
            "label": b.label,
            "count": b.count,
        }
        for i, b in enumerate(items)
    ]


def theme_answers(theme: Theme, page: int, per_page: int = 25) -> tuple[list[sources.AnswerRow], int]:
    """One page of a theme's answers (its sub-themes' too), redacted, oldest first; and how many there are.
    Counted and paged by the database, so a theme of tens of thousands of answers reads only the page shown."""
    question = db_session.get(Question, theme.theme_set.question_id)
    members = (
        sources.analysable_select(question, Answer.id)
        .join(ThemeAssignment, _placed_in(theme.theme_set_id))
        .where(ThemeAssignment.theme_id.in_(services.theme_ids(theme)))
    )
    total = db_session.scalar(select(func.count()).select_from(members.subquery())) or 0
    start = max(0, (page - 1) * per_page)
    ids = list(db_session.scalars(members.order_by(Answer.id).offset(start).limit(per_page)))
    found = sources.rows_by_id(question, ids)
    return [found[i] for i in ids if i in found], total


def csv_themes(consultation: Consultation) -> list[list[Any]]:
    out: list[list[Any]] = [
        [
            "question",
            "theme_id",
            "parent_theme_id",
            "label",
            "description",
            "answers",
            "share",
            "support",
            "neutral",
            "oppose",
            "stance_not_said",
            "key_phrases",
        ]
    ]
    for qs in summarise(consultation):
        for ts in qs.themes:
            for item in [ts, *ts.children]:
                st = item.stance.counts if item.stance else {}
                out.append(
                    [
                        qs.question.code,
                        item.theme.id,
                        item.theme.parent_id or "",
                        item.theme.label,
                        item.theme.description,
                        item.count,
                        round(item.share, 4),
                        st.get("support", ""),
                        st.get("neutral", ""),
                        st.get("oppose", ""),
                        st.get("unknown", ""),
                        "; ".join(item.theme.keywords or []),
                    ]
                )
    return out


def csv_assignments(consultation: Consultation) -> list[list[Any]]:
    from engage.models.consultations import Answer, Response

    out: list[list[Any]] = [["question", "response_reference", "answer_id", "theme_id", "theme", "placed_by"]]
    for question in sources.free_text_questions(consultation):
        theme_set = services.current_set(question)
        if theme_set is None:
            continue
        labels = {t.id: t.label for t in theme_set.themes}
        rows = db_session.execute(
            select(ThemeAssignment.answer_id, ThemeAssignment.theme_id, ThemeAssignment.source, Response.reference)
            .join(Answer, Answer.id == ThemeAssignment.answer_id)
            .join(Response, Response.id == Answer.response_id)
            .where(ThemeAssignment.theme_set_id == theme_set.id)
            .order_by(ThemeAssignment.answer_id)
        )
        for answer_id, theme_id, source, reference in rows:
            out.append([question.code, reference, answer_id, theme_id or "", labels.get(theme_id, "Other"), source])
    return out
