"""Consultations: what officers may do, how answers are checked and stored, and what the analysis reads.

No request objects here: routes pass in what the user sent and turn `ServiceError` into GOV.UK field errors.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import filetype
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from engage import storage
from engage.consultations.redaction import redact
from engage.db import session as db_session
from engage.db import utcnow
from engage.forms import clean_text
from engage.mail import queue_email
from engage.models import AuditEvent, Council
from engage.models.accounts import Role
from engage.models.consultations import (
    STANCE_OF,
    Answer,
    Consultation,
    ConsultationStatus,
    Document,
    EmailLinkUse,
    ExportRecord,
    IdentityMode,
    ModerationAction,
    Question,
    QuestionKind,
    RespondentType,
    Response,
    ResponseDraft,
    ResponseSource,
    ResponseStatus,
    RetentionAction,
    Topic,
)
from engage.services import PermissionDenied, ServiceError, audit, require_role

OFFICER_ROLES = (Role.OFFICER, Role.ADMIN)
EXPORT_ROLES = (Role.OFFICER, Role.ADMIN, Role.ANALYST)
MAX_QUESTIONS = 60
MAX_CHAR_LIMIT = 10000
DOCUMENT_TYPES = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}
DEFAULT_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_MAX_ROWS = 20000
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
POSTCODE_FORMAT = re.compile(
    r"^(GIR ?0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRVWXY]) ?"
    r"[0-9][ABD-HJLNP-UW-Z]{2})$"
)
SLUG_RE = re.compile(r"[^a-z0-9]+")
VERIFY_SALT = "consultation-email-link"

EQUALITY_QUESTIONS: list[tuple[str, str, list[str]]] = [
    (
        "age",
        "What is your age?",
        ["Under 18", "18 to 24", "25 to 34", "35 to 44", "45 to 54", "55 to 64", "65 to 74", "75 or over"],
    ),
    ("sex", "What is your sex?", ["Female", "Male"]),
    ("disability", "Do you consider yourself to have a disability?", ["Yes", "No"]),
    (
        "ethnicity",
        "What is your ethnic group?",
        [
            "Asian or Asian British",
            "Black, Black British, Caribbean or African",
            "Mixed or multiple ethnic groups",
            "White",
            "Other ethnic group",
        ],
    ),
]
PREFER_NOT_TO_SAY = "Prefer not to say"

# ---------------------------------------------------------------- shared helpers


def email_hash(email: str) -> str:
    """A keyed hash of a normalised email address: lets us keep one response per email without keeping the email."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def new_reference() -> str:
    return "ENG-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(10))


def normalise_postcode(value: str) -> str | None:
    """'nb14aa' -> 'NB1 4AA'; None when the text is not in the format of a UK postcode."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if not POSTCODE_FORMAT.match(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def slugify(text: str) -> str:
    return SLUG_RE.sub("-", text.lower()).strip("-")[:60] or "consultation"


def is_officer(user: Any, council_id: int) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(getattr(user, "is_site_admin", False) or user.has_role(council_id, *OFFICER_ROLES))


def current_status(consultation: Consultation, now: datetime | None = None) -> ConsultationStatus:
    return consultation.status_at(now or utcnow())


def sync_status(consultation: Consultation) -> ConsultationStatus:
    """Store the status the clock implies (scheduled -> open -> closed)."""
    status = current_status(consultation)
    if status != consultation.status:
        consultation.status = status
    return status


# ---------------------------------------------------------------- finding consultations


def council_by_slug(slug: str) -> Council | None:
    return db_session.scalar(select(Council).where(Council.slug == slug))


def get_consultation(council: Council, consultation_id: int) -> Consultation | None:
    return db_session.scalar(
        select(Consultation).where(Consultation.id == consultation_id, Consultation.council_id == council.id)
    )


def get_for_officer(user: Any, council: Council, consultation_id: int) -> Consultation | None:
    require_role(user, council.id, *OFFICER_ROLES)
    consultation = get_consultation(council, consultation_id)
    if consultation is not None:
        sync_status(consultation)
    return consultation


def list_for_officer(user: Any, council: Council) -> list[Consultation]:
    require_role(user, council.id, *OFFICER_ROLES)
    items = list(
        db_session.scalars(
            select(Consultation).where(Consultation.council_id == council.id).order_by(Consultation.id.desc())
        )
    )
    for item in items:
        sync_status(item)
    return items


def visible_to_public(consultation: Consultation) -> bool:
    return consultation.status != ConsultationStatus.DRAFT


def public_consultations(council: Council) -> dict[str, list[Consultation]]:
    """The council page's lists: open now, opening soon, and closed or with results."""
    items = db_session.scalars(
        select(Consultation)
        .where(Consultation.council_id == council.id, Consultation.status != ConsultationStatus.DRAFT)
        .order_by(Consultation.closes_at)
    )
    groups: dict[str, list[Consultation]] = {"open": [], "scheduled": [], "closed": []}
    now = utcnow()
    for item in items:
        status = current_status(item, now)
        key = {ConsultationStatus.OPEN: "open", ConsultationStatus.SCHEDULED: "scheduled"}.get(status, "closed")
        groups[key].append(item)
    return groups


def response_count(consultation: Consultation) -> int:
    return (
        db_session.scalar(
            select(func.count(Response.id)).where(
                Response.consultation_id == consultation.id, Response.status != ResponseStatus.WITHDRAWN
            )
        )
        or 0
    )


def has_responses(consultation: Consultation) -> bool:
    return (
        db_session.scalar(select(Response.id).where(Response.consultation_id == consultation.id).limit(1)) is not None
    )


# ---------------------------------------------------------------- officers: consultations


@dataclass
class ConsultationData:
    title: str
    summary: str
    proposal: str
    topic: Topic
    opens_at: datetime | None
    closes_at: datetime | None
    identity_mode: IdentityMode
    wards: list[str]
    retention_months: int
    ask_about_you: bool
    ask_equality: bool
    privacy_extra: str
    retention_action: str = RetentionAction.DELETE.value  # a RetentionAction value


