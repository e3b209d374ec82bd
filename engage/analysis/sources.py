"""What the analysis reads from consultations, through the consultations services: free-text questions and their
answers (redacted text only) with stance, ward and respondent type. Valid responses only (not withdrawn, not marked
duplicate) and answers not hidden by moderation."""

from __future__ import annotations

from engage.consultations.services import FreeTextAnswer, free_text_answers
from engage.consultations.services import free_text_questions as _free_text_questions
from engage.models.consultations import Consultation, Question

AnswerRow = FreeTextAnswer  # answer_id, response_id, reference, text (redacted), stance, ward, respondent_type, ...


def free_text_questions(consultation: Consultation) -> list[Question]:
    return _free_text_questions(consultation.id)


def answer_rows(question: Question, answer_ids: set[int] | None = None) -> list[FreeTextAnswer]:
    """Every analysable answer to a free-text question (or only `answer_ids`), oldest first."""
    if answer_ids is not None and not answer_ids:
        return []
    rows = free_text_answers(question.id, include_duplicates=False)
    return [r for r in rows if r.text.strip() and (answer_ids is None or r.answer_id in answer_ids)]


def answer_ids(question: Question) -> set[int]:
    return {row.answer_id for row in answer_rows(question)}
