"""Responses as CSV and XLSX: one row per response, one column per question, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from engage import LONDON
from engage.consultations import services
from engage.db import session as db_session
from engage.exports import safe_cell
from engage.models.consultations import (
    RESPONDENT_TYPE_LABELS,
    Consultation,
    QuestionKind,
    Response,
    ResponseStatus,
)
from engage.services import ServiceError, require_role

HIDDEN_LABEL = "[hidden by moderator]"
META_COLUMNS = ["Reference", "Submitted", "Source", "Status", "Responding as", "Organisation", "Ward", "Postcode"]


def header(consultation: Consultation) -> list[str]:
    columns = list(META_COLUMNS)
    if consultation.ask_equality:
        columns += [label for _key, label, _options in services.EQUALITY_QUESTIONS]
    columns += [f"{q.code}: {q.text}" for q in consultation.questions]
    return columns


def rows(consultation: Consultation, redacted: bool) -> list[list[Any]]:
    responses = db_session.scalars(
        select(Response)
        .where(Response.consultation_id == consultation.id, Response.status != ResponseStatus.WITHDRAWN)
        .options(selectinload(Response.answers))
        .order_by(Response.submitted_at, Response.id)
    )
    table = []
    for response in responses:
        by_question = {a.question_id: a for a in response.answers}
        postcode = response.postcode.split(" ")[0] if redacted else response.postcode
        row: list[Any] = [
            response.reference,
            response.submitted_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M"),
            response.source.value,
            response.status.value,
            RESPONDENT_TYPE_LABELS[response.respondent_type],
            response.organisation,
            response.ward,
            postcode,
        ]
        if consultation.ask_equality:
            row += [(response.equality or {}).get(key, "") for key, _label, _options in services.EQUALITY_QUESTIONS]
        for question in consultation.questions:
            answer = by_question.get(question.id)
            if answer is None:
                row.append("")
            elif question.kind == QuestionKind.FREE_TEXT:
                if redacted:
                    row.append(HIDDEN_LABEL if answer.hidden else answer.redacted_text)
                else:
                    row.append(answer.text)
            elif question.kind == QuestionKind.LOCATION:
                place = answer.redacted_text if redacted else answer.text
                row.append(", ".join(p for p in [*(answer.choices or []), place] if p))
            else:
                row.append("; ".join(question.label_for(v) for v in answer.choices or []))
        table.append([safe_cell(cell) for cell in row])
    return table


def export(user: Any, consultation: Consultation, file_format: str, original: bool = False) -> tuple[bytes, str, str]:
    """(file bytes, mimetype, filename). Redacted unless `original`, which only officers and admins may have."""
    require_role(user, consultation.council_id, *services.EXPORT_ROLES)
    if original:
        require_role(user, consultation.council_id, *services.OFFICER_ROLES)
    if file_format not in ("csv", "xlsx"):
        raise ServiceError("Choose CSV or XLSX", "file_format")
    head = [safe_cell(h) for h in header(consultation)]
    body = rows(consultation, redacted=not original)
    stem = f"{consultation.slug}-responses{'-original' if original else ''}"
    if file_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(head)
        writer.writerows(body)
        data = ("\ufeff" + buffer.getvalue()).encode("utf-8")
        mimetype = "text/csv"
    else:
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Responses"
        sheet.append(head)
        for row in body:
            sheet.append(row)
        for row in sheet.iter_rows():
            for cell in row:
                cell.data_type = "s" if isinstance(cell.value, str) else cell.data_type
        out = io.BytesIO()
        workbook.save(out)
        data = out.getvalue()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    services.record_export(user, consultation, file_format, not original, len(body))
    return data, mimetype, f"{stem}.{file_format}"