def _check_dates(data: ConsultationData) -> None:
    if data.opens_at and data.closes_at and data.closes_at <= data.opens_at:
        raise ServiceError("The closing date must be after the opening date", "closes_on")


def _check_retention(data: ConsultationData) -> None:
    if data.retention_action not in {a.value for a in RetentionAction}:
        raise ServiceError(
            "Select whether to delete the responses or anonymise them when the retention period ends",
            "retention_action",
        )


def parse_wards(text: str) -> list[str]:
    wards: list[str] = []
    for line in (text or "").splitlines():
        name = clean_text(line)[:120]
        if name and name not in wards:
            wards.append(name)
    return wards


def create_consultation(user: Any, council: Council, data: ConsultationData) -> Consultation:
    require_role(user, council.id, *OFFICER_ROLES)
    _check_dates(data)
    _check_retention(data)
    base = slugify(data.title)
    slug, n = base, 1
    while db_session.scalar(
        select(Consultation.id).where(Consultation.council_id == council.id, Consultation.slug == slug)
    ):
        n += 1
        slug = f"{base}-{n}"
    consultation = Consultation(council_id=council.id, slug=slug, created_by_id=user.id)
    _apply(consultation, data)
    db_session.add(consultation)
    db_session.flush()
    audit("consultation.created", actor=user, council_id=council.id, target=consultation, title=consultation.title)
    return consultation


def _apply(consultation: Consultation, data: ConsultationData) -> None:
    consultation.title = data.title
    consultation.summary = data.summary
    consultation.proposal = data.proposal
    consultation.topic = data.topic
    consultation.opens_at = data.opens_at
    consultation.closes_at = data.closes_at
    consultation.identity_mode = data.identity_mode
    consultation.wards = data.wards
    consultation.retention_months = data.retention_months
    consultation.retention_action = data.retention_action
    consultation.ask_about_you = data.ask_about_you
    consultation.ask_equality = data.ask_equality
    consultation.privacy_extra = data.privacy_extra


def update_consultation(user: Any, consultation: Consultation, data: ConsultationData) -> None:
    require_role(user, consultation.council_id, *OFFICER_ROLES)
    _check_dates(data)
    _check_retention(data)
    status = sync_status(consultation)
    if status in (ConsultationStatus.CLOSED, ConsultationStatus.PUBLISHED):
        raise ServiceError("A closed consultation cannot be changed", "title")
    if has_responses(consultation) and data.identity_mode != consultation.identity_mode:
        raise ServiceError("How people respond cannot change once there are responses", "identity_mode")
    if status == ConsultationStatus.OPEN and data.closes_at is not None and data.closes_at <= utcnow():
        raise ServiceError("The closing date must be in the future: use Close now to close it", "closes_on")
    _apply(consultation, data)
    audit("consultation.updated", actor=user, council_id=consultation.council_id, target=consultation)


def schedule(user: Any, consultation: Consultation) -> None:
    """Draft -> scheduled: it opens on its own at its opening time."""
    require_role(user, consultation.council_id, *OFFICER_ROLES)
    now = utcnow()
    if consultation.status != ConsultationStatus.DRAFT:
        raise ServiceError("Only a draft consultation can be scheduled")
    _check_ready(consultation)
    if consultation.opens_at is None or consultation.opens_at <= now:
        raise ServiceError("Set an opening date in the future to schedule it, or open it now")
    consultation.status = ConsultationStatus.SCHEDULED
    audit("consultation.scheduled", actor=user, council_id=consultation.council_id, target=consultation)


def _check_ready(consultation: Consultation) -> None:
    if not consultation.questions:
        raise ServiceError("Add at least one question before opening the consultation")
    if consultation.closes_at is None or consultation.closes_at <= utcnow():
        raise ServiceError("Set a closing date in the future before opening the consultation")


def open_now(user: Any, consultation: Consultation) -> None:
    require_role(user, consultation.council_id, *OFFICER_ROLES)
    status = sync_status(consultation)
    if status not in (ConsultationStatus.DRAFT, ConsultationStatus.SCHEDULED):
        raise ServiceError("Only a draft or scheduled consultation can be opened")
    _check_ready(consultation)
    now = utcnow()
    consultation.opens_at = now
    consultation.status = ConsultationStatus.OPEN
    audit("consultation.opened", actor=user, council_id=consultation.council_id, target=consultation)


def unschedule(user: Any, consultation: Consultation) -> None:
    require_role(user, consultation.council_id, *OFFICER_ROLES)
    if sync_status(consultation) != ConsultationStatus.SCHEDULED:
        raise ServiceError("Only a scheduled consultation can go back to draft")
    consultation.status = ConsultationStatus.DRAFT
    audit("consultation.unscheduled", actor=user, council_id=consultation.council_id, target=consultation)


def close_now(user: Any, consultation: Consultation) -> None:
    require_role(user, consultation.council_id, *OFFICER_ROLES)
    if sync_status(consultation) != ConsultationStatus.OPEN:
        raise ServiceError("Only an open consultation can be closed")
    consultation.closes_at = utcnow()
    consultation.status = ConsultationStatus.CLOSED
    audit("consultation.closed", actor=user, council_id=consultation.council_id, target=consultation)


def publish(user: Any, consultation: Consultation, summary: str) -> None:
    require_role(user, consultation.council_id, *OFFICER_ROLES)
    if sync_status(consultation) not in (ConsultationStatus.CLOSED, ConsultationStatus.PUBLISHED):
        raise ServiceError("Results can only be published once the consultation has closed", "summary")
    if not summary.strip():
        raise ServiceError("Enter what you heard and what the council will do", "summary")
    consultation.results_summary = summary
    consultation.status = ConsultationStatus.PUBLISHED
    consultation.published_at = consultation.published_at or utcnow()
    audit("consultation.published", actor=user, council_id=consultation.council_id, target=consultation)


