"""Consultation pages: residents answer at /c/<council>/consultations/..., officers run them under /manage."""

from __future__ import annotations

import json

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user, login_required

from engage.consultations import bp, exporting, importing
from engage.consultations import forms as f
from engage.consultations import services as svc
from engage.db import session as db_session
from engage.extensions import limiter
from engage.markdown import render_markdown
from engage.models.consultations import (
    AGREEMENT_SCALE,
    IDENTITY_LABELS,
    KIND_LABELS,
    RESPONDENT_TYPE_LABELS,
    STATUS_LABELS,
    SUPPORT_OPPOSE_SCALE,
    TOPIC_LABELS,
    ConsultationStatus,
    IdentityMode,
    QuestionKind,
    Topic,
)
from engage.services import ServiceError

DRAFTS_KEY = "consultation_drafts"


def _submit_limit() -> str:
    return current_app.config.get("CONSULTATION_SUBMIT_LIMIT", "30 per minute")


def _link_limit() -> str:
    return current_app.config.get("CONSULTATION_EMAIL_LIMIT", "5 per minute;20 per hour")


def _field_error(form, exc: ServiceError, default: str) -> None:  # type: ignore[no-untyped-def]
    field = getattr(form, exc.field or default, None) or getattr(form, default)
    field.errors = [*field.errors, exc.message] if isinstance(field.errors, list) else [exc.message]


def _council(slug: str):  # type: ignore[no-untyped-def]
    council = svc.council_by_slug(slug)
    if council is None:
        abort(404)
    return council


def _external(endpoint: str, **values) -> str:  # type: ignore[no-untyped-def]
    return current_app.config["BASE_URL"] + url_for(endpoint, **values)


@bp.app_template_global()
def consultation_labels():  # type: ignore[no-untyped-def]
    return {
        "status": STATUS_LABELS,
        "topic": TOPIC_LABELS,
        "kind": KIND_LABELS,
        "identity": IDENTITY_LABELS,
        "respondent": RESPONDENT_TYPE_LABELS,
    }


bp.add_app_template_global(svc.retention_text, "retention_text")


# ================================================================= residents


def _resident(slug: str, consultation_id: int):  # type: ignore[no-untyped-def]
    """(council, consultation, preview): officers preview drafts; everyone else gets 404 for a draft."""
    council = _council(slug)
    consultation = svc.get_consultation(council, consultation_id)
    if consultation is None:
        abort(404)
    officer = svc.is_officer(current_user, council.id)
    if not svc.visible_to_public(consultation) and not officer:
        abort(404)
    status = svc.current_status(consultation)
    preview = status in (ConsultationStatus.DRAFT, ConsultationStatus.SCHEDULED) and officer
    return council, consultation, preview


def _accepting(consultation, preview: bool) -> bool:  # type: ignore[no-untyped-def]
    return preview or svc.current_status(consultation) == ConsultationStatus.OPEN


def _not_open(council, consultation):  # type: ignore[no-untyped-def]
    status = svc.current_status(consultation)
    return render_template(
        "consultations/not_open.html",
        council=council,
        current_council=council,
        consultation=consultation,
        status=status,
    ), 403


def _draft_token(consultation) -> str | None:  # type: ignore[no-untyped-def]
    return (session.get(DRAFTS_KEY) or {}).get(str(consultation.id))


def _remember_draft(consultation, token: str) -> None:  # type: ignore[no-untyped-def]
    drafts = dict(session.get(DRAFTS_KEY) or {})
    drafts[str(consultation.id)] = token
    session[DRAFTS_KEY] = drafts


def _forget_draft(consultation) -> None:  # type: ignore[no-untyped-def]
    drafts = dict(session.get(DRAFTS_KEY) or {})
    drafts.pop(str(consultation.id), None)
    session[DRAFTS_KEY] = drafts


def _draft(consultation, create: bool = False):  # type: ignore[no-untyped-def]
    draft = svc.find_draft(consultation, _draft_token(consultation))
    if draft is None and create:
        draft, token = svc.new_draft(consultation)
        _remember_draft(consultation, token)
    return draft


def _needs_verification(consultation, draft) -> bool:  # type: ignore[no-untyped-def]
    return consultation.identity_mode == IdentityMode.VERIFIED_EMAIL and (draft is None or not draft.email_hash)


def _resident_step(slug: str, consultation_id: int, asks: str | None = None):  # type: ignore[no-untyped-def]
    """The start of every page a resident answers on: the consultation takes answers (and asks this step, when `asks`
    names the setting), the resident has a draft, and a verified consultation has their email address first.
    Returns (council, consultation, preview, draft); otherwise ends the request with the page to show instead."""
    council, consultation, preview = _resident(slug, consultation_id)
    if not _accepting(consultation, preview):
        abort(make_response(_not_open(council, consultation)))
    if asks and not getattr(consultation, asks):
        abort(404)
    draft = _draft(consultation, create=True)
    db_session.commit()
    if _needs_verification(consultation, draft) and not preview:
        abort(redirect(url_for("consultations.verify", slug=slug, consultation_id=consultation_id)))
    return council, consultation, preview, draft


