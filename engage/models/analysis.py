"""Theme analysis: runs (job state), the themes each run found, assignments of answers, analysts' edits, and the
embedding cache that makes a rerun on unchanged answers cheap."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.db import Base, UTCDateTime, utcnow


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


RUN_STATUS_LABELS = {
    RunStatus.QUEUED: "Waiting to start",
    RunStatus.RUNNING: "Running",
    RunStatus.SUCCEEDED: "Finished",
    RunStatus.FAILED: "Failed",
}
ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)

run_status_type = Enum(RunStatus, name="run_status", values_callable=lambda e: [m.value for m in e])


class AssignmentSource(enum.StrEnum):
    MODEL = "model"  # placed by the run that found the themes
    ASSIGNED = "assigned"  # arrived after the run; placed into the existing themes automatically
    ANALYST = "analyst"  # moved by an analyst


class EmbeddingVector(Base):
    """One text's embedding under one model, keyed by (model sha, sha256 of the normalised text)."""

    __tablename__ = "embedding_cache"

    model_sha: Mapped[str] = mapped_column(String(80), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FittedResult(Base):
    """The pipeline's output for one exact input (answers, stances, model, seed, parameters), so an analysis of
    unchanged answers reuses it instead of fitting again (the pipeline is deterministic for a given input)."""

    __tablename__ = "analysis_fitted_result"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[dict[str, Any]] = mapped_column(JSON)
    centroids: Mapped[bytes] = mapped_column(LargeBinary)
    dim: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnalysisRun(Base):
    """One theme analysis of a consultation (every free-text question, or one): the job state everyone watches."""

    __tablename__ = "analysis_run"
    __table_args__ = (Index("ix_analysis_run_consultation_status", "consultation_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id", ondelete="CASCADE"))
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    question_id: Mapped[int | None] = mapped_column(ForeignKey("consultation_question.id", ondelete="CASCADE"))
    status: Mapped[RunStatus] = mapped_column(run_status_type, default=RunStatus.QUEUED)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(String(300), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    seed: Mapped[int] = mapped_column(Integer, default=42)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    answer_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by = relationship("User")
    theme_sets: Mapped[list[ThemeSet]] = relationship(back_populates="run", cascade="all, delete-orphan")

    @property
    def status_label(self) -> str:
        return RUN_STATUS_LABELS[self.status]

    @property
    def percent(self) -> int:
        return int(round((self.progress or 0.0) * 100))

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class ThemeSet(Base):
    """The themes one run found for one question. Exactly one set per question is current (switched in the same
    transaction that marks its run succeeded), so a failed or unfinished run never disturbs what people read."""

    __tablename__ = "theme_set"
    __table_args__ = (Index("ix_theme_set_question_current", "question_id", "is_current"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("analysis_run.id", ondelete="CASCADE"))
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("consultation_question.id", ondelete="CASCADE"))
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    model_sha: Mapped[str] = mapped_column(String(80), default="")
    assign_threshold: Mapped[float] = mapped_column(Float, default=1.0)
    answer_count: Mapped[int] = mapped_column(Integer, default=0)
    campaigns: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    campaign_keys: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    non_substantive: Mapped[list[int]] = mapped_column(JSON, default=list)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
    catchup_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    run: Mapped[AnalysisRun] = relationship(back_populates="theme_sets")
    themes: Mapped[list[Theme]] = relationship(
        back_populates="theme_set",
        cascade="all, delete-orphan",
        foreign_keys="Theme.theme_set_id",
        order_by="Theme.id",
    )


class Theme(Base):
    """A theme (top level when parent is empty, else a sub-theme). Analysts may rename, describe, hide, merge and
    split it; `named_by_analyst` themes carry their words over to the next run's matching theme."""

    __tablename__ = "theme"

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_set_id: Mapped[int] = mapped_column(ForeignKey("theme_set.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer, default=0)  # the pipeline's id within the set
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id", ondelete="SET NULL"))
    label: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    stance: Mapped[str | None] = mapped_column(String(40))
    quotes: Mapped[list[int]] = mapped_column(JSON, default=list)  # answer ids the pipeline chose
    pinned: Mapped[list[int]] = mapped_column(JSON, default=list)  # answer ids an analyst pinned
    centroid: Mapped[bytes | None] = mapped_column(LargeBinary)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id", ondelete="SET NULL"))
    named_by_analyst: Mapped[bool] = mapped_column(Boolean, default=False)
    carried_from_id: Mapped[int | None] = mapped_column(Integer)
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    what_we_did: Mapped[str] = mapped_column(Text, default="")
    what_we_did_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    what_we_did_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    theme_set: Mapped[ThemeSet] = relationship(back_populates="themes", foreign_keys=[theme_set_id])
    parent: Mapped[Theme | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    edited_by = relationship("User", foreign_keys=[edited_by_id])

    @property
    def live(self) -> bool:
        """Shown in lists: not merged into another theme."""
        return self.merged_into_id is None


class ThemeAssignment(Base):
    """Which theme (most specific; empty for 'Other') an answer belongs to in one theme set."""

    __tablename__ = "theme_assignment"
    __table_args__ = (
        UniqueConstraint("theme_set_id", "answer_id"),
        Index("ix_theme_assignment_theme", "theme_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_set_id: Mapped[int] = mapped_column(ForeignKey("theme_set.id", ondelete="CASCADE"))
    answer_id: Mapped[int] = mapped_column(ForeignKey("consultation_answer.id", ondelete="CASCADE"))
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(20), default=AssignmentSource.MODEL.value)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ThemeEdit(Base):
    """Every analyst or officer change to a theme set: who, when, what."""

    __tablename__ = "theme_edit"

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_set_id: Mapped[int] = mapped_column(ForeignKey("theme_set.id", ondelete="CASCADE"), index=True)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")
    theme: Mapped[Theme | None] = relationship(foreign_keys=[theme_id])
