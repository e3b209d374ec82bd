"""Consultations: what a council asks, and every response it receives.

The theme analysis reads these tables: a free-text `Answer` belongs to a `Response` (respondent type, ward, status)
and to a `Question`; a free-text question whose `stance_question_id` is set is the "why" for a support/oppose
question, and the response's answer to that question is the answer's stance (see
`engage.consultations.services.free_text_answers`).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.db import Base, UTCDateTime, utcnow


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e])


class ConsultationStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    PUBLISHED = "published"


STATUS_LABELS = {
    ConsultationStatus.DRAFT: "Draft",
    ConsultationStatus.SCHEDULED: "Scheduled",
    ConsultationStatus.OPEN: "Open",
    ConsultationStatus.CLOSED: "Closed",
    ConsultationStatus.PUBLISHED: "Results published",
}


class Topic(enum.StrEnum):
    PLANNING = "planning"
    HOUSING = "housing"
    NET_ZERO = "net_zero"
    TRANSPORT = "transport"
    OTHER = "other"


TOPIC_LABELS = {
    Topic.PLANNING: "Planning",
    Topic.HOUSING: "Housing",
    Topic.NET_ZERO: "Net zero",
    Topic.TRANSPORT: "Transport",
    Topic.OTHER: "Other",
}


class IdentityMode(enum.StrEnum):
    ANONYMOUS = "anonymous"
    VERIFIED_EMAIL = "verified_email"


IDENTITY_LABELS = {
    IdentityMode.ANONYMOUS: "Anonymous: anyone can respond without giving an email address",
    IdentityMode.VERIFIED_EMAIL: "Verified by email: one response per email address, changeable until closing",
}


class RetentionAction(enum.StrEnum):
    """What happens to a consultation's responses at the end of its retention period."""

    DELETE = "delete"
    ANONYMISE = "anonymise"


RETENTION_ACTION_LABELS = {
    RetentionAction.DELETE: "Delete the responses",
    RetentionAction.ANONYMISE: "Anonymise: keep the answers, remove personal details",
}
RETENTION_ACTION_HINTS = {
    RetentionAction.DELETE: "Every response and its answers are deleted.",
    RetentionAction.ANONYMISE: (
        "The answers stay for the analysis and the published results. Personal details go: the email code, equality "
        "answers, the organisation name of anyone responding for themselves, and the postcode beyond its district. "
        "Email addresses, phone numbers, postcodes, National Insurance numbers and links are removed from free text."
    ),
}


class QuestionKind(enum.StrEnum):
    FREE_TEXT = "free_text"
    SINGLE_CHOICE = "single_choice"
    MULTI_CHOICE = "multi_choice"
    AGREEMENT_SCALE = "agreement_scale"
    SUPPORT_OPPOSE = "support_oppose"
    LOCATION = "location"


KIND_LABELS = {
    QuestionKind.FREE_TEXT: "Free text",
    QuestionKind.SINGLE_CHOICE: "Single choice",
    QuestionKind.MULTI_CHOICE: "Multiple choice",
    QuestionKind.AGREEMENT_SCALE: "Agreement scale (strongly agree to strongly disagree)",
    QuestionKind.SUPPORT_OPPOSE: "Support or oppose, with a free-text question asking why",
    QuestionKind.LOCATION: "Location (ward or postcode)",
}

# Fixed answer scales: stored value -> label shown.
AGREEMENT_SCALE = [
    ("strongly_agree", "Strongly agree"),
    ("agree", "Agree"),
    ("neither", "Neither agree nor disagree"),
    ("disagree", "Disagree"),
    ("strongly_disagree", "Strongly disagree"),
]
SUPPORT_OPPOSE_SCALE = [
    ("strongly_support", "Strongly support"),
    ("support", "Support"),
    ("neutral", "Neither support nor oppose"),
    ("oppose", "Oppose"),
    ("strongly_oppose", "Strongly oppose"),
]
# The stance (support, neutral, oppose) of each support/oppose value: what the theme analysis splits by.
STANCE_OF = {
    "strongly_support": "support",
    "support": "support",
    "neutral": "neutral",
    "oppose": "oppose",
    "strongly_oppose": "oppose",
}


class RespondentType(enum.StrEnum):
    RESIDENT = "resident"
    BUSINESS = "business"
    COMMUNITY_GROUP = "community_group"
    ORGANISATION = "organisation"
    NOT_SAID = "not_said"


RESPONDENT_TYPE_LABELS = {
    RespondentType.RESIDENT: "A resident",
    RespondentType.BUSINESS: "A business",
    RespondentType.COMMUNITY_GROUP: "A community group",
    RespondentType.ORGANISATION: "An organisation",
    RespondentType.NOT_SAID: "Prefer not to say",
}


class ResponseStatus(enum.StrEnum):
    VALID = "valid"
    DUPLICATE = "duplicate"
    WITHDRAWN = "withdrawn"


class ResponseSource(enum.StrEnum):
    ONLINE = "online"
    IMPORTED = "imported"