def _step_url(council, consultation, step: str | None, back_to_check: bool = False) -> str:  # type: ignore[no-untyped-def]
    if step is None:
        return url_for("consultations.check", slug=council.slug, consultation_id=consultation.id)
    extra = {"change": 1} if back_to_check else {}
    if step.startswith("q"):
        return url_for(
            "consultations.question", slug=council.slug, consultation_id=consultation.id, number=int(step[1:]), **extra
        )
    return url_for(f"consultations.{step}", slug=council.slug, consultation_id=consultation.id, **extra)


def _after_step(council, consultation, step: str) -> str:  # type: ignore[no-untyped-def]
    if request.args.get("change"):
        return _step_url(council, consultation, None)
    return _step_url(council, consultation, svc.next_step(consultation, step))


def _back_url(council, consultation, step: str) -> str:  # type: ignore[no-untyped-def]
    if request.args.get("change"):
        return _step_url(council, consultation, None)
    previous = svc.previous_step(consultation, step)
    if previous is None:
        return url_for("consultations.view", slug=council.slug, consultation_id=consultation.id)
    return _step_url(council, consultation, previous)


@bp.route("/c/<slug>/consultations/<int:consultation_id>")
def view(slug: str, consultation_id: int):
    council, consultation, preview = _resident(slug, consultation_id)
    status = svc.current_status(consultation)
    published = status == ConsultationStatus.PUBLISHED
    return render_template(
        "consultations/view.html",
        council=council,
        current_council=council,
        consultation=consultation,
        status=status,
        preview=preview,
        proposal=render_markdown(consultation.proposal),
        results=render_markdown(consultation.results_summary) if published else None,
        tallies=svc.tallies(consultation) if published else {},
        count=svc.response_count(consultation) if published else None,
        has_draft=_draft(consultation) is not None,
    )


@bp.route("/c/<slug>/consultations/<int:consultation_id>/privacy")
def privacy(slug: str, consultation_id: int):
    council, consultation, _preview = _resident(slug, consultation_id)
    return render_template(
        "consultations/privacy.html",
        council=council,
        current_council=council,
        consultation=consultation,
        extra=render_markdown(consultation.privacy_extra),
    )


