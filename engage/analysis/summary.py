"""The councillor's summary: themes ranked by share with stance, quotes, key phrases and who said it, counts under
five suppressed; campaigns, non-substantive answers and responses over time. Plain data for templates, CSV and PDF."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from engage import LONDON
from engage.analysis import services, sources
from engage.db import session as db_session
from engage.models.analysis import Theme, ThemeAssignment, ThemeSet
from engage.models.consultations import RESPONDENT_TYPE_LABELS, Consultation, Question, RespondentType

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


def _breakdown(values: list[str], labels: dict[str, str] | None = None) -> list[Breakdown]:
    counts = Counter(values)
    items = [Breakdown((labels or {}).get(k, k) or "Not given", n) for k, n in counts.items()]
    return sorted(items, key=lambda b: (-b.count, b.label))


def assignment_map(theme_set: ThemeSet) -> dict[int, int | None]:
    return dict(
        db_session.execute(
            select(ThemeAssignment.answer_id, ThemeAssignment.theme_id).where(
                ThemeAssignment.theme_set_id == theme_set.id
            )
        ).all()
    )


def summarise_question(question: Question, include_hidden: bool = False, catch_up: bool = True) -> QuestionSummary:
    theme_set = services.current_set(question)
    summary = QuestionSummary(question=question, theme_set=theme_set)
    summary.has_stance = bool(question.stance_question_id)
    if theme_set is None:
        return summary
    if catch_up:
        summary.waiting = services.request_catch_up(theme_set, question)
    rows = {r.answer_id: r for r in sources.answer_rows(question)}
    assigned = {a: t for a, t in assignment_map(theme_set).items() if a in rows}
    summary.total = len(assigned)
    summary.arrived = services.arrived_since_run(theme_set)
    summary.message = theme_set.message
    non_sub = set(theme_set.non_substantive or []) & set(assigned)
    summary.non_substantive = len(non_sub)
    summary.campaigns = [
        {"count": sum(1 for i in c["ids"] if i in rows), "text": c["text"]} for c in (theme_set.campaigns or [])
    ]
    summary.campaigns = [c for c in summary.campaigns if c["count"]]
    themes = services.live_themes(theme_set)
    by_id = {t.id: t for t in themes}
    members: dict[int, list[int]] = {t.id: [] for t in themes}
    for answer_id, theme_id in assigned.items():
        tid = theme_id
        seen: set[int] = set()
        while tid is not None and tid in by_id and tid not in seen:
            seen.add(tid)
            members[tid].append(answer_id)
            tid = by_id[tid].parent_id
    summary.other = sum(1 for a, t in assigned.items() if (t is None or t not in by_id) and a not in non_sub)

    def build(theme: Theme) -> ThemeSummary:
        ids = members[theme.id]
        member_rows = [rows[i] for i in ids]
        stance = None
        if summary.has_stance:
            stance = StanceSplit(dict(Counter(r.stance or "unknown" for r in member_rows)))
        id_set = set(ids)
        quote_ids = [q for q in list(theme.pinned or []) + list(theme.quotes or []) if q in id_set]
        quote_ids = list(dict.fromkeys(quote_ids))[:MAX_QUOTES]
        if len(quote_ids) < 3:
            quote_ids += [i for i in sorted(ids) if i not in quote_ids][: 3 - len(quote_ids)]
        return ThemeSummary(
            theme=theme,
            count=len(ids),
            total=summary.total,
            stance=stance,
            quotes=[rows[i] for i in quote_ids],
            wards=_breakdown([r.ward for r in member_rows]),
            types=_breakdown([r.respondent_type for r in member_rows], TYPE_LABELS),
        )

    visible = [t for t in themes if include_hidden or not t.hidden]
    tops = [t for t in visible if t.parent_id is None or t.parent_id not in by_id]
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


def responses_over_time(consultation: Consultation) -> list[Breakdown]:
    """Valid responses per day (per week when the consultation ran for more than 8 weeks), London dates."""
    from engage.models.consultations import Response, ResponseStatus

    times = list(
        db_session.scalars(
            select(Response.submitted_at).where(
                Response.consultation_id == consultation.id, Response.status == ResponseStatus.VALID
            )
        )
    )
    if not times:
        return []
    days = Counter(t.astimezone(LONDON).date() for t in times)
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
    """One page of a theme's answers (its sub-themes' too), redacted; and how many there are."""
    question = db_session.get(Question, theme.theme_set.question_id)
    ids = services.members_of(theme)
    rows = sources.answer_rows(question, ids)
    start = max(0, (page - 1) * per_page)
    return rows[start : start + per_page], len(rows)


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