class Consultation(Base):
    __tablename__ = "consultation"
    __table_args__ = (UniqueConstraint("council_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    proposal: Mapped[str] = mapped_column(Text, default="")  # Markdown, rendered safely
    topic: Mapped[Topic] = mapped_column(_enum(Topic, "consultation_topic"), default=Topic.OTHER)
    status: Mapped[ConsultationStatus] = mapped_column(
        _enum(ConsultationStatus, "consultation_status"), default=ConsultationStatus.DRAFT, index=True
    )
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    identity_mode: Mapped[IdentityMode] = mapped_column(
        _enum(IdentityMode, "consultation_identity"), default=IdentityMode.ANONYMOUS
    )
    retention_months: Mapped[int] = mapped_column(Integer, default=24)
    # A RetentionAction value: delete the responses, or keep the answers without personal details.
    retention_action: Mapped[str] = mapped_column(
        String(16), default=RetentionAction.DELETE.value, server_default=RetentionAction.DELETE.value
    )
    wards: Mapped[list[str]] = mapped_column(JSON, default=list)
    ask_about_you: Mapped[bool] = mapped_column(Boolean, default=True)
    ask_equality: Mapped[bool] = mapped_column(Boolean, default=False)
    privacy_extra: Mapped[str] = mapped_column(Text, default="")  # Markdown added to the standard notice
    results_summary: Mapped[str] = mapped_column(Text, default="")  # Markdown: what you told us, what we did
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    council = relationship("Council")
    questions: Mapped[list[Question]] = relationship(
        back_populates="consultation", order_by="Question.position", cascade="all, delete-orphan"
    )
    documents: Mapped[list[Document]] = relationship(
        back_populates="consultation", order_by="Document.id", cascade="all, delete-orphan"
    )

    def status_at(self, now: datetime) -> ConsultationStatus:
        """The status as residents see it at `now`: scheduled ones open and open ones close on their own."""
        status = self.status
        if status == ConsultationStatus.SCHEDULED and self.opens_at is not None and self.opens_at <= now:
            status = ConsultationStatus.OPEN
        if status == ConsultationStatus.OPEN and self.closes_at is not None and self.closes_at <= now:
            status = ConsultationStatus.CLOSED
        return status


class Question(Base):
    __tablename__ = "consultation_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[QuestionKind] = mapped_column(_enum(QuestionKind, "question_kind"))
    text: Mapped[str] = mapped_column(String(500))
    hint: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    options: Mapped[list[str]] = mapped_column(JSON, default=list)  # single and multi choice only
    char_limit: Mapped[int] = mapped_column(Integer, default=1500)  # free text only
    # A free-text "why" question points at the support/oppose question it explains: that answer is its stance.
    stance_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation_question.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    consultation: Mapped[Consultation] = relationship(back_populates="questions")
    stance_question: Mapped[Question | None] = relationship(
        remote_side="Question.id", foreign_keys=[stance_question_id]
    )

    @property
    def code(self) -> str:
        """The short column name used in imports and exports: Q1, Q2, ... by position."""
        return f"Q{self.position}"

    def choice_items(self) -> list[tuple[str, str]]:
        """(stored value, label) for every choice the question offers."""
        if self.kind == QuestionKind.AGREEMENT_SCALE:
            return list(AGREEMENT_SCALE)
        if self.kind == QuestionKind.SUPPORT_OPPOSE:
            return list(SUPPORT_OPPOSE_SCALE)
        if self.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTI_CHOICE):
            return [(o, o) for o in self.options]
        return []

    def label_for(self, value: str) -> str:
        return dict(self.choice_items()).get(value, value)


class Response(Base):
    __tablename__ = "consultation_response"
    __table_args__ = (UniqueConstraint("consultation_id", "email_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    respondent_type: Mapped[RespondentType] = mapped_column(
        _enum(RespondentType, "respondent_type"), default=RespondentType.NOT_SAID
    )
    organisation: Mapped[str] = mapped_column(String(200), default="")
    ward: Mapped[str] = mapped_column(String(120), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    equality: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A keyed hash of the verified email address (never the address itself); NULL for anonymous responses.
    email_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[ResponseStatus] = mapped_column(
        _enum(ResponseStatus, "response_status"), default=ResponseStatus.VALID, index=True
    )
    source: Mapped[ResponseSource] = mapped_column(
        _enum(ResponseSource, "response_source"), default=ResponseSource.ONLINE
    )
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the retention period ended and personal details were removed (the answers are kept).
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    consultation: Mapped[Consultation] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="response", cascade="all, delete-orphan")


class Answer(Base):
    __tablename__ = "consultation_answer"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("consultation_response.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("consultation_question.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")  # as written: officers only
    redacted_text: Mapped[str] = mapped_column(Text, default="")  # used everywhere else
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)

    response: Mapped[Response] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()


class ModerationAction(Base):
    """Every flag, hide and their reversals, with the officer's reason. Rows are only ever added."""

    __tablename__ = "consultation_moderation"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("consultation_answer.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(20))  # flag, unflag, hide, unhide
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor = relationship("User")


class ExportRecord(Base):
    """Every export of responses: who, when, which format, and whether it held original text."""

    __tablename__ = "consultation_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    file_format: Mapped[str] = mapped_column(String(8))  # csv, xlsx
    redacted: Mapped[bool] = mapped_column(Boolean, default=True)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor = relationship("User")


class Document(Base):
    """A supporting document (PDF or image), stored outside the web root and always served as a download."""

    __tablename__ = "consultation_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    consultation: Mapped[Consultation] = relationship(back_populates="documents")


class ResponseDraft(Base):
    """Answers in progress, found by a random token in the resident's session (or in a save-and-return link).

    Kept server-side so long answers never overflow the session cookie. Deleted when the response is submitted.
    """

    __tablename__ = "consultation_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    resume_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    resume_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # question id (as a string) -> {"text": str, "choices": [str]}; plus "about" and "equality" sections
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    about: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    equality: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    email_hash: Mapped[str | None] = mapped_column(String(64))  # set once the email is verified
    idempotency_key: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EmailLinkUse(Base):
    """Single-use email links: the nonce of each link that has been used."""

    __tablename__ = "consultation_email_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