# ---------------------------------------------------------------- officers: questions


@dataclass
class QuestionData:
    kind: QuestionKind
    text: str
    hint: str = ""
    required: bool = False
    options: list[str] | None = None
    char_limit: int = 1500
    why_text: str = ""  # support/oppose only: the wording of the paired free-text "why" question


def parse_options(text: str) -> list[str]:
    options: list[str] = []
    for line in (text or "").splitlines():
        option = clean_text(line)[:200]
        if option and option not in options:
            options.append(option)
    return options


def _check_question(data: QuestionData) -> None:
    if data.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTI_CHOICE) and len(data.options or []) < 2:
        raise ServiceError("Enter at least two options, one on each line", "options")
    if data.kind == QuestionKind.FREE_TEXT and not (10 <= data.char_limit <= MAX_CHAR_LIMIT):
        raise ServiceError(f"Character limit must be between 10 and {MAX_CHAR_LIMIT:,}", "char_limit")


def _renumber(consultation: Consultation) -> None:
    for number, question in enumerate(sorted(consultation.questions, key=lambda q: (q.position, q.id)), start=1):
        question.position = number


def add_question(user: Any, consultation: Consultation, data: QuestionData) -> Question:
    require_role(user, consultation.council_id, *OFFICER_ROLES)
    status = sync_status(consultation)
    if status in (ConsultationStatus.CLOSED, ConsultationStatus.PUBLISHED):
        raise ServiceError("Questions cannot be added to a closed consultation", "text")
    _check_question(data)
    if len(consultation.questions) >= MAX_QUESTIONS:
        raise ServiceError(f"A consultation can have up to {MAX_QUESTIONS} questions", "text")
    position = max((q.position for q in consultation.questions), default=0) + 1
    question = Question(
        consultation=consultation,
        position=position,
        kind=data.kind,
        text=data.text,
        hint=data.hint,
        required=data.required,
        options=data.options or [],
        char_limit=data.char_limit,
    )
    db_session.add(question)
    db_session.flush()
    if data.kind == QuestionKind.SUPPORT_OPPOSE:
        why = Question(
            consultation=consultation,
            position=position + 1,
            kind=QuestionKind.FREE_TEXT,
            text=data.why_text or "Why do you say that?",
            hint="",
            required=False,
            options=[],
            char_limit=1500,
            stance_question_id=question.id,
        )
        db_session.add(why)
        db_session.flush()
    audit("question.added", actor=user, council_id=consultation.council_id, target=question, kind=data.kind.value)
    return question


def update_question(user: Any, question: Question, data: QuestionData) -> None:
    consultation = question.consultation
    require_role(user, consultation.council_id, *OFFICER_ROLES)
    status = sync_status(consultation)
    if status in (ConsultationStatus.CLOSED, ConsultationStatus.PUBLISHED):
        raise ServiceError("Questions cannot be changed once the consultation has closed", "text")
    answered = has_responses(consultation)
    if data.kind != question.kind:
        if answered:
            raise ServiceError("The kind of question cannot change once there are responses", "kind")
        if question.kind == QuestionKind.SUPPORT_OPPOSE or data.kind == QuestionKind.SUPPORT_OPPOSE:
            raise ServiceError("Remove the question and add a new one to change to or from support or oppose", "kind")
    _check_question(data)
    if answered and question.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTI_CHOICE):
        removed = set(question.options) - set(data.options or [])
        if removed:
            raise ServiceError("Options cannot be removed once there are responses; you can reword them", "options")
    before = {"text": question.text, "hint": question.hint, "options": list(question.options)}
    question.kind = data.kind
    question.text = data.text
    question.hint = data.hint
    question.required = data.required
    question.options = data.options or []
    question.char_limit = data.char_limit
    after = {"text": question.text, "hint": question.hint, "options": list(question.options)}
    audit(
        "question.reworded" if answered else "question.updated",
        actor=user,
        council_id=consultation.council_id,
        target=question,
        before=before,
        after=after,
    )


def delete_question(user: Any, question: Question) -> None:
    consultation = question.consultation
    require_role(user, consultation.council_id, *OFFICER_ROLES)
    if has_responses(consultation):
        raise ServiceError("Questions cannot be removed once there are responses")
    if sync_status(consultation) not in (
        ConsultationStatus.DRAFT,
        ConsultationStatus.SCHEDULED,
        ConsultationStatus.OPEN,
    ):
        raise ServiceError("Questions cannot be removed from a closed consultation")
    paired = [q for q in consultation.questions if q.stance_question_id == question.id]
    for q in [question, *paired]:
        consultation.questions.remove(q)
        db_session.delete(q)
    db_session.flush()
    _renumber(consultation)
    audit("question.removed", actor=user, council_id=consultation.council_id, target=question, text=question.text)


def move_question(user: Any, question: Question, direction: str) -> None:
    consultation = question.consultation
    require_role(user, consultation.council_id, *OFFICER_ROLES)
    ordered = sorted(consultation.questions, key=lambda q: q.position)
    index = ordered.index(question)
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for number, q in enumerate(ordered, start=1):
        q.position = number
    audit("question.moved", actor=user, council_id=consultation.council_id, target=question, direction=direction)


def wording_changes(consultation: Consultation) -> list[AuditEvent]:
    """Every change to a question's wording made after responses arrived, newest first."""
    ids = [str(q.id) for q in consultation.questions]
    if not ids:
        return []
    return list(
        db_session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.action == "question.reworded",
                AuditEvent.target_type == "Question",
                AuditEvent.target_id.in_(ids),
            )
            .order_by(AuditEvent.at.desc())
        )
    )


