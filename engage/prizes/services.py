"""Challenge prizes: every decision and permission check. Routes call these; nothing here reads the request."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from engage import LONDON, storage
from engage.auth.services import create_user, find_user, normalise_email
from engage.db import session as db_session
from engage.db import utcnow
from engage.exports import safe_cell
from engage.jobs import optional_module
from engage.mail import queue_email
from engage.models import AuditEvent, Council, Membership, User
from engage.models.accounts import Role
from engage.models.prizes import (
    DECISION_LABELS,
    Assignment,
    Attachment,
    Conflict,
    ConflictDeclaration,
    Criterion,
    Decision,
    Entry,
    EntryStatus,
    Prize,
    PrizeStatus,
    Score,
    Stage,
    StageKind,
    Team,
    TeamInvite,
    TeamMember,
)
from engage.prizes import assignment as assignment_design
from engage.prizes import scoring, uploads
from engage.security import new_token, token_hash
from engage.services import PermissionDenied, ServiceError, audit, require_role

OFFICER_ROLES = (Role.OFFICER, Role.ADMIN)
REGISTER_SALT = "engage.prizes.register"
REGISTER_MAX_AGE = 24 * 3600
TEAM_INVITE_DAYS = 14
MAX_WORD_LIMIT = 10_000  # an entry answer is at most 60,000 characters
STAGE_NAMES = {StageKind.ENTRY: "Entries", StageKind.SHORTLIST: "Shortlist", StageKind.FINAL: "Final"}


# ---------------------------------------------------------------------------------------------- parsing helpers


def parse_london(text: str, field: str, label: str) -> datetime | None:
    """'31/01/2027 17:00' entered in Europe/London -> aware UTC datetime; '' -> None."""
    text = (text or "").strip()
    if not text:
        return None
    for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y"):
        try:
            local = datetime.strptime(text, fmt)  # noqa: DTZ007 - zone applied below
        except ValueError:
            continue
        if fmt == "%d/%m/%Y":
            local = local.replace(hour=23, minute=59)
        return local.replace(tzinfo=LONDON).astimezone(UTC)
    raise ServiceError(f"{label} must be a real date and time, like 31/01/2027 17:00", field=field)


def format_london(value: datetime | None) -> str:
    return value.astimezone(LONDON).strftime("%d/%m/%Y %H:%M") if value else ""


def _lines(text: str) -> list[list[str]]:
    return [[part.strip() for part in line.split("|")] for line in (text or "").splitlines() if line.strip()]


def parse_criteria(text: str) -> list[dict[str, Any]]:
    """'Name | weight | description' per line."""
    out = []
    for parts in _lines(text):
        name = parts[0][:120]
        try:
            weight = float(parts[1]) if len(parts) > 1 and parts[1] else 1.0
        except ValueError:
            raise ServiceError(f"Weight for “{name}” must be a number, like 2 or 0.5", field="criteria") from None
        if not 0 < weight <= 100:
            raise ServiceError(f"Weight for “{name}” must be more than 0 and at most 100", field="criteria")
        out.append({"name": name, "weight": weight, "description": " | ".join(parts[2:])[:1000]})
    if not out:
        raise ServiceError("Enter at least one judging criterion", field="criteria")
    return out


def parse_eligibility(text: str) -> list[dict[str, Any]]:
    """'Question | yes or no (the answer needed) | reason shown to those screened out' per line."""
    out = []
    for parts in _lines(text):
        expected = (parts[1] if len(parts) > 1 else "yes").lower()
        if expected not in {"yes", "no"}:
            raise ServiceError("Each eligibility question needs the answer it requires: yes or no", "eligibility")
        out.append(
            {
                "question": parts[0][:300],
                "expected": expected,
                "reason": (parts[2] if len(parts) > 2 else "")[:300],
            }
        )
    return out


def parse_fields(text: str) -> list[dict[str, Any]]:
    """'Label | required or optional | word limit' per line."""
    out = []
    for index, parts in enumerate(_lines(text), start=1):
        required = (parts[1] if len(parts) > 1 else "required").lower() != "optional"
        try:
            max_words = int(parts[2]) if len(parts) > 2 and parts[2] else 500
        except ValueError:
            raise ServiceError(f"Word limit for “{parts[0]}” must be a whole number", field="entry_fields") from None
        if not 1 <= max_words <= MAX_WORD_LIMIT:
            raise ServiceError(
                f"Word limit for “{parts[0]}” must be between 1 and {MAX_WORD_LIMIT:,}", field="entry_fields"
            )
        out.append({"key": f"f{index}", "label": parts[0][:200], "required": required, "max_words": max_words})
    if not out:
        raise ServiceError("Enter at least one question for the entry form", field="entry_fields")
    return out


def parse_descriptors(text: str, low: int, high: int) -> dict[str, str]:
    """'1: No evidence' per line."""
    out: dict[str, str] = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        number, _, words = line.partition(":")
        try:
            value = int(number.strip())
        except ValueError:
            raise ServiceError("Write each descriptor as a score then a colon, like 3: Good", "descriptors") from None
        if not low <= value <= high:
            raise ServiceError(f"Descriptors must be for scores from {low} to {high}", field="descriptors")
        out[str(value)] = words.strip()[:300]
    return out


def criteria_text(prize: Prize) -> str:
    return "\n".join(f"{c.name} | {c.weight:g} | {c.description}" for c in prize.criteria)


def eligibility_text(prize: Prize) -> str:
    return "\n".join(f"{q['question']} | {q['expected']} | {q.get('reason', '')}" for q in prize.eligibility)


def fields_text(prize: Prize) -> str:
    return "\n".join(
        f"{f['label']} | {'required' if f['required'] else 'optional'} | {f['max_words']}" for f in prize.entry_fields
    )


def descriptors_text(prize: Prize) -> str:
    return "\n".join(f"{k}: {v}" for k, v in sorted(prize.descriptors.items(), key=lambda kv: int(kv[0])))


# ---------------------------------------------------------------------------------------------- permissions


def is_officer(user: Any, council_id: int) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_site_admin or user.has_role(council_id, *OFFICER_ROLES))


def require_officer(user: Any, prize: Prize) -> None:
    require_role(user, prize.council_id, *OFFICER_ROLES)


def require_judge(user: Any, prize: Prize) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied("sign in first")
    if not user.has_role(prize.council_id, Role.JUDGE):
        raise PermissionDenied("judges of this council only")


def is_entrant(user: Any) -> bool:
    """Whether this person belongs to any prize team (so has entries to look at)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return db_session.scalar(select(TeamMember.id).where(TeamMember.user_id == user.id).limit(1)) is not None


