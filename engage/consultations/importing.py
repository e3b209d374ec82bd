"""Import paper and emailed responses from a CSV: one row per response, one column per question, all or nothing."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, field
from typing import Any

from engage.consultations import services
from engage.db import session as db_session
from engage.db import utcnow
from engage.models.consultations import (
    RESPONDENT_TYPE_LABELS,
    Consultation,
    ConsultationStatus,
    Question,
    QuestionKind,
    RespondentType,
    Response,
    ResponseSource,
)
from engage.services import ServiceError, audit, require_role

IGNORED_COLUMNS = {"reference", "submitted", "source", "status"}
ABOUT_COLUMNS = {"responding as": "respondent_type", "organisation": "organisation"}


@dataclass
class RowProblem:
    row: int  # the spreadsheet row number (the header is row 1)
    column: str
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def template_csv(consultation: Consultation) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["Responding as", "Organisation", *[q.code for q in consultation.questions]])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _match_columns(consultation: Consultation, names: list[str]) -> tuple[dict[int, Any], list[str]]:
    """Map column index -> Question or about-you key; return unknown column names."""
    by_code = {q.code.lower(): q for q in consultation.questions}
    by_text = {q.text.strip().lower(): q for q in consultation.questions}
    by_export = {f"{q.code}: {q.text}".strip().lower(): q for q in consultation.questions}
    mapping: dict[int, Any] = {}
    unknown = []
    for index, name in enumerate(names):
        key = (name or "").strip().lower()
        if not key or key in IGNORED_COLUMNS:
            continue
        target = by_code.get(key) or by_export.get(key) or by_text.get(key) or ABOUT_COLUMNS.get(key)
        if target is None and key in ("ward", "postcode"):
            continue  # exported copies of the location answer
        if target is None:
            unknown.append(name)
        elif target in mapping.values():
            unknown.append(f"{name} (a second column for the same question)")
        else:
            mapping[index] = target
    return mapping, unknown


def _choices_from_cell(question: Question, cell: str) -> tuple[str, list[str]]:
    """Turn a cell into (text, stored choice values); labels and stored values are both accepted, any case."""
    if question.kind == QuestionKind.FREE_TEXT:
        return cell, []
    if question.kind == QuestionKind.LOCATION:
        # "Ward", "postcode", or "Ward, postcode" as exported.
        wards = {w.lower(): w for w in question.consultation.wards}
        parts = [p.strip() for p in cell.split(",") if p.strip()]
        ward = next((wards[p.lower()] for p in parts if p.lower() in wards), None)
        rest = ", ".join(p for p in parts if p.lower() not in wards)
        return rest, [ward] if ward else []
    lookup = {}
    for value, label in question.choice_items():
        lookup[value.lower()] = value
        lookup[label.lower()] = value
    parts = [p.strip() for p in cell.split(";")] if question.kind == QuestionKind.MULTI_CHOICE else [cell.strip()]
    return "", [lookup.get(p.lower(), p) for p in parts if p]


def _respondent_type(cell: str) -> str | None:
    key = cell.strip().lower()
    if not key:
        return RespondentType.NOT_SAID.value
    for kind, label in RESPONDENT_TYPE_LABELS.items():
        if key in (kind.value, label.lower(), label.lower().removeprefix("a ").removeprefix("an ")):
            return kind.value
    return None


def import_csv(user: Any, consultation: Consultation, data: bytes, *, commit: bool = True) -> ImportReport:
    """Check every row; store them all as imported responses only if every row is valid."""
    require_role(user, consultation.council_id, *services.OFFICER_ROLES)
    status = services.sync_status(consultation)
    if status in (ConsultationStatus.DRAFT, ConsultationStatus.PUBLISHED):
        raise ServiceError(
            "Responses can be imported once the consultation is scheduled or open, and until results are published",
            "file",
        )
    if not data:
        raise ServiceError("The selected file is empty", "file")
    if len(data) > services.IMPORT_MAX_BYTES:
        raise ServiceError("The selected file must be smaller than 5MB", "file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ServiceError("The selected file must be a CSV saved as UTF-8", "file") from exc
    if "\x00" in text:
        raise ServiceError("The selected file must be a CSV", "file")
    try:
        table = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ServiceError("The selected file could not be read as a CSV", "file") from exc
    if not table or not any(cell.strip() for cell in table[0]):
        raise ServiceError("The selected file must have a header row naming the questions", "file")
    if len(table) - 1 > services.IMPORT_MAX_ROWS:
        raise ServiceError(f"The selected file can have up to {services.IMPORT_MAX_ROWS:,} rows", "file")
    mapping, unknown = _match_columns(consultation, table[0])
    report = ImportReport()
    for name in unknown:
        report.problems.append(RowProblem(1, name, "This column does not match a question code or question"))
    if not any(isinstance(t, Question) for t in mapping.values()):
        report.problems.append(RowProblem(1, "", "No column matches a question: use the question codes as headers"))
    cleaned_rows = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        report.rows += 1
        if len(cells) > len(table[0]):
            report.problems.append(RowProblem(number, "", "This row has more cells than the header"))
            continue
        answers: dict[str, dict[str, Any]] = {}
        about = {"respondent_type": RespondentType.NOT_SAID.value, "organisation": ""}
        for index, target in mapping.items():
            cell = cells[index] if index < len(cells) else ""
            if target == "respondent_type":
                kind = _respondent_type(cell)
                if kind is None:
                    report.problems.append(
                        RowProblem(
                            number,
                            table[0][index],
                            "Must be resident, business, community group, organisation or prefer not to say",
                        )
                    )
                else:
                    about["respondent_type"] = kind
                continue
            if target == "organisation":
                about["organisation"] = cell.strip()[:200]
                continue
            question: Question = target
            if not cell.strip():
                continue
            text, choices = _choices_from_cell(question, cell)
            try:
                answer = services.clean_answer(question, consultation.wards, text, choices, enforce_required=False)
            except ServiceError as exc:
                report.problems.append(RowProblem(number, question.code, exc.message))
                continue
            if not answer.empty:
                answers[str(question.id)] = answer.as_dict()
        if not answers:
            report.problems.append(RowProblem(number, "", "This row has no answers"))
        cleaned_rows.append((answers, about))
    if report.problems:
        return report
    now = utcnow()
    for answers, about in cleaned_rows:
        response = Response(
            consultation_id=consultation.id,
            reference=services.new_reference(),
            idempotency_key="import-" + secrets.token_urlsafe(24),
            source=ResponseSource.IMPORTED,
            submitted_at=now,
            imported_by_id=user.id,
        )
        services.fill_response(response, consultation, answers, about)
        db_session.add(response)
    report.imported = len(cleaned_rows)
    audit(
        "responses.imported", actor=user, council_id=consultation.council_id, target=consultation, rows=report.imported
    )
    if commit:
        db_session.commit()
    return report
