"""What the analysis reads from consultations, through the consultations services: free-text questions and their
answers (redacted text only) with stance, ward and respondent type. Valid responses only (not withdrawn, not marked
duplicate) and answers not hidden by moderation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from engage.consultations.services import FreeTextAnswer, free_text_answers
from engage.consultations.services import free_text_questions as _free_text_questions
from engage.db import session as db_session
from engage.models.consultations import (
    STANCE_OF,
    Answer,
    Consultation,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
)

AnswerRow = FreeTextAnswer  # answer_id, response_id, reference, text (redacted), stance, ward, respondent_type, ...

# Every character Python's str.isspace() accepts: what str.strip() removes, so SQL trims exactly the same.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)


def free_text_questions(consultation: Consultation) -> list[Question]:
    return _free_text_questions(consultation.id)


ID_CHUNK = 10_000  # ids per query: under SQLite's limit on the values one statement may bind


def answer_rows(question: Question, answer_ids: set[int] | None = None) -> list[FreeTextAnswer]:
    """Every analysable answer to a free-text question (or only `answer_ids`, read by id), oldest first."""
    if answer_ids is None:
        rows = free_text_answers(question.id, include_duplicates=False)
    else:
        ids = sorted(answer_ids)
        chunks = [ids[start : start + ID_CHUNK] for start in range(0, len(ids), ID_CHUNK)]
        rows = []
        for chunk in chunks:
            rows += free_text_answers(question.id, include_duplicates=False, answer_ids=chunk)
    return [r for r in rows if r.text.strip()]


def analysable(question: Question) -> list[ColumnElement[bool]]:
    """SQL conditions (on Answer joined to its Response) for exactly the answers `answer_rows` returns."""
    if question.kind != QuestionKind.FREE_TEXT:
        return [Answer.id.is_(None)]
    return [
        Answer.question_id == question.id,
        Response.status == ResponseStatus.VALID,
        Answer.hidden.is_(False),
        Answer.text != "",
        func.trim(Answer.redacted_text, WHITESPACE) != "",
    ]


def analysable_select(question: Question, *columns: Any) -> Select[Any]:
    """SELECT `columns` FROM the question's analysable answers (Answer joined to Response)."""
    return (
        select(*columns)
        .select_from(Answer)
        .join(Response, Response.id == Answer.response_id)
        .where(*analysable(question))
    )


def answer_texts(question: Question) -> list[tuple[int, str]]:
    """(answer id, redacted text) of exactly the answers `answer_rows` returns, oldest first: all a search needs to
    score them, without building every row."""
    query = analysable_select(question, Answer.id, Answer.redacted_text).order_by(Answer.id)
    return [(answer_id, text) for answer_id, text in db_session.execute(query)]


def answer_ids(question: Question) -> set[int]:
    return set(db_session.scalars(analysable_select(question, Answer.id)))


def rows_by_id(question: Question, ids: list[int]) -> dict[int, FreeTextAnswer]:
    """The analysable answers among `ids` (a handful, e.g. quotes), as `answer_rows` gives them, by answer id."""
    return {r.answer_id: r for r in answer_rows(question, set(ids))}


def stance_of(choices: Any) -> str | None:
    """The stance (support, neutral, oppose) of a support/oppose answer's stored choices, as free_text_answers says."""
    value = (choices or [None])[0] if choices else None
    return STANCE_OF.get(value) if isinstance(value, str) and value else None