def get_question(consultation: Consultation, question_id: int) -> Question | None:
    return next((q for q in consultation.questions if q.id == question_id), None)


# ---------------------------------------------------------------- documents


def add_document(user: Any, consultation: Consultation, title: str, filename: str, data: bytes) -> Document:
    require_role(user, consultation.council_id, *OFFICER_ROLES)
    limit = current_app.config.get("DOCUMENT_MAX_BYTES", DEFAULT_DOCUMENT_MAX_BYTES)
    if not data:
        raise ServiceError("The selected file is empty", "file")
    if len(data) > limit:
        raise ServiceError(f"The selected file must be smaller than {limit // (1024 * 1024)}MB", "file")
    kind = filetype.guess(data[:8192])
    if kind is None or kind.mime not in DOCUMENT_TYPES:
        raise ServiceError("The selected file must be a PDF, PNG, JPEG, GIF or WebP", "file")
    extension = DOCUMENT_TYPES[kind.mime]
    stem = re.sub(r"[^A-Za-z0-9._ -]+", "", Path(filename or "document").stem).strip()[:80] or "document"
    stored = storage.save("consultations", data, extension)
    document = Document(
        consultation_id=consultation.id,
        title=title or stem,
        filename=f"{stem}.{extension}",
        stored_name=stored,
        content_type=kind.mime,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=user.id,
    )
    db_session.add(document)
    db_session.flush()
    audit("document.added", actor=user, council_id=consultation.council_id, target=document, filename=document.filename)
    return document


def remove_document(user: Any, document: Document) -> None:
    require_role(user, document.consultation.council_id, *OFFICER_ROLES)
    audit("document.removed", actor=user, council_id=document.consultation.council_id, target=document)
    db_session.delete(document)
    db_session.flush()
    storage.remove("consultations", document.stored_name)


def document_for(user: Any, consultation: Consultation, document_id: int) -> tuple[Document, Path] | None:
    """The document and its file, if this person may download it (anyone, once it is public; officers always)."""
    document = next((d for d in consultation.documents if d.id == document_id), None)
    if document is None:
        return None
    if not visible_to_public(consultation) and not is_officer(user, consultation.council_id):
        return None
    try:
        path = storage.path("consultations", document.stored_name)
    except FileNotFoundError:
        return None
    if not path.exists():
        return None
    return document, path


# ---------------------------------------------------------------- answers: checking one answer


@dataclass
class CleanAnswer:
    text: str = ""
    choices: list[str] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "choices": list(self.choices or [])}

    @property
    def empty(self) -> bool:
        return not self.text and not self.choices


def clean_answer(
    question: Question,
    wards: list[str],
    text: str | None = None,
    choices: list[str] | None = None,
    *,
    enforce_required: bool = True,
) -> CleanAnswer:
    """Check one answer to one question; raise ServiceError(message, field) with a GOV.UK message if it is wrong.

    `text` is free text (or a postcode for location questions); `choices` are stored values (or the ward).
    """
    raw = text or ""
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in raw) or "\x7f" in raw:
        raise ServiceError("Remove the special characters from your answer", "answer")
    value = clean_text(raw)
    picked = [clean_text(c) for c in (choices or []) if c is not None and clean_text(c)]
    kind = question.kind
    if kind == QuestionKind.FREE_TEXT:
        if len(value) > question.char_limit:
            raise ServiceError(f"Your answer must be {question.char_limit:,} characters or fewer", "answer")
        if enforce_required and question.required and not value:
            raise ServiceError("Enter your answer", "answer")
        return CleanAnswer(text=value, choices=[])
    if kind == QuestionKind.LOCATION:
        ward = picked[0] if picked else ""
        if ward and ward not in wards:
            raise ServiceError("Select a ward from the list", "ward")
        postcode = ""
        if value:
            normalised = normalise_postcode(value)
            if normalised is None:
                raise ServiceError("Enter a real postcode, like NB1 4AA", "postcode")
            postcode = normalised
        if enforce_required and question.required and not (ward or postcode):
            raise ServiceError("Select your ward or enter your postcode", "ward")
        return CleanAnswer(text=postcode, choices=[ward] if ward else [])
    allowed = [v for v, _label in question.choice_items()]
    if any(c not in allowed for c in picked):
        raise ServiceError("Select an answer from the list", "answer")
    if kind == QuestionKind.MULTI_CHOICE:
        picked = [v for v in allowed if v in picked]  # the question's order, no repeats
        if enforce_required and question.required and not picked:
            raise ServiceError("Select at least one answer", "answer")
        return CleanAnswer(choices=picked)
    if len(picked) > 1:
        raise ServiceError("Select one answer", "answer")
    if enforce_required and question.required and not picked:
        raise ServiceError("Select an answer", "answer")
    return CleanAnswer(choices=picked)


def answer_summary(question: Question, answer: dict[str, Any] | None) -> str:
    """What a resident sees on the check-answers page."""
    if not answer:
        return ""
    if question.kind == QuestionKind.FREE_TEXT:
        return answer.get("text", "")
    if question.kind == QuestionKind.LOCATION:
        parts = [*answer.get("choices", []), answer.get("text", "")]
        return ", ".join(p for p in parts if p)
    return ", ".join(question.label_for(v) for v in answer.get("choices", []))


def clean_about(consultation: Consultation, respondent_type: str | None, organisation: str | None) -> dict[str, str]:
    valid = {t.value for t in RespondentType}
    if not respondent_type:
        raise ServiceError("Select who you are responding as", "respondent_type")
    if respondent_type not in valid:
        raise ServiceError("Select who you are responding as from the list", "respondent_type")
    organisation = clean_text(organisation or "")
    if any(ord(ch) < 32 for ch in organisation):
        raise ServiceError("Remove the special characters from the name", "organisation")
    if len(organisation) > 200:
        raise ServiceError("Name must be 200 characters or fewer", "organisation")
    needs_name = respondent_type in {"business", "community_group", "organisation"}
    if needs_name and not organisation:
        raise ServiceError("Enter the name of the business, group or organisation", "organisation")
    return {"respondent_type": respondent_type, "organisation": organisation if needs_name else ""}