def is_member(user: Any, team: Team) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False)) and any(
        m.user_id == user.id for m in team.members
    )


def get_prize(prize_id: int) -> Prize | None:
    return db_session.get(Prize, prize_id)


def visible_prize(user: Any, prize_id: int) -> Prize:
    """A prize the public may read (open or later), or any prize for its council's officers."""
    prize = get_prize(prize_id)
    if prize is None:
        raise LookupError("no such prize")
    if prize.status == PrizeStatus.DRAFT and not is_officer(user, prize.council_id):
        raise LookupError("no such prize")
    return prize


def entry_for_entrant(user: Any, entry_id: int) -> Entry:
    entry = db_session.get(Entry, entry_id)
    if entry is None:
        raise LookupError("no such entry")
    if not is_member(user, entry.team):
        raise PermissionDenied("only the team's members may see this entry")
    return entry


def entry_for_officer(user: Any, entry_id: int) -> Entry:
    entry = db_session.get(Entry, entry_id)
    if entry is None:
        raise LookupError("no such entry")
    require_officer(user, entry.prize)
    if entry.status == EntryStatus.DRAFT:
        raise PermissionDenied("drafts are private to their team")
    return entry


def assignment_for_judge(user: Any, assignment_id: int) -> Assignment:
    assignment = db_session.get(Assignment, assignment_id)
    if assignment is None:
        raise LookupError("no such assignment")
    prize = db_session.get(Prize, assignment.prize_id)
    assert prize is not None
    require_judge(user, prize)
    if assignment.judge_id != user.id:
        raise PermissionDenied("not assigned to you")
    if not has_declared(user, prize):
        raise PermissionDenied("declare your conflicts of interest first")
    if is_conflicted(user.id, assignment.entry_id):
        raise PermissionDenied("you declared a conflict of interest with this entry")
    if assignment.entry.status != EntryStatus.SUBMITTED:
        raise PermissionDenied("the entry was withdrawn")
    return assignment


def attachment_for(user: Any, attachment_id: int) -> tuple[Attachment, str]:
    """The attachment and the filename to give it, if this user may download it."""
    attachment = db_session.get(Attachment, attachment_id)
    if attachment is None:
        raise LookupError("no such attachment")
    entry = attachment.entry
    prize = entry.prize
    if is_member(user, entry.team):
        return attachment, attachment.filename
    if is_officer(user, prize.council_id) and entry.status != EntryStatus.DRAFT:
        return attachment, attachment.filename
    if user is not None and getattr(user, "is_authenticated", False):
        assigned = db_session.scalar(
            select(Assignment).where(Assignment.entry_id == entry.id, Assignment.judge_id == user.id)
        )
        if assigned is not None:
            assignment_for_judge(user, assigned.id)  # raises unless the judge may see the entry
            if prize.blind_judging:
                number = entry.attachments.index(attachment) + 1
                return attachment, f"entry-{entry.id}-attachment-{number}.{attachment.kind}"
            return attachment, attachment.filename
    raise PermissionDenied("not allowed to download this file")


# ---------------------------------------------------------------------------------------------- prizes


@dataclass
class PrizeInput:
    title: str
    summary: str
    problem: str
    evidence: str
    prize_money: str
    entry_closes: str
    shortlist_closes: str
    final_closes: str
    criteria: str
    score_min: int
    score_max: int
    descriptors: str
    eligibility: str
    entry_fields: str
    allow_attachments: bool
    terms: str
    ip_conditions: str
    blind_judging: bool
    judges_per_entry: int
    judge_cap: int
    shortlist_size: int
    evidence_theme_ids: list[str] = field(default_factory=list)
    judging_closes: str = ""


def consultation_theme_rows(council_id: int) -> list[tuple[Any, str, Any]]:
    """(theme, consultation title, theme set) for the council's current top-level consultation themes; empty when
    the theme analysis feature is not installed."""
    analysis = optional_module("engage.models.analysis")
    consultations = optional_module("engage.models.consultations")
    if analysis is None or consultations is None:
        return []
    rows = db_session.execute(
        select(analysis.Theme, consultations.Consultation.title, analysis.ThemeSet)
        .join(analysis.ThemeSet, analysis.Theme.theme_set_id == analysis.ThemeSet.id)
        .join(consultations.Consultation, consultations.Consultation.id == analysis.ThemeSet.consultation_id)
        .where(
            consultations.Consultation.council_id == council_id,
            analysis.ThemeSet.is_current.is_(True),
            analysis.Theme.parent_id.is_(None),
            analysis.Theme.hidden.is_(False),
            analysis.Theme.merged_into_id.is_(None),
        )
        .order_by(consultations.Consultation.title, analysis.Theme.id)
    ).all()
    return [(theme, title, theme_set) for theme, title, theme_set in rows]


def _theme_share(theme: Any, theme_set: Any) -> float:
    analysis = optional_module("engage.models.analysis")
    ids = [theme.id] + [t.id for t in theme_set.themes if t.parent_id == theme.id]
    count = db_session.scalar(
        select(func.count(analysis.ThemeAssignment.id)).where(
            analysis.ThemeAssignment.theme_set_id == theme_set.id, analysis.ThemeAssignment.theme_id.in_(ids)
        )
    )
    return round(count / theme_set.answer_count, 3) if theme_set.answer_count else 0.0


def _theme_quote(theme: Any) -> str:
    consultations = optional_module("engage.models.consultations")
    for answer_id in [*(theme.pinned or []), *(theme.quotes or [])]:
        answer = db_session.get(consultations.Answer, answer_id)
        if answer is not None and not answer.hidden and answer.redacted_text:
            return answer.redacted_text[:300]
    return ""


def consultation_theme_choices(council_id: int) -> list[tuple[str, str]]:
    return [
        (str(theme.id), f"{title}: {theme.label} ({round(_theme_share(theme, theme_set) * 100)}% of answers)")
        for theme, title, theme_set in consultation_theme_rows(council_id)
    ]


