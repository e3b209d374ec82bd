"""Challenge prizes: the prize, its stages and criteria, teams and their entries, judges' assignments and scores."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.db import Base, UTCDateTime, utcnow
from engage.models.accounts import Council, User


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e])


class PrizeStatus(enum.StrEnum):
    DRAFT = "draft"  # officers are still writing it
    OPEN = "open"  # published: entries accepted until the entry deadline
    JUDGING = "judging"  # entries closed, judges scoring
    CLOSED = "closed"  # judging over, decisions being made
    PUBLISHED = "published"  # results and feedback released


class StageKind(enum.StrEnum):
    ENTRY = "entry"
    SHORTLIST = "shortlist"
    FINAL = "final"


class EntryStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


class Decision(enum.StrEnum):
    UNDECIDED = "undecided"
    NOT_SELECTED = "not_selected"
    SHORTLISTED = "shortlisted"
    FINALIST = "finalist"
    WINNER = "winner"


DECISION_LABELS = {
    Decision.UNDECIDED: "Not decided",
    Decision.NOT_SELECTED: "Not selected",
    Decision.SHORTLISTED: "Shortlisted",
    Decision.FINALIST: "Finalist",
    Decision.WINNER: "Winner",
}


class Prize(Base):
    __tablename__ = "prize"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    problem: Mapped[str] = mapped_column(Text, default="")  # Markdown
    evidence: Mapped[str] = mapped_column(Text, default="")  # Markdown
    # Consultation themes quoted as evidence: [{"label", "share", "quote"}].
    evidence_themes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    prize_money: Mapped[str] = mapped_column(String(200), default="")
    # [{"question", "expected": "yes"|"no", "reason"}]: an answer other than `expected` screens the entrant out.
    eligibility: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{"key", "label", "required": bool, "max_words": int}]
    entry_fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    allow_attachments: Mapped[bool] = mapped_column(Boolean, default=True)
    max_attachments: Mapped[int] = mapped_column(Integer, default=3)
    terms: Mapped[str] = mapped_column(Text, default="")  # Markdown
    ip_conditions: Mapped[str] = mapped_column(Text, default="")  # Markdown
    score_min: Mapped[int] = mapped_column(Integer, default=1)
    score_max: Mapped[int] = mapped_column(Integer, default=5)
    # {"1": "No evidence ...", ...}
    descriptors: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    blind_judging: Mapped[bool] = mapped_column(Boolean, default=True)
    judges_per_entry: Mapped[int] = mapped_column(Integer, default=2)
    judge_cap: Mapped[int] = mapped_column(Integer, default=10)
    shortlist_size: Mapped[int] = mapped_column(Integer, default=5)
    status: Mapped[PrizeStatus] = mapped_column(_enum(PrizeStatus, "prize_status"), default=PrizeStatus.DRAFT)
    results_summary: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Solution themes and near-duplicates from the theme pipeline.
    grouping_status: Mapped[str] = mapped_column(String(20), default="")  # "", queued, running, done, failed
    grouping_error: Mapped[str] = mapped_column(Text, default="")
    grouped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    solution_themes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    council: Mapped[Council] = relationship()
    stages: Mapped[list[Stage]] = relationship(
        back_populates="prize", cascade="all, delete-orphan", order_by="Stage.position"
    )
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="prize", cascade="all, delete-orphan", order_by="Criterion.position"
    )
    entries: Mapped[list[Entry]] = relationship(back_populates="prize", cascade="all, delete-orphan")

    def stage(self, kind: StageKind) -> Stage | None:
        return next((s for s in self.stages if s.kind == kind), None)


class Stage(Base):
    """A round: entry, shortlist or final.

    Entries are taken until `closes_at`. Judges score until an officer closes the round or its deadline passes: in the
    entry round `judging_closes_at`, in the shortlist and final rounds the stage's own `closes_at`.
    """

    __tablename__ = "prize_stage"
    __table_args__ = (UniqueConstraint("prize_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prize_id: Mapped[int] = mapped_column(ForeignKey("prize.id", ondelete="CASCADE"), index=True)
    kind: Mapped[StageKind] = mapped_column(_enum(StageKind, "prize_stage_kind"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(120))
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    judging_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    judging_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    round_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    prize: Mapped[Prize] = relationship(back_populates="stages")


class Criterion(Base):
    __tablename__ = "prize_criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    prize_id: Mapped[int] = mapped_column(ForeignKey("prize.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[float] = mapped_column(Float, default=1.0)

    prize: Mapped[Prize] = relationship(back_populates="criteria")


class Team(Base):
    """Who enters: one person or several. Every member sees and edits the team's entries."""

    __tablename__ = "prize_team"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[TeamMember]] = relationship(back_populates="team", cascade="all, delete-orphan")
    invites: Mapped[list[TeamInvite]] = relationship(back_populates="team", cascade="all, delete-orphan")