def clean_equality(values: dict[str, str | None]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for key, _label, options in EQUALITY_QUESTIONS:
        value = values.get(key)
        if not value:
            continue
        if value not in [*options, PREFER_NOT_TO_SAY]:
            raise ServiceError("Select an answer from the list", key)
        cleaned[key] = value
    return cleaned


# ---------------------------------------------------------------- residents: drafts and steps


def steps(consultation: Consultation) -> list[str]:
    """The pages a resident goes through, in order: 'q1', 'q2', ..., 'about', 'equality'."""
    names = [f"q{q.position}" for q in consultation.questions]
    if consultation.ask_about_you:
        names.append("about")
    if consultation.ask_equality:
        names.append("equality")
    return names


def next_step(consultation: Consultation, current: str) -> str | None:
    names = steps(consultation)
    if current not in names:
        return None
    index = names.index(current)
    return names[index + 1] if index + 1 < len(names) else None


def previous_step(consultation: Consultation, current: str) -> str | None:
    names = steps(consultation)
    if current not in names or names.index(current) == 0:
        return None
    return names[names.index(current) - 1]


def find_draft(consultation: Consultation, token: str | None) -> ResponseDraft | None:
    if not token:
        return None
    return db_session.scalar(
        select(ResponseDraft).where(
            ResponseDraft.consultation_id == consultation.id,
            ResponseDraft.token_hash == hashlib.sha256(token.encode()).hexdigest(),
        )
    )


def new_draft(consultation: Consultation) -> tuple[ResponseDraft, str]:
    token = secrets.token_urlsafe(32)
    draft = ResponseDraft(
        consultation_id=consultation.id,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        answers={},
        about={},
        equality={},
    )
    db_session.add(draft)
    db_session.flush()
    return draft, token


def save_answer(draft: ResponseDraft, question: Question, answer: CleanAnswer) -> None:
    answers = dict(draft.answers or {})
    answers[str(question.id)] = answer.as_dict()
    draft.answers = answers
    draft.idempotency_key = ""  # the answers changed: the check page must be seen again
    draft.updated_at = utcnow()


def save_about(draft: ResponseDraft, about: dict[str, str]) -> None:
    draft.about = about
    draft.idempotency_key = ""
    draft.updated_at = utcnow()


def save_equality(draft: ResponseDraft, equality: dict[str, str]) -> None:
    draft.equality = equality
    draft.idempotency_key = ""
    draft.updated_at = utcnow()


def prepare_check(draft: ResponseDraft) -> str:
    """The idempotency key for the check-answers page: one per version of the answers, so resubmits store one."""
    if not draft.idempotency_key:
        draft.idempotency_key = secrets.token_urlsafe(24)
    return draft.idempotency_key


def missing_required(consultation: Consultation, draft: ResponseDraft) -> list[Question]:
    answers = draft.answers or {}
    missing = []
    for question in consultation.questions:
        if not question.required:
            continue
        answer = answers.get(str(question.id)) or {}
        if not (answer.get("text") or answer.get("choices")):
            missing.append(question)
    return missing


class ConsultationNotOpen(Exception):
    """Answers are refused: the consultation is not open (nothing is stored)."""


class StaleAnswers(ServiceError):
    """The check-answers page was out of date (answers changed in another tab)."""


def response_by_key(consultation: Consultation, key: str) -> Response | None:
    if not key:
        return None
    return db_session.scalar(
        select(Response).where(Response.idempotency_key == key, Response.consultation_id == consultation.id)
    )


def existing_verified_response(consultation: Consultation, hashed: str | None) -> Response | None:
    if not hashed:
        return None
    return db_session.scalar(
        select(Response).where(
            Response.consultation_id == consultation.id,
            Response.email_hash == hashed,
            Response.status != ResponseStatus.WITHDRAWN,
        )
    )


def fill_response(
    response: Response,
    consultation: Consultation,
    answers: dict[str, Any],
    about: dict[str, Any] | None = None,
    equality: dict[str, Any] | None = None,
) -> None:
    """Set a response's answers (checked already) and details; free text gets its redacted copy here.

    `answers` maps question id (as a string) to {"text": str, "choices": [str]}, as drafts keep them.
    """
    answers = answers or {}
    about = about or {}
    response.respondent_type = RespondentType(about.get("respondent_type") or RespondentType.NOT_SAID.value)
    response.organisation = about.get("organisation", "")
    response.equality = dict(equality or {})
    response.ward = ""
    response.postcode = ""
    for question in consultation.questions:
        stored = answers.get(str(question.id))
        if not stored or not (stored.get("text") or stored.get("choices")):
            continue
        response.answers.append(_make_answer(question, stored.get("text", ""), stored.get("choices", [])))
        if question.kind == QuestionKind.LOCATION and not (response.ward or response.postcode):
            response.ward = (stored.get("choices") or [""])[0]
            response.postcode = stored.get("text", "")


def _make_answer(question: Question, text: str, choices: list[str]) -> Answer:
    if question.kind != QuestionKind.LOCATION:
        return Answer(question_id=question.id, text=text, redacted_text=redact(text), choices=list(choices))
    district = text.split(" ")[0] if text else ""  # others see only the postcode district
    return Answer(question_id=question.id, text=text, redacted_text=district, choices=list(choices))


def submit(consultation: Consultation, draft: ResponseDraft | None, key: str) -> Response:
    """Store the draft as a response, exactly once per idempotency key; raise if the consultation is not open.

    A second submission with the same key (double click, refresh, retry) returns the response already stored.
    In verified mode a resident who already responded changes that response instead of adding another.
    """
    if current_status(consultation) != ConsultationStatus.OPEN:
        raise ConsultationNotOpen()
    existing = response_by_key(consultation, key)
    if existing is not None:
        return existing
    if draft is None:
        raise StaleAnswers("Your answers were not found: start again", "answers")
    if not key or key != draft.idempotency_key:
        raise StaleAnswers("Your answers have changed: check them and submit again", "answers")
    missing = missing_required(consultation, draft)
    if missing:
        raise ServiceError(f"Answer question {missing[0].position}: {missing[0].text}", f"q{missing[0].position}")
    verified = consultation.identity_mode == IdentityMode.VERIFIED_EMAIL
    if verified and not draft.email_hash:
        raise ServiceError("Confirm your email address before you submit", "email")
    now = utcnow()
    previous = existing_verified_response(consultation, draft.email_hash) if verified else None
    try:
        if previous is not None:
            db_session.execute(delete(Answer).where(Answer.response_id == previous.id))
            db_session.expire(previous, ["answers"])
            fill_response(previous, consultation, draft.answers, draft.about, draft.equality)
            previous.idempotency_key = key
            previous.updated_at = now
            response = previous
        else:
            response = Response(
                consultation_id=consultation.id,
                reference=new_reference(),
                idempotency_key=key,
                email_hash=draft.email_hash if verified else None,
                source=ResponseSource.ONLINE,
                submitted_at=now,
            )
            fill_response(response, consultation, draft.answers, draft.about, draft.equality)
            db_session.add(response)
        db_session.delete(draft)
        db_session.commit()
    except IntegrityError as exc:
        db_session.rollback()
        again = response_by_key(consultation, key)
        if again is not None:
            return again
        raise StaleAnswers("You have already responded with this email address: check your answers", "answers") from exc
    return response


def draft_from_response(consultation: Consultation, response: Response, draft: ResponseDraft) -> None:
    """Put a verified resident's stored answers back into a draft so they can change them."""
    draft.answers = {str(a.question_id): {"text": a.text, "choices": list(a.choices or [])} for a in response.answers}
    draft.about = {"respondent_type": response.respondent_type.value, "organisation": response.organisation}
    draft.equality = dict(response.equality or {})
    draft.email_hash = response.email_hash
    draft.idempotency_key = ""


def get_response_by_reference(consultation: Consultation, reference: str) -> Response | None:
    return db_session.scalar(
        select(Response).where(Response.consultation_id == consultation.id, Response.reference == reference)
    )


def withdraw(consultation: Consultation, draft: ResponseDraft | None) -> Response:
    """A verified resident withdraws their response: answers and personal details are deleted, the row says so."""
    if current_status(consultation) != ConsultationStatus.OPEN:
        raise ConsultationNotOpen()
    response = existing_verified_response(consultation, draft.email_hash if draft else None)
    if response is None:
        raise ServiceError("There is no response to withdraw", "confirm")
    db_session.execute(delete(Answer).where(Answer.response_id == response.id))
    response.status = ResponseStatus.WITHDRAWN
    response.withdrawn_at = utcnow()
    response.email_hash = None
    response.organisation = ""
    response.ward = ""
    response.postcode = ""
    response.equality = {}
    if draft is not None:
        db_session.delete(draft)
    audit("response.withdrawn", council_id=consultation.council_id, target=response)
    db_session.commit()
    return response


# ---------------------------------------------------------------- residents: email links


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=VERIFY_SALT)