def evidence_from_themes(council_id: int, theme_ids: list[str]) -> list[dict[str, Any]]:
    rows = {str(theme.id): (theme, title, theme_set) for theme, title, theme_set in consultation_theme_rows(council_id)}
    if any(i not in rows for i in theme_ids):
        raise ServiceError("Choose from the consultation themes listed", field="evidence_theme_ids")
    return [
        {
            "theme_id": rows[i][0].id,
            "label": rows[i][0].label,
            "consultation": rows[i][1],
            "share": _theme_share(rows[i][0], rows[i][2]),
            "quote": _theme_quote(rows[i][0]),
        }
        for i in theme_ids
    ]


def _apply_prize(prize: Prize, data: PrizeInput) -> None:
    if data.score_min >= data.score_max:
        raise ServiceError("The highest score must be more than the lowest score", field="score_max")
    criteria = parse_criteria(data.criteria)
    eligibility = parse_eligibility(data.eligibility)
    fields = parse_fields(data.entry_fields)
    descriptors = parse_descriptors(data.descriptors, data.score_min, data.score_max)
    entry_closes = parse_london(data.entry_closes, "entry_closes", "Entry deadline")
    if entry_closes is None:
        raise ServiceError("Enter the entry deadline", field="entry_closes")
    shortlist_closes = parse_london(data.shortlist_closes, "shortlist_closes", "Shortlist deadline")
    final_closes = parse_london(data.final_closes, "final_closes", "Final deadline")
    if shortlist_closes and shortlist_closes <= entry_closes:
        raise ServiceError("The shortlist deadline must be after the entry deadline", field="shortlist_closes")
    judging_closes = parse_london(data.judging_closes, "judging_closes", "Judging deadline")
    if judging_closes and judging_closes <= entry_closes:
        raise ServiceError("Judging must close after the entry deadline", field="judging_closes")
    if final_closes and final_closes <= (shortlist_closes or entry_closes):
        raise ServiceError("The final deadline must be after the earlier deadlines", field="final_closes")
    old_criteria = [(c.name, c.weight) for c in prize.criteria]
    if old_criteria != [(c["name"], c["weight"]) for c in criteria] and _has_scores(prize):
        raise ServiceError("Criteria cannot change once judges have scored", field="criteria")
    evidence_themes = evidence_from_themes(prize.council_id, data.evidence_theme_ids or [])
    prize.title = data.title
    prize.evidence_themes = evidence_themes
    prize.summary = data.summary
    prize.problem = data.problem
    prize.evidence = data.evidence
    prize.prize_money = data.prize_money
    prize.score_min, prize.score_max = data.score_min, data.score_max
    prize.descriptors = descriptors
    prize.eligibility = eligibility
    prize.entry_fields = fields
    prize.allow_attachments = data.allow_attachments
    prize.terms = data.terms
    prize.ip_conditions = data.ip_conditions
    prize.blind_judging = data.blind_judging
    prize.judges_per_entry = data.judges_per_entry
    prize.judge_cap = data.judge_cap
    prize.shortlist_size = data.shortlist_size
    deadlines = {StageKind.ENTRY: entry_closes, StageKind.SHORTLIST: shortlist_closes, StageKind.FINAL: final_closes}
    for position, kind in enumerate(StageKind):
        stage = prize.stage(kind)
        if stage is None:
            stage = Stage(kind=kind, position=position, name=STAGE_NAMES[kind])
            prize.stages.append(stage)
        stage.closes_at = deadlines[kind]
        if kind == StageKind.ENTRY:
            stage.judging_closes_at = judging_closes
    if not _has_scores(prize):
        prize.criteria.clear()
        db_session.flush()
        for position, c in enumerate(criteria):
            prize.criteria.append(Criterion(position=position, **c))


def _has_scores(prize: Prize) -> bool:
    if prize.id is None:
        return False
    return bool(db_session.scalar(select(func.count(Score.id)).join(Assignment).where(Assignment.prize_id == prize.id)))


def create_prize(actor: User, council: Council, data: PrizeInput) -> Prize:
    require_role(actor, council.id, *OFFICER_ROLES)
    prize = Prize(council_id=council.id, created_by_id=actor.id, status=PrizeStatus.DRAFT)
    _apply_prize(prize, data)
    db_session.add(prize)
    db_session.flush()
    audit("prize.create", actor=actor, council_id=council.id, target=prize, title=prize.title)
    db_session.commit()
    return prize


def update_prize(actor: User, prize: Prize, data: PrizeInput) -> Prize:
    require_officer(actor, prize)
    if prize.status == PrizeStatus.PUBLISHED:
        raise ServiceError("Published prizes cannot be changed", field="title")
    try:
        _apply_prize(prize, data)
    except ServiceError:
        db_session.rollback()
        raise
    audit("prize.update", actor=actor, council_id=prize.council_id, target=prize)
    db_session.commit()
    return prize


def council_prizes(council: Council, include_drafts: bool = False) -> list[Prize]:
    query = select(Prize).where(Prize.council_id == council.id).order_by(Prize.created_at.desc())
    if not include_drafts:
        query = query.where(Prize.status != PrizeStatus.DRAFT)
    return list(db_session.scalars(query))


def managed_prizes(user: User) -> list[tuple[Council, list[Prize]]]:
    councils = {m.council for m in user.memberships if m.role in OFFICER_ROLES}
    if user.is_site_admin:
        councils |= set(db_session.scalars(select(Council)))
    return [(c, council_prizes(c, include_drafts=True)) for c in sorted(councils, key=lambda c: c.name)]


def entries_open(prize: Prize, now: datetime | None = None) -> bool:
    stage = prize.stage(StageKind.ENTRY)
    now = now or utcnow()
    return prize.status == PrizeStatus.OPEN and stage is not None and (stage.closes_at is None or now < stage.closes_at)


def set_status(actor: User, prize: Prize, status: PrizeStatus) -> None:
    """Move a prize on: draft -> open -> judging -> closed -> published (publishing has its own checks)."""
    require_officer(actor, prize)
    allowed = {
        PrizeStatus.DRAFT: {PrizeStatus.OPEN},
        PrizeStatus.OPEN: {PrizeStatus.JUDGING, PrizeStatus.DRAFT},
        PrizeStatus.JUDGING: {PrizeStatus.CLOSED},
        PrizeStatus.CLOSED: {PrizeStatus.JUDGING},
    }
    if status not in allowed.get(prize.status, set()):
        raise ServiceError("The prize cannot move to that stage now", field="status")
    if status == PrizeStatus.DRAFT and db_session.scalar(
        select(func.count(Entry.id)).where(Entry.prize_id == prize.id)
    ):
        raise ServiceError("The prize has entries, so it cannot go back to draft", field="status")
    stage = judging_stage(prize)
    if status == PrizeStatus.JUDGING and stage.judging_opened_at is None:
        stage.judging_opened_at = utcnow()
    if status == PrizeStatus.CLOSED:
        stage.round_closed_at = utcnow()
    if status == PrizeStatus.JUDGING:
        stage.round_closed_at = None
    old = prize.status
    prize.status = status
    audit("prize.status", actor=actor, council_id=prize.council_id, target=prize, old=old.value, new=status.value)
    db_session.commit()