@bp.route("/c/<slug>/consultations/<int:consultation_id>/documents/<int:document_id>")
def document(slug: str, consultation_id: int, document_id: int):
    council = _council(slug)
    consultation = svc.get_consultation(council, consultation_id)
    if consultation is None:
        abort(404)
    found = svc.document_for(current_user, consultation, document_id)
    if found is None:
        abort(404)
    doc, path = found
    response = send_file(path, mimetype=doc.content_type, as_attachment=True, download_name=doc.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/c/<slug>/consultations/<int:consultation_id>/start", methods=["GET", "POST"])
def start(slug: str, consultation_id: int):
    council, consultation, _preview, _unused = _resident_step(slug, consultation_id)
    first = (svc.steps(consultation) or [None])[0]
    return redirect(_step_url(council, consultation, first))


@bp.route("/c/<slug>/consultations/<int:consultation_id>/verify", methods=["GET", "POST"])
@limiter.limit(_link_limit, methods=["POST"])
def verify(slug: str, consultation_id: int):
    council, consultation, preview = _resident(slug, consultation_id)
    if not _accepting(consultation, preview):
        return _not_open(council, consultation)
    if consultation.identity_mode != IdentityMode.VERIFIED_EMAIL:
        abort(404)
    form = f.EmailForm()
    if form.validate_on_submit():
        email = form.email.data.strip()
        token = svc.make_verify_token(consultation, email)
        svc.send_verify_link(
            consultation,
            email,
            _external("consultations.verified", slug=slug, consultation_id=consultation_id, token=token),
        )
        db_session.commit()
        return render_template(
            "consultations/link_sent.html",
            council=council,
            current_council=council,
            consultation=consultation,
            email=email,
            purpose="verify",
        )
    return render_template(
        "consultations/verify.html", council=council, current_council=council, consultation=consultation, form=form
    ), 400 if form.errors else 200


@bp.route("/c/<slug>/consultations/<int:consultation_id>/verify/<token>", methods=["GET", "POST"])
def verified(slug: str, consultation_id: int, token: str):
    """GET shows a button (so email scanners that fetch links do not use them up); POST uses the link."""
    council, consultation, preview = _resident(slug, consultation_id)
    if not _accepting(consultation, preview):
        return _not_open(council, consultation)
    form = f.ActionForm()
    error = None
    if form.validate_on_submit():
        try:
            hashed = svc.use_verify_token(consultation, token)
        except ServiceError as exc:
            error = exc.message
        else:
            draft, new_token = svc.new_draft(consultation)
            _remember_draft(consultation, new_token)
            existing = svc.existing_verified_response(consultation, hashed)
            if existing is not None:
                svc.draft_from_response(consultation, existing, draft)
            else:
                draft.email_hash = hashed
            db_session.commit()
            if existing is not None:
                flash(
                    "Your email address is confirmed. Here are your answers: you can change them and submit again.",
                    "success",
                )
                return redirect(url_for("consultations.check", slug=slug, consultation_id=consultation_id))
            flash("Your email address is confirmed", "success")
            first = (svc.steps(consultation) or [None])[0]
            return redirect(_step_url(council, consultation, first))
    return render_template(
        "consultations/verified.html",
        council=council,
        current_council=council,
        consultation=consultation,
        form=form,
        error=error,
    ), 400 if error else 200


@bp.route("/c/<slug>/consultations/<int:consultation_id>/q/<int:number>", methods=["GET", "POST"])
def question(slug: str, consultation_id: int, number: int):
    council, consultation, preview, draft = _resident_step(slug, consultation_id)
    q = next((q for q in consultation.questions if q.position == number), None)
    if q is None:
        abort(404)
    stored = (draft.answers or {}).get(str(q.id))
    step = f"q{number}"
    if request.method == "POST":
        form = f.answer_form(q, consultation.wards, formdata=request.form)
        if form.validate() and form.question_id.data == str(q.id):
            # "Save and come back later" keeps what is there, even if a required answer is still empty.
            required = not request.form.get("save_and_return")
            try:
                if q.kind == QuestionKind.LOCATION:
                    answer = svc.clean_answer(
                        q,
                        consultation.wards,
                        form.postcode.data,
                        [form.ward.data] if form.ward.data else [],
                        enforce_required=required,
                    )
                elif q.kind == QuestionKind.MULTI_CHOICE:
                    answer = svc.clean_answer(
                        q, consultation.wards, None, form.answer.data or [], enforce_required=required
                    )
                elif q.kind == QuestionKind.FREE_TEXT:
                    answer = svc.clean_answer(q, consultation.wards, form.answer.data or "", enforce_required=required)
                else:
                    answer = svc.clean_answer(
                        q,
                        consultation.wards,
                        None,
                        [form.answer.data] if form.answer.data else [],
                        enforce_required=required,
                    )
            except ServiceError as exc:
                _field_error(form, exc, "ward" if q.kind == QuestionKind.LOCATION else "answer")
            else:
                svc.save_answer(draft, q, answer)
                db_session.commit()
                if request.form.get("save_and_return"):
                    return redirect(url_for("consultations.save", slug=slug, consultation_id=consultation_id))
                return redirect(_after_step(council, consultation, step))
        elif form.question_id.data != str(q.id):
            abort(400)
    else:
        form = f.answer_form(q, consultation.wards, stored=stored)
    return render_template(
        "consultations/question.html",
        council=council,
        current_council=council,
        consultation=consultation,
        question=q,
        form=form,
        preview=preview,
        back_url=_back_url(council, consultation, step),
        total=len(consultation.questions),
        stance_question=q.stance_question,
        stance_answer=svc.answer_summary(q.stance_question, (draft.answers or {}).get(str(q.stance_question_id)))
        if q.stance_question_id
        else "",
    ), 400 if form.errors else 200


@bp.route("/c/<slug>/consultations/<int:consultation_id>/about-you", methods=["GET", "POST"], endpoint="about")
def about(slug: str, consultation_id: int):
    council, consultation, preview, draft = _resident_step(slug, consultation_id, asks="ask_about_you")
    if request.method == "POST":
        form = f.AboutYouForm()
        if form.validate_on_submit():
            try:
                about_data = svc.clean_about(consultation, form.respondent_type.data, form.organisation.data)
            except ServiceError as exc:
                _field_error(form, exc, "respondent_type")
            else:
                svc.save_about(draft, about_data)
                db_session.commit()
                return redirect(_after_step(council, consultation, "about"))
    else:
        form = f.AboutYouForm(data=draft.about or {})
        db_session.commit()
    return render_template(
        "consultations/about.html",
        council=council,
        current_council=council,
        consultation=consultation,
        form=form,
        preview=preview,
        back_url=_back_url(council, consultation, "about"),
    ), 400 if form.errors else 200


@bp.route("/c/<slug>/consultations/<int:consultation_id>/equality", methods=["GET", "POST"])
def equality(slug: str, consultation_id: int):
    council, consultation, preview, draft = _resident_step(slug, consultation_id, asks="ask_equality")
    if request.method == "POST":
        form = f.equality_form(formdata=request.form)
        if form.validate():
            values = {key: getattr(form, key).data for key, _l, _o in svc.EQUALITY_QUESTIONS}
            try:
                cleaned = svc.clean_equality(values)
            except ServiceError as exc:
                _field_error(form, exc, "age")
            else:
                svc.save_equality(draft, cleaned)
                db_session.commit()
                return redirect(_after_step(council, consultation, "equality"))
    else:
        form = f.equality_form(stored=draft.equality or {})
        db_session.commit()
    return render_template(
        "consultations/equality.html",
        council=council,
        current_council=council,
        consultation=consultation,
        form=form,
        preview=preview,
        back_url=_back_url(council, consultation, "equality"),
        equality_questions=svc.EQUALITY_QUESTIONS,
    ), 400 if form.errors else 200


def _check_rows(council, consultation, draft):  # type: ignore[no-untyped-def]
    answers = draft.answers or {} if draft else {}
    rows = []
    for q in consultation.questions:
        rows.append(
            {
                "key": q.text,
                "value": svc.answer_summary(q, answers.get(str(q.id))) or "Not answered",
                "href": _step_url(council, consultation, f"q{q.position}", back_to_check=True),
                "id": f"q{q.position}",
            }
        )
    if consultation.ask_about_you:
        about_data = (draft.about or {}) if draft else {}
        value = RESPONDENT_TYPE_LABELS.get(about_data.get("respondent_type"), "Not answered")  # type: ignore[call-overload]
        if about_data.get("organisation"):
            value = f"{value}: {about_data['organisation']}"
        rows.append(
            {
                "key": "Responding as",
                "value": value,
                "href": _step_url(council, consultation, "about", back_to_check=True),
                "id": "about",
            }
        )
    if consultation.ask_equality:
        eq = (draft.equality or {}) if draft else {}
        for key, label, _options in svc.EQUALITY_QUESTIONS:
            rows.append(
                {
                    "key": label,
                    "value": eq.get(key) or "Not answered",
                    "href": _step_url(council, consultation, "equality", back_to_check=True),
                    "id": key,
                }
            )
    return rows


@bp.route("/c/<slug>/consultations/<int:consultation_id>/check", methods=["GET", "POST"])
@limiter.limit(_submit_limit, methods=["POST"])
def check(slug: str, consultation_id: int):
    council, consultation, preview = _resident(slug, consultation_id)
    draft = _draft(consultation)
    form = f.SubmitResponseForm()
    errors: list[dict[str, str]] = []
    if request.method == "POST" and not preview:
        if not form.validate_on_submit():
            abort(400)
        try:
            response = svc.submit(consultation, draft, form.idempotency_key.data or "")
        except svc.ConsultationNotOpen:
            return _not_open(council, consultation)
        except ServiceError as exc:
            href = "#"
            if exc.field and exc.field.startswith("q") and exc.field[1:].isdigit():
                href = _step_url(council, consultation, exc.field, back_to_check=True)
            errors.append({"text": exc.message, "href": href})
            db_session.rollback()
            draft = _draft(consultation)
        else:
            _forget_draft(consultation)
            confirmed = dict(session.get("consultation_confirmed") or {})
            confirmed[str(consultation.id)] = response.reference
            session["consultation_confirmed"] = confirmed
            return redirect(url_for("consultations.confirmation", slug=slug, consultation_id=consultation_id))
    if not _accepting(consultation, preview):
        return _not_open(council, consultation)
    if draft is None:
        return redirect(url_for("consultations.view", slug=slug, consultation_id=consultation_id))
    if _needs_verification(consultation, draft) and not preview:
        return redirect(url_for("consultations.verify", slug=slug, consultation_id=consultation_id))
    form.idempotency_key.data = svc.prepare_check(draft)
    changing = svc.existing_verified_response(consultation, draft.email_hash) is not None
    db_session.commit()
    return render_template(
        "consultations/check.html",
        council=council,
        current_council=council,
        consultation=consultation,
        rows=_check_rows(council, consultation, draft),
        form=form,
        errors=errors,
        preview=preview,
        changing=changing,
    ), 400 if errors else 200


@bp.route("/c/<slug>/consultations/<int:consultation_id>/confirmation")
def confirmation(slug: str, consultation_id: int):
    council, consultation, _preview = _resident(slug, consultation_id)
    reference = (session.get("consultation_confirmed") or {}).get(str(consultation.id))
    if not reference:
        return redirect(url_for("consultations.view", slug=slug, consultation_id=consultation_id))
    return render_template(
        "consultations/confirmation.html",
        council=council,
        current_council=council,
        consultation=consultation,
        reference=reference,
        verified=consultation.identity_mode == IdentityMode.VERIFIED_EMAIL,
    )


@bp.route("/c/<slug>/consultations/<int:consultation_id>/save", methods=["GET", "POST"])
@limiter.limit(_link_limit, methods=["POST"])
def save(slug: str, consultation_id: int):
    council, consultation, preview = _resident(slug, consultation_id)
    if not _accepting(consultation, preview):
        return _not_open(council, consultation)
    draft = _draft(consultation)
    if draft is None:
        return redirect(url_for("consultations.view", slug=slug, consultation_id=consultation_id))
    form = f.EmailForm()
    if form.validate_on_submit():
        email = form.email.data.strip()
        svc.start_resume(
            draft,
            email,
            lambda token: _external("consultations.resume", slug=slug, consultation_id=consultation_id, token=token),
        )
        db_session.commit()
        return render_template(
            "consultations/link_sent.html",
            council=council,
            current_council=council,
            consultation=consultation,
            email=email,
            purpose="save",
        )
    return render_template(
        "consultations/save.html", council=council, current_council=council, consultation=consultation, form=form
    ), 400 if form.errors else 200


@bp.route("/c/<slug>/consultations/<int:consultation_id>/resume/<token>")
def resume(slug: str, consultation_id: int, token: str):
    council, consultation, preview = _resident(slug, consultation_id)
    if not _accepting(consultation, preview):
        return _not_open(council, consultation)
    draft = svc.find_resume(consultation, token)
    if draft is None:
        return render_template(
            "consultations/link_invalid.html", council=council, current_council=council, consultation=consultation
        ), 404
    _remember_draft(consultation, svc.adopt_draft(draft))
    db_session.commit()
    flash("Welcome back. Your answers so far are below.", "success")
    return redirect(url_for("consultations.check", slug=slug, consultation_id=consultation_id))


@bp.route("/c/<slug>/consultations/<int:consultation_id>/withdraw", methods=["GET", "POST"])
def withdraw(slug: str, consultation_id: int):
    council, consultation, _preview = _resident(slug, consultation_id)
    if svc.current_status(consultation) != ConsultationStatus.OPEN:
        return _not_open(council, consultation)
    draft = _draft(consultation)
    response = svc.existing_verified_response(consultation, draft.email_hash if draft else None)
    if response is None:
        flash("To withdraw your response, confirm your email address first.")
        return redirect(url_for("consultations.verify", slug=slug, consultation_id=consultation_id))
    form = f.WithdrawForm()
    if form.validate_on_submit():
        svc.withdraw(consultation, draft)
        _forget_draft(consultation)
        return render_template(
            "consultations/withdrawn.html",
            council=council,
            current_council=council,
            consultation=consultation,
            reference=response.reference,
        )
    return render_template(
        "consultations/withdraw.html",
        council=council,
        current_council=council,
        consultation=consultation,
        form=form,
        reference=response.reference,
    ), 400 if form.errors else 200


@bp.route("/c/<slug>/consultations/<int:consultation_id>/my-response.json")
def copy(slug: str, consultation_id: int):
    """A verified resident's copy of everything kept about their response (they confirm their email first)."""
    council, consultation, _preview = _resident(slug, consultation_id)
    draft = _draft(consultation)
    response = svc.existing_verified_response(consultation, draft.email_hash if draft else None)
    if response is None:
        flash("To get a copy of your response, confirm your email address first.")
        return redirect(url_for("consultations.verify", slug=slug, consultation_id=consultation_id))
    body = json.dumps(svc.copy_of_response(consultation, response), indent=2, ensure_ascii=False)
    return current_app.response_class(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{response.reference}.json"',
            "Cache-Control": "no-store",
        },
    )