class TeamMember(Base):
    __tablename__ = "prize_team_member"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("prize_team.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class TeamInvite(Base):
    __tablename__ = "prize_team_invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("prize_team.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    team: Mapped[Team] = relationship(back_populates="invites")


class Entry(Base):
    __tablename__ = "prize_entry"
    __table_args__ = (UniqueConstraint("prize_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prize_id: Mapped[int] = mapped_column(ForeignKey("prize.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("prize_team.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    eligibility_answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    terms_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[EntryStatus] = mapped_column(_enum(EntryStatus, "prize_entry_status"), default=EntryStatus.DRAFT)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    decision: Mapped[Decision] = mapped_column(_enum(Decision, "prize_decision"), default=Decision.UNDECIDED)
    feedback: Mapped[str] = mapped_column(Text, default="")
    feedback_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # From the theme pipeline: context for officers and judges, never part of the score.
    solution_theme: Mapped[str] = mapped_column(String(200), default="")
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("prize_entry.id", ondelete="SET NULL"))
    duplicate_similarity: Mapped[float | None] = mapped_column(Float)
    consultation_themes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    prize: Mapped[Prize] = relationship(back_populates="entries")
    team: Mapped[Team] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    duplicate_of: Mapped[Entry | None] = relationship(remote_side="Entry.id")


class Attachment(Base):
    __tablename__ = "prize_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("prize_entry.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))  # as the entrant named it (hidden under blind judging)
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # pdf, docx, png, jpg
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[Entry] = relationship(back_populates="attachments")


class ConflictDeclaration(Base):
    """A judge has reviewed the list of entrants for a prize and declared their conflicts (possibly none)."""

    __tablename__ = "prize_conflict_declaration"
    __table_args__ = (UniqueConstraint("prize_id", "judge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prize_id: Mapped[int] = mapped_column(ForeignKey("prize.id", ondelete="CASCADE"), index=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Conflict(Base):
    __tablename__ = "prize_conflict"
    __table_args__ = (UniqueConstraint("entry_id", "judge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prize_id: Mapped[int] = mapped_column(ForeignKey("prize.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("prize_entry.id", ondelete="CASCADE"), index=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[Entry] = relationship()
    judge: Mapped[User] = relationship()


class Assignment(Base):
    """A judge is to score an entry in a stage's round."""

    __tablename__ = "prize_assignment"
    __table_args__ = (UniqueConstraint("stage_id", "entry_id", "judge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prize_id: Mapped[int] = mapped_column(ForeignKey("prize.id", ondelete="CASCADE"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("prize_stage.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("prize_entry.id", ondelete="CASCADE"), index=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(20), default="auto")  # auto, manual
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[Entry] = relationship()
    judge: Mapped[User] = relationship()
    stage: Mapped[Stage] = relationship()
    scores: Mapped[list[Score]] = relationship(back_populates="assignment", cascade="all, delete-orphan")


class Score(Base):
    __tablename__ = "prize_score"
    __table_args__ = (UniqueConstraint("assignment_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("prize_assignment.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("prize_criterion.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    assignment: Mapped[Assignment] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()