ROUND_ENTRANTS = {
    StageKind.ENTRY: None,  # every submitted entry
    StageKind.SHORTLIST: {Decision.SHORTLISTED, Decision.FINALIST, Decision.WINNER},
    StageKind.FINAL: {Decision.FINALIST, Decision.WINNER},
}


def judging_stage(prize: Prize) -> Stage:
    """The round judges score in now: the latest stage whose judging has started (the entry round at first)."""
    started = [st for st in prize.stages if st.judging_opened_at is not None]
    stage = max(started, key=lambda st: st.position) if started else prize.stage(StageKind.ENTRY)
    assert stage is not None
    return stage


def next_stage(prize: Prize) -> Stage | None:
    current = judging_stage(prize)
    later = [st for st in prize.stages if st.position > current.position]
    return min(later, key=lambda st: st.position) if later else None


def round_entries(prize: Prize, stage: Stage | None = None) -> list[Entry]:
    """The submitted entries judged in a round: all of them in the entry round, then those taken forward."""
    stage = stage or judging_stage(prize)
    wanted = ROUND_ENTRANTS[stage.kind]
    return [e for e in submitted_entries(prize) if wanted is None or e.decision in wanted]


def start_next_round(actor: User, prize: Prize) -> Stage:
    """After a round closes, judge the entries taken forward (shortlisted, then finalists) in the next stage."""
    require_officer(actor, prize)
    stage = next_stage(prize)
    if prize.status != PrizeStatus.CLOSED or stage is None:
        raise ServiceError("Close this round's judging before starting the next round", field="status")
    if not round_entries(prize, stage):
        wanted = "shortlisted" if stage.kind == StageKind.SHORTLIST else "finalist"
        raise ServiceError(f"Mark at least one entry as {wanted} first", field="status")
    deadline = judging_deadline(stage)
    if deadline is not None and deadline <= utcnow():
        raise ServiceError(
            f"The {stage.name.lower()} deadline ({format_london(deadline)}) has passed: set a later one in the prize's "
            "details first",
            field="status",
        )
    stage.judging_opened_at = utcnow()
    stage.round_closed_at = None
    prize.status = PrizeStatus.JUDGING
    audit("prize.round_start", actor=actor, council_id=prize.council_id, target=prize, stage=stage.kind.value)
    db_session.commit()
    return stage


def judging_deadline(stage: Stage) -> datetime | None:
    """When judges stop scoring in a round: the judging deadline for the entry round, the stage's own deadline for
    the shortlist and final rounds."""
    return stage.judging_closes_at if stage.kind == StageKind.ENTRY else stage.closes_at


def round_open(prize: Prize) -> bool:
    stage = judging_stage(prize)
    if prize.status != PrizeStatus.JUDGING or stage.round_closed_at is not None:
        return False
    deadline = judging_deadline(stage)
    return deadline is None or utcnow() < deadline


# ---------------------------------------------------------------------------------------------- registration


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=REGISTER_SALT)


def start_registration(email: str, next_path: str = "") -> None:
    """Email a link to finish registering (or, if there is an account already, a reminder to sign in)."""
    email = normalise_email(email)
    base = current_app.config["BASE_URL"]
    if find_user(email) is not None:
        queue_email(
            email,
            "You already have an Engage account",
            f"Someone (hopefully you) tried to register for Engage challenge prizes with this email address.\n\n"
            f"You already have an account: sign in at {base}/sign-in\n\nIf this was not you, ignore this email.",
        )
    else:
        token = _serializer().dumps({"email": email, "next": next_path[:200]})
        queue_email(
            email,
            "Confirm your email address for Engage challenge prizes",
            f"Finish creating your account: {base}/prizes/register/{token}\n\n"
            f"The link works for 24 hours. If you did not ask for this, ignore this email.",
        )
    audit("prizes.register_start", target=None)
    db_session.commit()


def registration_details(token: str) -> dict[str, str] | None:
    try:
        data = _serializer().loads(token, max_age=REGISTER_MAX_AGE)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or "email" not in data:
        return None
    return {"email": str(data["email"]), "next": str(data.get("next", ""))}


def complete_registration(token: str, name: str, password: str) -> User:
    details = registration_details(token)
    if details is None:
        raise ServiceError("The link has expired: register again to get a new one", field="name")
    user = create_user(details["email"], password, name)  # raises if the account exists or the password is weak
    audit("prizes.register", actor=user, target=user)
    db_session.commit()
    return user


# ---------------------------------------------------------------------------------------------- teams


def user_teams(user: User) -> list[Team]:
    return list(
        db_session.scalars(select(Team).join(TeamMember).where(TeamMember.user_id == user.id).order_by(Team.name))
    )


def create_team(user: User, name: str, organisation: str = "") -> Team:
    if not name:
        raise ServiceError("Enter a name for your team", field="team_name")
    team = Team(name=name, organisation=organisation, created_by_id=user.id)
    team.members.append(TeamMember(user_id=user.id, is_lead=True))
    db_session.add(team)
    db_session.flush()
    audit("prizes.team_create", actor=user, target=team, name=name)
    return team


def team_for_member(user: User, team_id: int) -> Team:
    team = db_session.get(Team, team_id)
    if team is None:
        raise LookupError("no such team")
    if not is_member(user, team):
        raise PermissionDenied("members only")
    return team


def invite_member(user: User, team: Team, email: str) -> TeamInvite:
    if not is_member(user, team):
        raise PermissionDenied("members only")
    email = normalise_email(email)
    if any(m.user.email == email for m in team.members):
        raise ServiceError("That person is already in the team", field="email")
    token = new_token()
    invite = TeamInvite(
        team=team,
        email=email,
        token_hash=token_hash(token),
        invited_by_id=user.id,
        expires_at=utcnow() + timedelta(days=TEAM_INVITE_DAYS),
    )
    db_session.add(invite)
    db_session.flush()
    link = f"{current_app.config['BASE_URL']}/prizes/teams/join/{token}"
    queue_email(
        email,
        f"Join the team “{team.name}” on Engage",
        f"{user.name or user.email} has invited you to join their team “{team.name}” to enter a challenge prize.\n\n"
        f"Join the team: {link}\n\nYou will need an Engage account with this email address; the page explains how "
        f"to make one. The link expires in {TEAM_INVITE_DAYS} days.",
    )
    audit("prizes.team_invite", actor=user, target=team, email=email)
    db_session.commit()
    return invite