# ================================================================= officers


def _officer(slug: str, consultation_id: int):  # type: ignore[no-untyped-def]
    council = _council(slug)
    consultation = svc.get_for_officer(current_user, council, consultation_id)
    if consultation is None:
        abort(404)
    return council, consultation


def _consultation_data(form: f.ConsultationForm) -> svc.ConsultationData:
    return svc.ConsultationData(
        title=form.title.data.strip(),
        summary=(form.summary.data or "").strip(),
        proposal=(form.proposal.data or "").strip(),
        topic=Topic(form.topic.data),
        opens_at=f.london_datetime(form.opens_on.data, form.opens_time.data),
        closes_at=f.london_datetime(form.closes_on.data, form.closes_time.data or "23:59"),
        identity_mode=IdentityMode(form.identity_mode.data),
        wards=svc.parse_wards(form.wards.data or ""),
        retention_months=form.retention_months.data,
        retention_action=form.retention_action.data or "",
        ask_about_you=bool(form.ask_about_you.data),
        ask_equality=bool(form.ask_equality.data),
        privacy_extra=(form.privacy_extra.data or "").strip(),
    )


@bp.route("/c/<slug>/manage/consultations")
@login_required
def manage_index(slug: str):
    council = _council(slug)
    items = svc.list_for_officer(current_user, council)
    db_session.commit()
    return render_template(
        "consultations/manage_index.html", council=council, current_council=council, consultations=items
    )