def make_verify_token(consultation: Consultation, email: str) -> str:
    return _serializer().dumps({"c": consultation.id, "h": email_hash(email), "n": secrets.token_urlsafe(16)})


def send_verify_link(consultation: Consultation, email: str, link: str) -> None:
    hours = current_app.config.get("CONSULTATION_LINK_HOURS", 24)
    queue_email(
        email,
        f"Confirm your email to respond: {consultation.title}",
        f"Use this link to respond to '{consultation.title}':\n\n{link}\n\n"
        f"The link works once and expires in {hours} hours. If you already responded, it lets you change your "
        "answers or withdraw your response until the consultation closes. You can ask for a new link at any time.\n\n"
        "If you did not ask for this, you can ignore this email.",
    )


def use_verify_token(consultation: Consultation, token: str) -> str:
    """Check a link and mark it used; returns the email hash. ServiceError if it is wrong, expired or used."""
    hours = current_app.config.get("CONSULTATION_LINK_HOURS", 24)
    try:
        data = _serializer().loads(token, max_age=hours * 3600)
    except SignatureExpired as exc:
        raise ServiceError("This link has expired: ask for a new one", "email") from exc
    except BadSignature as exc:
        raise ServiceError("This link is not valid: ask for a new one", "email") from exc
    if not isinstance(data, dict) or data.get("c") != consultation.id or not data.get("h") or not data.get("n"):
        raise ServiceError("This link is not valid: ask for a new one", "email")
    db_session.add(EmailLinkUse(nonce=hashlib.sha256(str(data["n"]).encode()).hexdigest()))
    try:
        db_session.flush()
    except IntegrityError as exc:
        db_session.rollback()
        raise ServiceError("This link has already been used: ask for a new one", "email") from exc
    return str(data["h"])


def start_resume(draft: ResponseDraft, email: str, link_for) -> None:  # type: ignore[no-untyped-def]
    """Email a link that brings these answers back; `link_for(token)` builds the full link."""
    token = secrets.token_urlsafe(32)
    days = current_app.config.get("CONSULTATION_RESUME_DAYS", 30)
    draft.resume_token_hash = hashlib.sha256(token.encode()).hexdigest()
    draft.resume_expires_at = utcnow() + timedelta(days=days)
    consultation = db_session.get(Consultation, draft.consultation_id)
    closing = ""
    if consultation is not None and consultation.closes_at is not None:
        from engage import LONDON

        closing = f" The consultation closes on {consultation.closes_at.astimezone(LONDON):%-d %B %Y at %H:%M}."
    queue_email(
        email,
        f"Your answers so far: {consultation.title if consultation else 'consultation'}",
        f"Use this link to carry on where you left off:\n\n{link_for(token)}\n\n"
        f"It works for {days} days.{closing} Anyone with the link can see and change your answers, so do not "
        "share it.",
    )