def open_team_invite(token: str) -> TeamInvite | None:
    invite = db_session.scalar(select(TeamInvite).where(TeamInvite.token_hash == token_hash(token)))
    if invite is None or invite.accepted_at is not None or invite.expires_at < utcnow():
        return None
    return invite


def accept_team_invite(user: User, invite: TeamInvite) -> Team:
    if normalise_email(user.email) != invite.email:
        raise PermissionDenied("this invitation is for a different email address")
    team = invite.team
    if not is_member(user, team):
        team.members.append(TeamMember(user_id=user.id))
    invite.accepted_at = utcnow()
    audit("prizes.team_join", actor=user, target=team)
    db_session.commit()
    return team


# ---------------------------------------------------------------------------------------------- entries


def team_entries(user: User) -> list[Entry]:
    teams = [t.id for t in user_teams(user)]
    if not teams:
        return []
    return list(db_session.scalars(select(Entry).where(Entry.team_id.in_(teams)).order_by(Entry.created_at.desc())))


def start_entry(
    user: User,
    prize: Prize,
    *,
    team_id: int | None,
    team_name: str,
    organisation: str,
    eligibility: dict[str, str],
    accept_terms: bool,
) -> Entry:
    if not entries_open(prize):
        raise ServiceError("This prize is not taking entries: the deadline has passed", field="accept_terms")
    for index, question in enumerate(prize.eligibility):
        answer = eligibility.get(f"q{index}", "")
        if answer not in {"yes", "no"}:
            raise ServiceError(f"Answer: {question['question']}", field=f"q{index}")
    if not accept_terms:
        raise ServiceError("You must accept the terms and intellectual property conditions", field="accept_terms")
    screened_out = [q for index, q in enumerate(prize.eligibility) if eligibility.get(f"q{index}") != q["expected"]]
    if screened_out:
        reason = screened_out[0].get("reason") or "Your answers show you are not eligible for this prize"
        raise ServiceError(
            f"You cannot enter this prize. {reason}", field=f"q{prize.eligibility.index(screened_out[0])}"
        )
    if team_id:
        team = team_for_member(user, team_id)
        team.organisation = organisation or team.organisation
    else:
        team = create_team(user, team_name, organisation)
    existing = db_session.scalar(select(Entry).where(Entry.prize_id == prize.id, Entry.team_id == team.id))
    if existing is not None:
        raise ServiceError(f"Your team “{team.name}” has already started an entry for this prize", field="team_id")
    entry = Entry(
        prize=prize,
        team=team,
        eligibility_answers=eligibility,
        terms_accepted_at=utcnow(),
        status=EntryStatus.DRAFT,
    )
    db_session.add(entry)
    db_session.flush()
    audit("prizes.entry_start", actor=user, council_id=prize.council_id, target=entry, team=team.id)
    db_session.commit()
    return entry


def _words(text: str) -> int:
    return len(re.findall(r"\S+", text or ""))


def save_entry(user: User, entry: Entry, title: str, answers: dict[str, str], submit: bool) -> Entry:
    """Save a draft, or submit (or update a submitted entry) while entries are open. Validates before changing."""
    if not is_member(user, entry.team):
        raise PermissionDenied("members only")
    prize = entry.prize
    if entry.status == EntryStatus.WITHDRAWN:
        raise ServiceError("This entry was withdrawn", field="title")
    if not entries_open(prize):
        raise ServiceError("The deadline for entries has passed: your entry can no longer be changed", field="title")
    if len(title) > 200:
        raise ServiceError("Title must be 200 characters or fewer", field="title")
    for f in prize.entry_fields:
        if _words(answers.get(f["key"], "")) > f["max_words"]:
            raise ServiceError(f"{f['label']} must be {f['max_words']} words or fewer", field=f["key"])
    if submit or entry.status == EntryStatus.SUBMITTED:
        if not title:
            raise ServiceError("Enter a title for your entry", field="title")
        for f in prize.entry_fields:
            if f["required"] and not answers.get(f["key"], "").strip():
                raise ServiceError(f"Enter an answer for: {f['label']}", field=f["key"])
    entry.title = title
    entry.answers = {f["key"]: answers.get(f["key"], "") for f in prize.entry_fields}
    action = "prizes.entry_save"
    if submit and entry.status == EntryStatus.DRAFT:
        entry.status = EntryStatus.SUBMITTED
        entry.submitted_at = utcnow()
        action = "prizes.entry_submit"
    elif entry.status == EntryStatus.SUBMITTED:
        action = "prizes.entry_update"
    audit(action, actor=user, council_id=prize.council_id, target=entry)
    db_session.commit()
    return entry


def withdraw_entry(user: User, entry: Entry) -> None:
    if not is_member(user, entry.team):
        raise PermissionDenied("members only")
    if entry.status == EntryStatus.WITHDRAWN:
        return
    if entry.prize.status == PrizeStatus.PUBLISHED:
        raise ServiceError("Results have been published: the entry can no longer be withdrawn", field="confirm")
    entry.status = EntryStatus.WITHDRAWN
    entry.withdrawn_at = utcnow()
    audit("prizes.entry_withdraw", actor=user, council_id=entry.prize.council_id, target=entry)
    db_session.commit()


def add_attachment(user: User, entry: Entry, stream: Any, filename: str) -> Attachment:
    if not is_member(user, entry.team):
        raise PermissionDenied("members only")
    prize = entry.prize
    if not prize.allow_attachments:
        raise ServiceError("This prize does not take attachments", field="file")
    if not entries_open(prize) or entry.status == EntryStatus.WITHDRAWN:
        raise ServiceError("The deadline for entries has passed: you can no longer add files", field="file")
    if len(entry.attachments) >= prize.max_attachments:
        raise ServiceError(f"You can attach up to {prize.max_attachments} files: remove one first", field="file")
    try:
        checked = uploads.check(stream, filename, current_app.config.get("PRIZE_UPLOAD_MAX_BYTES", uploads.MAX_BYTES))
    except uploads.UploadError as exc:
        raise ServiceError(str(exc), field="file") from None
    stored = storage.save("prizes", checked.data, checked.kind)
    attachment = Attachment(
        entry=entry,
        filename=checked.filename,
        stored_name=stored,
        kind=checked.kind,
        size=len(checked.data),
        uploaded_by_id=user.id,
    )
    db_session.add(attachment)
    db_session.flush()
    audit("prizes.attachment_add", actor=user, council_id=prize.council_id, target=entry, kind=checked.kind)
    db_session.commit()
    return attachment