@bp.route("/c/<slug>/manage/consultations/new", methods=["GET", "POST"])
@login_required
def manage_new(slug: str):
    council = _council(slug)
    svc.require_role(current_user, council.id, *svc.OFFICER_ROLES)
    form = f.ConsultationForm()
    if form.validate_on_submit():
        try:
            consultation = svc.create_consultation(current_user, council, _consultation_data(form))
        except ServiceError as exc:
            _field_error(form, exc, "title")
        else:
            db_session.commit()
            flash("Consultation created. Now add its questions.", "success")
            return redirect(url_for("consultations.manage", slug=slug, consultation_id=consultation.id))
    return render_template(
        "consultations/manage_form.html", council=council, current_council=council, form=form, consultation=None
    ), 400 if form.errors else 200


@bp.route("/c/<slug>/manage/consultations/<int:consultation_id>")
@login_required
def manage(slug: str, consultation_id: int):
    council, consultation = _officer(slug, consultation_id)
    db_session.commit()
    return render_template(
        "consultations/manage.html",
        council=council,
        current_council=council,
        consultation=consultation,
        status=consultation.status,
        count=svc.response_count(consultation),
        answered=svc.has_responses(consultation),
        exports=svc.exports_for(current_user, consultation)[:10],
        wording_changes=svc.wording_changes(consultation),
        action_form=f.ActionForm(),
    )