def find_resume(consultation: Consultation, token: str) -> ResponseDraft | None:
    draft = db_session.scalar(
        select(ResponseDraft).where(
            ResponseDraft.consultation_id == consultation.id,
            ResponseDraft.resume_token_hash == hashlib.sha256(token.encode()).hexdigest(),
        )
    )
    if draft is None or draft.resume_expires_at is None or draft.resume_expires_at <= utcnow():
        return None
    return draft


def adopt_draft(draft: ResponseDraft) -> str:
    """Give a resumed draft a fresh session token (the old one may be in another browser)."""
    token = secrets.token_urlsafe(32)
    draft.token_hash = hashlib.sha256(token.encode()).hexdigest()
    return token


# ---------------------------------------------------------------- officers: responses and moderation


def responses_for_officer(user: Any, consultation: Consultation, page: int = 1, per_page: int = 50) -> list[Response]:
    """A page of responses with their original (unredacted) text; each viewing is recorded in the audit log."""
    require_role(user, consultation.council_id, *OFFICER_ROLES)
    responses = list(
        db_session.scalars(
            select(Response)
            .where(Response.consultation_id == consultation.id)
            .order_by(Response.submitted_at.desc(), Response.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    record_unredacted_view(user, consultation, responses=[r.reference for r in responses])
    return responses


def copy_of_response(consultation: Consultation, response: Response) -> dict[str, Any]:
    """Everything kept about a verified resident's response, for their right to a copy (UK GDPR article 15)."""
    questions = {q.id: q for q in consultation.questions}
    answers = []
    for answer in sorted(response.answers, key=lambda a: (questions[a.question_id].position, a.id)):
        question = questions[answer.question_id]
        answers.append(
            {
                "question": question.text,
                "answer": answer.text if question.kind == QuestionKind.FREE_TEXT else ", ".join(answer.choices or []),
            }
        )
    return {
        "consultation": consultation.title,
        "council": consultation.council.name,
        "reference": response.reference,
        "submitted_at": response.submitted_at.isoformat(),
        "updated_at": response.updated_at.isoformat() if response.updated_at else None,
        "responding_as": response.respondent_type.value,
        "organisation": response.organisation,
        "ward": response.ward,
        "postcode": response.postcode,
        "equality": response.equality or {},
        "answers": answers,
        "email_address": "not kept: only a one-way keyed hash of it, to allow one response per person",
        "kept_until": retention_text(consultation),
    }


def retention_text(consultation: Consultation) -> str:
    """How long responses are kept and what happens then, in words for residents and officers."""
    months = consultation.retention_months
    kept = f"{months} month{'' if months == 1 else 's'} after the consultation closes"
    if consultation.retention_action == RetentionAction.ANONYMISE:
        return f"{kept}, then anonymised: personal details are removed and the answers are kept"
    return f"{kept}, then deleted"


def record_unredacted_view(user: Any, consultation: Consultation, **what: Any) -> None:
    """Keep a record of who read residents' original words (the audit log shows it to council administrators)."""
    audit("responses.viewed_unredacted", actor=user, council_id=consultation.council_id, target=consultation, **what)
    db_session.commit()


MODERATION_ACTIONS = {
    "flag": ("flagged", True),
    "unflag": ("flagged", False),
    "hide": ("hidden", True),
    "unhide": ("hidden", False),
}


def answer_in(consultation: Consultation, answer_id: int) -> Answer | None:
    """The answer with this id if it belongs to a response to `consultation`, else None."""
    answer = db_session.get(Answer, answer_id)
    if answer is None or answer.response.consultation_id != consultation.id:
        return None
    return answer


def moderate(user: Any, consultation: Consultation, answer_id: int, action: str, reason: str) -> Answer:
    require_role(user, consultation.council_id, *OFFICER_ROLES)
    answer = answer_in(consultation, answer_id)
    if answer is None:
        raise PermissionDenied("not an answer in this consultation")
    if action not in MODERATION_ACTIONS:
        raise ServiceError("Select what to do with the answer", "action")
    reason = clean_text(reason)
    if not reason:
        raise ServiceError("Enter the reason", "reason")
    if len(reason) > 500:
        raise ServiceError("Reason must be 500 characters or fewer", "reason")
    attribute, value = MODERATION_ACTIONS[action]
    setattr(answer, attribute, value)
    db_session.add(ModerationAction(answer_id=answer.id, actor_id=user.id, action=action, reason=reason))
    audit(f"answer.{action}", actor=user, council_id=consultation.council_id, target=answer, reason=reason)
    return answer


def moderation_log(user: Any, consultation: Consultation) -> list[ModerationAction]:
    require_role(user, consultation.council_id, *OFFICER_ROLES)
    return list(
        db_session.scalars(
            select(ModerationAction)
            .join(Answer, Answer.id == ModerationAction.answer_id)
            .join(Response, Response.id == Answer.response_id)
            .where(Response.consultation_id == consultation.id)
            .order_by(ModerationAction.at.desc())
        )
    )


def mark_response(user: Any, consultation: Consultation, response_id: int, status: str) -> Response:
    """Officers mark a response as a duplicate (kept, counted apart) or valid again."""
    require_role(user, consultation.council_id, *OFFICER_ROLES)
    response = db_session.get(Response, response_id)
    if response is None or response.consultation_id != consultation.id:
        raise PermissionDenied("not a response in this consultation")
    if response.status == ResponseStatus.WITHDRAWN or status not in ("valid", "duplicate"):
        raise ServiceError("This response cannot be changed")
    response.status = ResponseStatus(status)
    audit("response.marked", actor=user, council_id=consultation.council_id, target=response, status=status)
    return response


def tallies(consultation: Consultation) -> dict[int, list[tuple[str, int]]]:
    """Counts of each choice for every choice question, over valid responses (shown with published results)."""
    counts: dict[int, Counter[str]] = {}
    rows = db_session.execute(
        select(Answer.question_id, Answer.choices)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.consultation_id == consultation.id, Response.status == ResponseStatus.VALID)
    )
    for question_id, choices in rows:
        counter = counts.setdefault(question_id, Counter())
        for choice in choices or []:
            counter[choice] += 1
    result: dict[int, list[tuple[str, int]]] = {}
    for question in consultation.questions:
        if question.kind in (QuestionKind.FREE_TEXT,):
            continue
        counter = counts.get(question.id, Counter())
        if question.kind == QuestionKind.LOCATION:
            items = [(w, counter.get(w, 0)) for w in consultation.wards]
        else:
            items = [(label, counter.get(value, 0)) for value, label in question.choice_items()]
        result[question.id] = items
    return result


# ---------------------------------------------------------------- for the theme analysis


@dataclass(frozen=True)
class FreeTextAnswer:
    """One free-text answer as the theme analysis sees it (redacted text only)."""

    answer_id: int
    response_id: int
    reference: str
    question_id: int
    text: str  # the redacted copy: emails, phones, postcodes, NI numbers and links removed
    stance: str | None  # "support", "neutral" or "oppose" from the paired support/oppose answer; None if unpaired
    stance_value: str | None  # the exact scale value, e.g. "strongly_oppose"
    ward: str  # "" when not given
    respondent_type: str  # a RespondentType value
    status: str  # "valid" or "duplicate"
    source: str  # "online" or "imported"
    flagged: bool
    submitted_at: datetime


def free_text_answers(
    question_id: int,
    *,
    include_hidden: bool = False,
    include_duplicates: bool = True,
    answer_ids: Collection[int] | None = None,
) -> list[FreeTextAnswer]:
    """Every non-empty free-text answer to a question, with its stance, ward and respondent type.

    - Withdrawn responses are never included; duplicates (status "duplicate") are unless include_duplicates=False.
    - Answers hidden by a moderator are left out unless include_hidden=True.
    - The stance comes from the same response's answer to the support/oppose question that this free-text
      question explains (Question.stance_question_id); it is None for questions without a pairing or when the
      respondent did not answer it.
    - Ordered by answer id, so repeated calls return the same order. No permission check: callers check first.
    - `answer_ids` limits the result to those answers (e.g. the few quoted on a page).
    """
    question = db_session.get(Question, question_id)
    if question is None or question.kind != QuestionKind.FREE_TEXT:
        return []
    statuses = [ResponseStatus.VALID] + ([ResponseStatus.DUPLICATE] if include_duplicates else [])
    # plain columns rather than whole Answer and Response objects: about three times quicker at 100,000 answers
    query = (
        select(
            Answer.id.label("answer_id"),
            Answer.redacted_text,
            Answer.flagged,
            Response.id.label("response_id"),
            Response.reference,
            Response.ward,
            Response.respondent_type,
            Response.status,
            Response.source,
            Response.submitted_at,
        )
        .join(Response, Response.id == Answer.response_id)
        .where(Answer.question_id == question_id, Response.status.in_(statuses), Answer.text != "")
        .order_by(Answer.id)
    )
    if not include_hidden:
        query = query.where(Answer.hidden.is_(False))
    if answer_ids is not None:
        query = query.where(Answer.id.in_(set(answer_ids)))
    rows = db_session.execute(query).all()
    stances: dict[int, str] = {}
    if question.stance_question_id is not None and rows:
        stance_query = select(Answer.response_id, Answer.choices).where(
            Answer.question_id == question.stance_question_id
        )
        if answer_ids is not None:
            stance_query = stance_query.where(Answer.response_id.in_({row.response_id for row in rows}))
        stance_rows = db_session.execute(stance_query)
        stances = {rid: (choices or [None])[0] for rid, choices in stance_rows if choices}
    result = []
    for row in rows:
        value = stances.get(row.response_id)
        result.append(
            FreeTextAnswer(
                answer_id=row.answer_id,
                response_id=row.response_id,
                reference=row.reference,
                question_id=question_id,
                text=row.redacted_text,
                stance=STANCE_OF.get(value) if value else None,
                stance_value=value,
                ward=row.ward,
                respondent_type=row.respondent_type.value,
                status=row.status.value,
                source=row.source.value,
                flagged=row.flagged,
                submitted_at=row.submitted_at,
            )
        )
    return result


def free_text_questions(consultation_id: int) -> list[Question]:
    """The consultation's free-text questions, in order (what the analysis can be run on)."""
    return list(
        db_session.scalars(
            select(Question)
            .where(Question.consultation_id == consultation_id, Question.kind == QuestionKind.FREE_TEXT)
            .order_by(Question.position)
        )
    )


def record_export(user: Any, consultation: Consultation, file_format: str, redacted: bool, rows: int) -> None:
    db_session.add(
        ExportRecord(
            consultation_id=consultation.id,
            actor_id=user.id,
            file_format=file_format,
            redacted=redacted,
            row_count=rows,
        )
    )
    audit(
        "responses.exported",
        actor=user,
        council_id=consultation.council_id,
        target=consultation,
        file_format=file_format,
        redacted=redacted,
        rows=rows,
    )


def exports_for(user: Any, consultation: Consultation) -> list[ExportRecord]:
    require_role(user, consultation.council_id, *OFFICER_ROLES)
    return list(
        db_session.scalars(
            select(ExportRecord).where(ExportRecord.consultation_id == consultation.id).order_by(ExportRecord.at.desc())
        )
    )