def remove_attachment(user: User, attachment: Attachment) -> None:
    entry = attachment.entry
    if not is_member(user, entry.team):
        raise PermissionDenied("members only")
    if not entries_open(entry.prize):
        raise ServiceError("The deadline for entries has passed: files can no longer be removed", field="file")
    db_session.delete(attachment)
    audit("prizes.attachment_remove", actor=user, council_id=entry.prize.council_id, target=entry)
    db_session.commit()
    storage.remove("prizes", attachment.stored_name)


# ---------------------------------------------------------------------------------------------- judges


def judge_prizes(user: User) -> list[Prize]:
    councils = [m.council_id for m in user.memberships if m.role == Role.JUDGE]
    if not councils:
        return []
    return list(
        db_session.scalars(
            select(Prize)
            .where(Prize.council_id.in_(councils), Prize.status != PrizeStatus.DRAFT)
            .order_by(Prize.created_at.desc())
        )
    )


def _declaration(user: User, prize: Prize) -> ConflictDeclaration | None:
    return db_session.scalar(
        select(ConflictDeclaration).where(
            ConflictDeclaration.prize_id == prize.id, ConflictDeclaration.judge_id == user.id
        )
    )


def has_declared(user: User, prize: Prize) -> bool:
    """Whether the judge has checked every entrant for conflicts: entries submitted after their declaration mean
    they must look at the list again before seeing any entry."""
    declaration = _declaration(user, prize)
    if declaration is None:
        return False
    newer = db_session.scalar(
        select(func.count(Entry.id)).where(
            Entry.prize_id == prize.id,
            Entry.status == EntryStatus.SUBMITTED,
            Entry.submitted_at > declaration.declared_at,
        )
    )
    return not newer


def is_conflicted(judge_id: int, entry_id: int) -> bool:
    return (
        db_session.scalar(select(Conflict).where(Conflict.judge_id == judge_id, Conflict.entry_id == entry_id))
        is not None
    )


def submitted_entries(prize: Prize) -> list[Entry]:
    return list(
        db_session.scalars(
            select(Entry)
            .where(Entry.prize_id == prize.id, Entry.status == EntryStatus.SUBMITTED)
            .order_by(Entry.submitted_at, Entry.id)
        )
    )


def conflict_choices(user: User, prize: Prize) -> list[tuple[int, str]]:
    """Entrants to check for conflicts: team and organisation only, in alphabetical order, never linked to the
    entries' titles or contents (so blind judging stays blind)."""
    require_judge(user, prize)
    choices = []
    for entry in submitted_entries(prize):
        label = entry.team.name + (f" ({entry.team.organisation})" if entry.team.organisation else "")
        members = ", ".join(sorted(m.user.name or m.user.email for m in entry.team.members))
        choices.append((entry.id, f"{label}: {members}"))
    return sorted(choices, key=lambda c: c[1].lower())


def declared_conflicts(user: User, prize: Prize) -> list[Conflict]:
    return list(db_session.scalars(select(Conflict).where(Conflict.prize_id == prize.id, Conflict.judge_id == user.id)))


def declare_conflicts(user: User, prize: Prize, entry_ids: list[int], reason: str) -> None:
    """Record the judge's conflicts (possibly none) and recuse them from any conflicted assignment."""
    require_judge(user, prize)
    valid = {e.id for e in submitted_entries(prize)}
    if any(e not in valid for e in entry_ids):
        raise ServiceError("Choose from the entrants listed", field="entries")
    if entry_ids and not reason:
        raise ServiceError("Describe the conflict of interest", field="reason")
    for entry_id in entry_ids:
        if not is_conflicted(user.id, entry_id):
            db_session.add(Conflict(prize_id=prize.id, entry_id=entry_id, judge_id=user.id, reason=reason))
            audit("prizes.conflict_declare", actor=user, council_id=prize.council_id, target=prize, entry=entry_id)
        for assignment in db_session.scalars(
            select(Assignment).where(Assignment.entry_id == entry_id, Assignment.judge_id == user.id)
        ):
            audit(
                "prizes.assignment_recuse",
                actor=user,
                council_id=prize.council_id,
                target=assignment,
                entry=entry_id,
                judge=user.id,
            )
            db_session.delete(assignment)
    declaration = _declaration(user, prize)
    if declaration is None:
        db_session.add(ConflictDeclaration(prize_id=prize.id, judge_id=user.id, declared_at=utcnow()))
    else:
        declaration.declared_at = utcnow()
    audit("prizes.conflicts_declared", actor=user, council_id=prize.council_id, target=prize, count=len(entry_ids))
    db_session.commit()


def judge_assignments(user: User, prize: Prize) -> list[Assignment]:
    require_judge(user, prize)
    if not has_declared(user, prize):
        raise PermissionDenied("declare your conflicts of interest first")
    stage = judging_stage(prize)
    rows = db_session.scalars(
        select(Assignment)
        .join(Entry)
        .where(
            Assignment.stage_id == stage.id,
            Assignment.judge_id == user.id,
            Entry.status == EntryStatus.SUBMITTED,
        )
        .order_by(Assignment.id)
    )
    return [a for a in rows if not is_conflicted(user.id, a.entry_id)]


def is_complete(assignment: Assignment) -> bool:
    return {s.criterion_id for s in assignment.scores} >= {c.id for c in assignment.entry.prize.criteria}