@bp.route("/c/<slug>/manage/consultations/<int:consultation_id>/edit", methods=["GET", "POST"])
@login_required
def manage_edit(slug: str, consultation_id: int):
    council, consultation = _officer(slug, consultation_id)
    if request.method == "POST":
        form = f.ConsultationForm()
    else:
        form = f.ConsultationForm(
            data={
                "title": consultation.title,
                "summary": consultation.summary,
                "proposal": consultation.proposal,
                "topic": consultation.topic.value,
                "identity_mode": consultation.identity_mode.value,
                "wards": "\n".join(consultation.wards or []),
                "opens_on": consultation.opens_at.astimezone(f.LONDON).date() if consultation.opens_at else None,
                "opens_time": consultation.opens_at.astimezone(f.LONDON).strftime("%H:%M")
                if consultation.opens_at
                else "",
                "closes_on": consultation.closes_at.astimezone(f.LONDON).date() if consultation.closes_at else None,
                "closes_time": consultation.closes_at.astimezone(f.LONDON).strftime("%H:%M")
                if consultation.closes_at
                else "",
                "retention_months": consultation.retention_months,
                "retention_action": consultation.retention_action,
                "ask_about_you": consultation.ask_about_you,
                "ask_equality": consultation.ask_equality,
                "privacy_extra": consultation.privacy_extra,
            }
        )
    if form.validate_on_submit():
        try:
            svc.update_consultation(current_user, consultation, _consultation_data(form))
        except ServiceError as exc:
            _field_error(form, exc, "title")
            db_session.rollback()
        else:
            db_session.commit()
            flash("Consultation saved", "success")
            return redirect(url_for("consultations.manage", slug=slug, consultation_id=consultation_id))
    return render_template(
        "consultations/manage_form.html", council=council, current_council=council, form=form, consultation=consultation
    ), 400 if form.errors else 200


@bp.route("/c/<slug>/manage/consultations/<int:consultation_id>/status", methods=["POST"])
@login_required
def manage_status(slug: str, consultation_id: int):
    council, consultation = _officer(slug, consultation_id)
    form = f.ActionForm()
    if not form.validate_on_submit():
        abort(400)
    action = request.form.get("action", "")
    actions = {"schedule": svc.schedule, "open": svc.open_now, "close": svc.close_now, "unschedule": svc.unschedule}
    if action not in actions:
        abort(400)
    try:
        actions[action](current_user, consultation)
    except ServiceError as exc:
        db_session.rollback()
        flash(exc.message, "error")
    else:
        db_session.commit()
        flash(
            {
                "schedule": "Consultation scheduled",
                "open": "Consultation opened",
                "close": "Consultation closed",
                "unschedule": "Consultation is a draft again",
            }[action],
            "success",
        )
    return redirect(url_for("consultations.manage", slug=slug, consultation_id=consultation_id))


@bp.route("/c/<slug>/manage/consultations/<int:consultation_id>/publish", methods=["GET", "POST"])
@login_required
def manage_publish(slug: str, consultation_id: int):
    council, consultation = _officer(slug, consultation_id)
    form = f.PublishForm(data={"summary": consultation.results_summary})
    if form.validate_on_submit():
        try:
            svc.publish(current_user, consultation, form.summary.data.strip())
        except ServiceError as exc:
            _field_error(form, exc, "summary")
            db_session.rollback()
        else:
            db_session.commit()
            flash("Results published", "success")
            return redirect(url_for("consultations.manage", slug=slug, consultation_id=consultation_id))
    return render_template(
        "consultations/manage_publish.html",
        council=council,
        current_council=council,
        consultation=consultation,
        form=form,
    ), 400 if form.errors else 200


def _question_data(form: f.QuestionForm) -> svc.QuestionData:
    return svc.QuestionData(
        kind=QuestionKind(form.kind.data),
        text=form.text.data.strip(),
        hint=(form.hint.data or "").strip(),
        required=bool(form.required.data),
        options=svc.parse_options(form.options.data or ""),
        char_limit=form.char_limit.data or 1500,
        why_text=(form.why_text.data or "").strip(),
    )


@bp.route("/c/<slug>/manage/consultations/<int:consultation_id>/questions/new", methods=["GET", "POST"])
@login_required
def manage_question_new(slug: str, consultation_id: int):
    council, consultation = _officer(slug, consultation_id)
    return _question_page(
        council, consultation, f.QuestionForm(), None, lambda data: svc.add_question(current_user, consultation, data)
    )


@bp.route("/c/<slug>/manage/consultations/<int:consultation_id>/questions/<int:question_id>", methods=["GET", "POST"])
@login_required
def manage_question(slug: str, consultation_id: int, question_id: int):
    council, consultation = _officer(slug, consultation_id)
    q = svc.get_question(consultation, question_id)
    if q is None:
        abort(404)
    if request.method == "POST":
        form = f.QuestionForm()
    else:
        form = f.QuestionForm(
            data={
                "kind": q.kind.value,
                "text": q.text,
                "hint": q.hint,
                "required": q.required,
                "options": "\n".join(q.options or []),
                "char_limit": q.char_limit,
            }
        )
    return _question_page(council, consultation, form, q, lambda data: svc.update_question(current_user, q, data))


def _question_page(council, consultation, form, question, save):  # type: ignore[no-untyped-def]
    """The add and edit question pages: save the form through `save`, or show it again with its errors."""
    if form.validate_on_submit():
        try:
            save(_question_data(form))
        except ServiceError as exc:
            _field_error(form, exc, "text")
            db_session.rollback()
        else:
            db_session.commit()
            flash("Question saved" if question else "Question added", "success")
            return redirect(
                url_for("consultations.manage", slug=council.slug, consultation_id=consultation.id, _anchor="questions")
            )
    return render_template(
        "consultations/manage_question.html",
        council=council,
        current_council=council,
        consultation=consultation,
        form=form,
        question=question,
    ), 400 if form.errors else 200


@bp.route("/c/<slug>/manage/consultations/<int:consultation_id>/questions/<int:question_id>/<action>", methods=["POST"])
@login_required
def manage_question_action(slug: str, consultation_id: int, question_id: int, action: str):
    council, consultation = _officer(slug, consultation_id)
    q = svc.get_question(consultation, question_id)
    if q is None or action not in ("up", "down", "delete"):
        abort(404)
    if not f.ActionForm().validate_on_submit():
        abort(400)
    try:
        if action == "delete":
            svc.delete_question(current_user, q)
        else:
            svc.move_question(current_user, q, action)
    except ServiceError as exc:
        db_session.rollback()
        flash(exc.message, "error")
    else:
        db_session.commit()
        flash("Question removed" if action == "delete" else "Question moved", "success")
    return redirect(url_for("consultations.manage", slug=slug, consultation_id=consultation_id, _anchor="questions"))


@bp.route("/c/<slug>/manage/consultations/<int:consultation_id>/documents", methods=["GET", "POST"])
@login_required
def manage_documents(slug: str, consultation_id: int):
    council, consultation = _officer(slug, consultation_id)
    form = f.DocumentForm()
    if form.validate_on_submit():
        upload = form.file.data
        if upload is None or not getattr(upload, "filename", ""):
            form.file.errors = ["Select a file"]
        else:
            try:
                svc.add_document(
                    current_user,
                    consultation,
                    form.title.data.strip(),
                    upload.filename,
                    upload.read(current_app.config.get("DOCUMENT_MAX_BYTES", svc.DEFAULT_DOCUMENT_MAX_BYTES) + 1),
                )
            except ServiceError as exc:
                _field_error(form, exc, "file")
                db_session.rollback()
            else:
                db_session.commit()
                flash("Document uploaded", "success")
                return redirect(url_for("consultations.manage_documents", slug=slug, consultation_id=consultation_id))
    return render_template(
        "consultations/manage_documents.html",
        council=council,
        current_council=council,
        consultation=consultation,
        form=form,
        action_form=f.ActionForm(),
    ), 400 if form.errors else 200


@bp.route("/c/<slug>/manage/consultations/<int:consultation_id>/documents/<int:document_id>/remove", methods=["POST"])
@login_required
def manage_document_remove(slug: str, consultation_id: int, document_id: int):
    council, consultation = _officer(slug, consultation_id)
    if not f.ActionForm().validate_on_submit():
        abort(400)
    doc = next((d for d in consultation.documents if d.id == document_id), None)
    if doc is None:
        abort(404)
    svc.remove_document(current_user, doc)
    db_session.commit()
    flash("Document removed", "success")
    return redirect(url_for("consultations.manage_documents", slug=slug, consultation_id=consultation_id))