def save_scores(user: User, assignment: Assignment, values: dict[int, Any], comments: dict[int, str]) -> None:
    """Validate every score first; then record each change in the audit trail."""
    assignment = assignment_for_judge(user, assignment.id)
    prize = assignment.entry.prize
    if not round_open(prize):
        raise ServiceError("Judging has closed for this round: scores can no longer change", field=None)
    parsed: dict[int, int] = {}
    for criterion in prize.criteria:
        raw = values.get(criterion.id)
        try:
            value = int(str(raw))
        except (TypeError, ValueError):
            raise ServiceError(f"Choose a score for {criterion.name}", field=f"c{criterion.id}") from None
        if not prize.score_min <= value <= prize.score_max:
            raise ServiceError(
                f"Score for {criterion.name} must be between {prize.score_min} and {prize.score_max}",
                field=f"c{criterion.id}",
            )
        comment = (comments.get(criterion.id) or "").strip()
        if len(comment) > 2000:
            raise ServiceError("Comment must be 2000 characters or fewer", field=f"comment{criterion.id}")
        parsed[criterion.id] = value
    existing = {s.criterion_id: s for s in assignment.scores}
    for criterion in prize.criteria:
        value, comment = parsed[criterion.id], (comments.get(criterion.id) or "").strip()
        score = existing.get(criterion.id)
        if score is None:
            assignment.scores.append(Score(criterion_id=criterion.id, value=value, comment=comment))
            audit(
                "prizes.score",
                actor=user,
                council_id=prize.council_id,
                target=assignment,
                criterion=criterion.id,
                old=None,
                new=value,
            )
        elif score.value != value or score.comment != comment:
            audit(
                "prizes.score",
                actor=user,
                council_id=prize.council_id,
                target=assignment,
                criterion=criterion.id,
                old=score.value,
                new=value,
                comment_changed=score.comment != comment,
            )
            score.value, score.comment = value, comment
    db_session.commit()


# ---------------------------------------------------------------------------------------------- assignment


def council_judges(prize: Prize) -> list[User]:
    return list(
        db_session.scalars(
            select(User)
            .join(Membership)
            .where(Membership.council_id == prize.council_id, Membership.role == Role.JUDGE, User.is_active)
            .order_by(User.name, User.id)
        )
    )


def prize_assignments(prize: Prize) -> list[Assignment]:
    stage = judging_stage(prize)
    return list(
        db_session.scalars(
            select(Assignment).where(Assignment.stage_id == stage.id).order_by(Assignment.entry_id, Assignment.id)
        )
    )


def prize_conflicts(prize: Prize) -> list[Conflict]:
    return list(db_session.scalars(select(Conflict).where(Conflict.prize_id == prize.id).order_by(Conflict.id)))


def auto_assign(actor: User, prize: Prize, k: int, cap: int, seed: int = 0) -> assignment_design.Plan:
    require_officer(actor, prize)
    if k < 1 or cap < 1:
        raise ServiceError("Judges per entry and the workload cap must be at least 1", field="k")
    stage = judging_stage(prize)
    entries = [e.id for e in round_entries(prize, stage)]
    judges = [j.id for j in council_judges(prize)]
    if not entries:
        raise ServiceError("There are no submitted entries to assign", field="k")
    if not judges:
        raise ServiceError("The council has no judges: invite judges first", field="k")
    if k > len(judges):
        raise ServiceError(
            f"There are only {len(judges)} judges, so judges per entry must be {len(judges)} or fewer", field="k"
        )
    conflicts = {(c.entry_id, c.judge_id) for c in prize_conflicts(prize)}
    existing = {(a.entry_id, a.judge_id) for a in prize_assignments(prize)}
    result = assignment_design.plan(entries, judges, k, cap, conflicts, existing, seed=seed)
    for entry_id, judge_id in result.new:
        _assign(actor, prize, stage, entry_id, judge_id, "auto", seed=seed)
    prize.judges_per_entry, prize.judge_cap = k, cap
    db_session.commit()
    return result


def add_assignment(actor: User, prize: Prize, entry_id: int, judge_id: int) -> Assignment:
    require_officer(actor, prize)
    entry = db_session.get(Entry, entry_id)
    if entry is None or entry.prize_id != prize.id or entry not in round_entries(prize):
        raise ServiceError("Choose an entry in this round", field="entry_id")
    if judge_id not in {j.id for j in council_judges(prize)}:
        raise ServiceError("Choose one of the council's judges", field="judge_id")
    if is_conflicted(judge_id, entry_id):
        raise ServiceError("That judge has declared a conflict of interest with this entry", field="judge_id")
    stage = judging_stage(prize)
    if db_session.scalar(
        select(Assignment).where(
            Assignment.stage_id == stage.id, Assignment.entry_id == entry_id, Assignment.judge_id == judge_id
        )
    ):
        raise ServiceError("That judge is already assigned to this entry", field="judge_id")
    assignment = _assign(actor, prize, stage, entry_id, judge_id, "manual")
    db_session.commit()
    return assignment


def _assign(actor: User, prize: Prize, stage: Any, entry_id: int, judge_id: int, source: str, **detail: Any):
    """Add one judge to one entry in this round, recorded in the audit trail."""
    assignment = Assignment(prize_id=prize.id, stage_id=stage.id, entry_id=entry_id, judge_id=judge_id, source=source)
    db_session.add(assignment)
    db_session.flush()
    audit(
        "prizes.assign",
        actor=actor,
        council_id=prize.council_id,
        target=assignment,
        entry=entry_id,
        judge=judge_id,
        source=source,
        **detail,
    )
    return assignment


def remove_assignment(actor: User, prize: Prize, assignment_id: int) -> None:
    require_officer(actor, prize)
    assignment = db_session.get(Assignment, assignment_id)
    if assignment is None or assignment.prize_id != prize.id:
        raise LookupError("no such assignment")
    audit(
        "prizes.unassign",
        actor=actor,
        council_id=prize.council_id,
        target=assignment,
        entry=assignment.entry_id,
        judge=assignment.judge_id,
        scores=len(assignment.scores),
    )
    db_session.delete(assignment)
    db_session.commit()


# ---------------------------------------------------------------------------------------------- results


def ratings(prize: Prize) -> list[scoring.Rating]:
    stage = judging_stage(prize)
    rows = db_session.execute(
        select(Assignment.entry_id, Assignment.judge_id, Score.criterion_id, Score.value)
        .join(Score, Score.assignment_id == Assignment.id)
        .join(Entry, Entry.id == Assignment.entry_id)
        .where(Assignment.stage_id == stage.id, Entry.status == EntryStatus.SUBMITTED)
    )
    return [scoring.Rating(*row) for row in rows]


def results(actor: User, prize: Prize) -> scoring.Results:
    require_officer(actor, prize)
    return scoring.compute(
        ratings(prize),
        {c.id: c.weight for c in prize.criteria},
        scale=(prize.score_min, prize.score_max),
        shortlist_size=prize.shortlist_size,
        seed=prize.id,
    )