@bp.route("/c/<slug>/manage/consultations/<int:consultation_id>/import", methods=["GET", "POST"])
@login_required
def manage_import(slug: str, consultation_id: int):
    council, consultation = _officer(slug, consultation_id)
    form = f.ImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        if upload is None or not getattr(upload, "filename", ""):
            form.file.errors = ["Select a CSV file"]
        else:
            try:
                report = importing.import_csv(current_user, consultation, upload.read(svc.IMPORT_MAX_BYTES + 1))
            except ServiceError as exc:
                db_session.rollback()
                _field_error(form, exc, "file")
            else:
                if report.ok:
                    flash(f"{report.imported} responses imported", "success")
                    return redirect(url_for("consultations.manage", slug=slug, consultation_id=consultation_id))
                db_session.rollback()
                form.file.errors = [
                    f"Nothing was imported: {len(report.problems)} problems were found. Fix them and "
                    "upload the file again."
                ]
    return render_template(
        "consultations/manage_import.html",
        council=council,
        current_council=council,
        consultation=consultation,
        form=form,
        report=report,
    ), 400 if form.errors else 200


@bp.route("/c/<slug>/manage/consultations/<int:consultation_id>/import-template.csv")
@login_required
def manage_import_template(slug: str, consultation_id: int):
    council, consultation = _officer(slug, consultation_id)
    response = current_app.response_class(importing.template_csv(consultation), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{consultation.slug}-import.csv"'
    return response


@bp.route("/c/<slug>/manage/consultations/<int:consultation_id>/export.<file_format>")
@login_required
def manage_export(slug: str, consultation_id: int, file_format: str):
    council = _council(slug)
    consultation = svc.get_consultation(council, consultation_id)
    if consultation is None or file_format not in ("csv", "xlsx"):
        abort(404)
    original = request.args.get("original") == "1"
    data, mimetype, filename = exporting.export(current_user, consultation, file_format, original=original)
    db_session.commit()
    response = current_app.response_class(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/c/<slug>/manage/consultations/<int:consultation_id>/responses")
@login_required
def manage_responses(slug: str, consultation_id: int):
    council, consultation = _officer(slug, consultation_id)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    responses = svc.responses_for_officer(current_user, consultation, page=page)
    return render_template(
        "consultations/manage_responses.html",
        council=council,
        current_council=council,
        consultation=consultation,
        responses=responses,
        page=page,
        count=svc.response_count(consultation),
        action_form=f.ActionForm(),
        questions={q.id: q for q in consultation.questions},
        log=svc.moderation_log(current_user, consultation)[:50],
    )


@bp.route("/c/<slug>/manage/consultations/<int:consultation_id>/answers/<int:answer_id>", methods=["GET", "POST"])
@login_required
def manage_answer(slug: str, consultation_id: int, answer_id: int):
    council, consultation = _officer(slug, consultation_id)
    answer = svc.answer_in(consultation, answer_id)
    if answer is None:
        abort(404)
    form = f.ModerateForm()
    if form.validate_on_submit():
        try:
            svc.moderate(current_user, consultation, answer_id, form.action.data, form.reason.data)
        except ServiceError as exc:
            _field_error(form, exc, "reason")
            db_session.rollback()
        else:
            db_session.commit()
            flash("Moderation recorded", "success")
            return redirect(url_for("consultations.manage_responses", slug=slug, consultation_id=consultation_id))
    svc.record_unredacted_view(current_user, consultation, answer=answer.id)
    return render_template(
        "consultations/manage_answer.html",
        council=council,
        current_council=council,
        consultation=consultation,
        answer=answer,
        form=form,
    ), 400 if form.errors else 200


@bp.route("/c/<slug>/manage/consultations/<int:consultation_id>/responses/<int:response_id>/<status>", methods=["POST"])
@login_required
def manage_mark(slug: str, consultation_id: int, response_id: int, status: str):
    council, consultation = _officer(slug, consultation_id)
    if not f.ActionForm().validate_on_submit():
        abort(400)
    try:
        svc.mark_response(current_user, consultation, response_id, status)
    except ServiceError as exc:
        db_session.rollback()
        flash(exc.message, "error")
    else:
        db_session.commit()
        flash("Response marked as a duplicate" if status == "duplicate" else "Response marked as valid", "success")
    return redirect(url_for("consultations.manage_responses", slug=slug, consultation_id=consultation_id))


# template helpers used by resident pages
@bp.app_template_global()
def consultation_scales():  # type: ignore[no-untyped-def]
    return {"agreement": AGREEMENT_SCALE, "support": SUPPORT_OPPOSE_SCALE}