def set_decision(actor: User, entry: Entry, decision: Decision, feedback: str, approve: bool) -> None:
    prize = entry.prize
    require_officer(actor, prize)
    if prize.status not in {PrizeStatus.JUDGING, PrizeStatus.CLOSED}:
        raise ServiceError("Decisions are made after entries close and before results are published", "decision")
    if entry.status != EntryStatus.SUBMITTED:
        raise ServiceError("Only submitted entries can be decided", field="decision")
    if approve and not feedback.strip():
        raise ServiceError("Write feedback before approving it", field="feedback")
    if len(feedback) > 5000:
        raise ServiceError("Feedback must be 5000 characters or fewer", field="feedback")
    old = entry.decision
    changed_feedback = entry.feedback != feedback
    entry.decision = decision
    entry.feedback = feedback
    if changed_feedback:
        entry.feedback_approved_at = None
        entry.feedback_approved_by_id = None
    if approve:
        entry.feedback_approved_at = utcnow()
        entry.feedback_approved_by_id = actor.id
    audit(
        "prizes.decision",
        actor=actor,
        council_id=prize.council_id,
        target=entry,
        old=old.value,
        new=decision.value,
        feedback_changed=changed_feedback,
        approved=approve,
    )
    db_session.commit()


def shortlist_top(actor: User, prize: Prize) -> int:
    """Mark the top `shortlist_size` entries by normalised rank as shortlisted and the rest as not selected,
    leaving entries already decided alone."""
    result = results(actor, prize)
    count = 0
    for r in result.entries:
        entry = db_session.get(Entry, r.entry)
        if entry is None or entry.decision != Decision.UNDECIDED:
            continue
        entry.decision = Decision.SHORTLISTED if r.rank <= prize.shortlist_size else Decision.NOT_SELECTED
        audit(
            "prizes.decision",
            actor=actor,
            council_id=prize.council_id,
            target=entry,
            old="undecided",
            new=entry.decision.value,
            source="shortlist by rank",
            rank=r.rank,
        )
        count += 1
    db_session.commit()
    return count


def publish_results(actor: User, prize: Prize, summary: str) -> None:
    require_officer(actor, prize)
    if prize.status != PrizeStatus.CLOSED:
        raise ServiceError("Close judging before publishing results", field="summary")
    entries = submitted_entries(prize)
    undecided = [e for e in entries if e.decision == Decision.UNDECIDED]
    if undecided:
        raise ServiceError(f"Decide every entry first: {len(undecided)} not decided", field="summary")
    unapproved = [e for e in entries if e.feedback_approved_at is None]
    if unapproved:
        raise ServiceError(f"Approve feedback for every entrant first: {len(unapproved)} not approved", "summary")
    prize.results_summary = summary
    prize.status = PrizeStatus.PUBLISHED
    prize.published_at = utcnow()
    base = current_app.config["BASE_URL"]
    for entry in entries:
        for member in entry.team.members:
            queue_email(
                member.user.email,
                f"Results of {prize.title}",
                f"The results of {prize.title} are published. Your entry “{entry.title}”: "
                f"{DECISION_LABELS[entry.decision].lower()}.\n\nRead your feedback: {base}/prizes/entries/{entry.id}",
            )
    audit("prizes.publish", actor=actor, council_id=prize.council_id, target=prize, entries=len(entries))
    db_session.commit()


def published_winners(prize: Prize) -> list[Entry]:
    if prize.status != PrizeStatus.PUBLISHED:
        return []
    order = {Decision.WINNER: 0, Decision.FINALIST: 1, Decision.SHORTLISTED: 2}
    return sorted((e for e in submitted_entries(prize) if e.decision in order), key=lambda e: order[e.decision])


def prize_audit(actor: User, prize: Prize) -> list[AuditEvent]:
    require_officer(actor, prize)
    entry_ids = {str(e.id) for e in prize.entries}
    assignment_ids = {str(a) for a in db_session.scalars(select(Assignment.id).where(Assignment.prize_id == prize.id))}
    events = db_session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.like("prize%"), AuditEvent.council_id == prize.council_id)
        .order_by(AuditEvent.id.desc())
        .limit(2000)
    )
    out = []
    for event in events:
        if (
            (event.target_type == "Prize" and event.target_id == str(prize.id))
            or (event.target_type == "Entry" and event.target_id in entry_ids)
            or (event.target_type == "Assignment" and event.target_id in assignment_ids)
            or (
                event.target_type == "Assignment"
                and event.detail.get("entry") is not None
                and str(event.detail.get("entry")) in entry_ids
            )
        ):
            out.append(event)
    return out


def users_by_id(ids: set[int]) -> list[User]:
    return list(db_session.scalars(select(User).where(User.id.in_(ids)))) if ids else []


def csv_cell(value: Any) -> str:
    """A CSV cell as text that no spreadsheet will run as a formula."""
    return safe_cell("" if value is None else str(value))


def export_scores_csv(actor: User, prize: Prize) -> str:
    require_officer(actor, prize)
    audit("prizes.export_scores", actor=actor, council_id=prize.council_id, target=prize)
    db_session.commit()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["entry_id", "entry_title", "team", "judge", "criterion", "weight", "score", "comment", "updated"])
    for assignment in prize_assignments(prize):
        for score in sorted(assignment.scores, key=lambda s: s.criterion.position):
            writer.writerow(
                [
                    csv_cell(v)
                    for v in (
                        assignment.entry_id,
                        assignment.entry.title,
                        assignment.entry.team.name,
                        assignment.judge.name or assignment.judge.email,
                        score.criterion.name,
                        f"{score.criterion.weight:g}",
                        score.value,
                        score.comment,
                        format_london(score.updated_at),
                    )
                ]
            )
    return out.getvalue()


def request_grouping(actor: User, prize: Prize) -> None:
    """Queue the theme pipeline over the prize's entries (solution themes, near-duplicates, consultation themes)."""
    from engage.jobs import enqueue_after_commit

    require_officer(actor, prize)
    if not submitted_entries(prize):
        raise ServiceError("There are no submitted entries to group yet", field=None)
    prize.grouping_status = "queued"
    prize.grouping_error = ""
    audit("prizes.group_request", actor=actor, council_id=prize.council_id, target=prize)
    enqueue_after_commit(db_session, "prizes.group_entries", prize.id)
    db_session.commit()
