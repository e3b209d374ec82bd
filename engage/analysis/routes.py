import csv
import io
import math

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from engage.analysis import bp, services, summary
from engage.analysis.forms import (
    ConfirmForm,
    CreateThemeForm,
    MergeForm,
    MoveForm,
    RenameForm,
    SplitForm,
    StartRunForm,
    WhatWeDidForm,
)
from engage.exports import safe_cell
from engage.forms import select_choices
from engage.services import ServiceError

PER_PAGE = 25


def _consultation(consultation_id: int, roles=services.READERS):
    consultation = services.get_consultation(current_user, consultation_id, roles)
    if consultation is None:
        abort(404)
    return consultation


def _question(consultation, question_id: int):
    question = services.question_of(consultation, question_id)
    if question is None:
        abort(404)
    return question


def _theme(theme_id: int, roles=services.READERS):
    theme = services.get_theme(current_user, theme_id, roles)
    if theme is None or theme.merged_into_id is not None:
        abort(404)
    return theme


def _field_error(form, exc: ServiceError, default: str) -> None:
    field = getattr(form, exc.field or default, None) or getattr(form, default)
    field.errors = [*list(field.errors or []), exc.message]


def _context(consultation, **extra):
    council = services.council_of(consultation)
    return {
        "consultation": consultation,
        "council": council,
        "current_council": council,
        "is_analyst": services.may(current_user, consultation.council_id, services.ANALYSTS),
        "is_responder": services.may(current_user, consultation.council_id, services.RESPONDERS),
        **extra,
    }


# ---------------------------------------------------------------------------------------------- runs


@bp.route("/")
@login_required
def index():
    consultations = services.consultations_for(current_user)
    if not consultations and not services.may_see_any(current_user):
        abort(403)
    return render_template("analysis/index.html", consultations=consultations)


@bp.route("/consultations/<int:consultation_id>", methods=["GET", "POST"])
@login_required
def consultation(consultation_id: int):
    consultation = _consultation(consultation_id)
    ctx = _context(consultation)
    form = StartRunForm()
    questions = services.sources.free_text_questions(consultation)
    form.question.choices = select_choices(
        [("all", "Every free-text question")] + [(str(q.id), f"{q.code}: {q.text}") for q in questions]
    )
    if request.method == "POST":
        if not ctx["is_analyst"]:
            abort(403)
        if form.validate_on_submit():
            try:
                run = services.start_run(
                    current_user, consultation, None if form.question.data == "all" else int(form.question.data)
                )
            except ServiceError as exc:
                _field_error(form, exc, "question")
            else:
                return redirect(url_for("analysis.run", run_id=run.id))
    if not form.question.data:
        form.question.data = "all"
    return render_template(
        "analysis/consultation.html",
        form=form,
        runs=services.runs_for(consultation),
        active=services.active_run(consultation),
        summaries=summary.summarise(consultation, include_hidden=True),
        **ctx,
    ), 400 if form.errors else 200


@bp.route("/runs/<int:run_id>")
@login_required
def run(run_id: int):
    run = services.get_run(current_user, run_id)
    if run is None:
        abort(404)
    consultation = _consultation(run.consultation_id)
    return render_template("analysis/run.html", run=run, state=services.run_state(run), **_context(consultation))


@bp.route("/runs/<int:run_id>/status")
@login_required
def run_status(run_id: int):
    run = services.get_run(current_user, run_id)
    if run is None:
        abort(404)
    return jsonify(services.run_state(run))


# ---------------------------------------------------------------------------------------------- review


@bp.route("/consultations/<int:consultation_id>/questions/<int:question_id>", methods=["GET", "POST"])
@login_required
def review(consultation_id: int, question_id: int):
    consultation = _consultation(consultation_id, services.ANALYSTS)
    question = _question(consultation, question_id)
    qs = summary.summarise_question(question, include_hidden=True)
    if qs.theme_set is None:
        flash("This question has no themes yet: start an analysis first.")
        return redirect(url_for("analysis.consultation", consultation_id=consultation.id))
    return render_template(
        "analysis/review.html",
        question=question,
        qs=qs,
        history=services.history(qs.theme_set, limit=20),
        **_context(consultation),
    )


@bp.route("/themes/<int:theme_id>", methods=["GET", "POST"])
@login_required
def theme(theme_id: int):
    theme = _theme(theme_id, services.ANALYSTS)
    consultation = _consultation(theme.theme_set.consultation_id, services.ANALYSTS)
    form = RenameForm(prefix="rename", obj=theme if request.method == "GET" else None)
    merge_form = MergeForm(prefix="merge")
    split_form = SplitForm(prefix="split")
    others = [t for t in services.live_themes(theme.theme_set) if t.id != theme.id]
    merge_form.themes.choices = select_choices((t.id, t.label) for t in others)
    action = request.form.get("action")
    if request.method == "POST":
        try:
            if action == "rename" and form.validate_on_submit():
                services.rename(current_user, theme, form.label.data, form.description.data or "")
                flash("Theme saved", "success")
                return redirect(url_for("analysis.theme", theme_id=theme.id))
            if action == "merge" and merge_form.validate_on_submit():
                chosen = [t for t in others if t.id in set(merge_form.themes.data)]
                services.merge(current_user, theme, chosen)
                flash(f"Merged {len(chosen)} theme{'s' if len(chosen) != 1 else ''} into “{theme.label}”", "success")
                return redirect(url_for("analysis.theme", theme_id=theme.id))
            if action == "split" and split_form.validate_on_submit():
                parts = services.split(current_user, theme, int(split_form.parts.data))
                flash(f"Split into {len(parts)} sub-themes", "success")
                return redirect(url_for("analysis.theme", theme_id=parts[0].parent_id or parts[0].id))
            if action in {"hide", "show"} and ConfirmForm().validate_on_submit():
                services.set_hidden(current_user, theme, action == "hide")
                flash("Theme hidden from the summary" if action == "hide" else "Theme shown in the summary", "success")
                return redirect(url_for("analysis.theme", theme_id=theme.id))
        except ServiceError as exc:
            target = {"merge": merge_form, "split": split_form}.get(action, form)
            _field_error(target, exc, {"merge": "themes", "split": "parts"}.get(action, "label"))
    errors = form.errors or merge_form.errors or split_form.errors
    shown_form = form if form.errors else merge_form if merge_form.errors else split_form
    page = max(1, request.args.get("page", 1, type=int))
    rows, total = summary.theme_answers(theme, page, PER_PAGE)
    return render_template(
        "analysis/theme.html",
        theme=theme,
        form=shown_form if errors else None,
        rename_form=form,
        merge_form=merge_form,
        split_form=split_form,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, math.ceil(total / PER_PAGE)),
        targets=others,
        children=[t for t in others if t.parent_id == theme.id],
        **_context(consultation),
    ), 400 if errors else 200


@bp.route("/themes/<int:theme_id>/pin", methods=["POST"])
@login_required
def pin(theme_id: int):
    theme = _theme(theme_id, services.ANALYSTS)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.pin(current_user, theme, request.values.get("answer", type=int) or 0, request.values.get("pin") == "1")
    except ServiceError as exc:
        flash(exc.message)
    else:
        flash("Quote pinned" if request.values.get("pin") == "1" else "Quote unpinned", "success")
    return redirect(url_for("analysis.theme", theme_id=theme.id, page=request.values.get("page", 1, type=int)))


@bp.route("/themes/<int:theme_id>/move", methods=["POST"])
@login_required
def move(theme_id: int):
    theme = _theme(theme_id, services.ANALYSTS)
    form = MoveForm()
    targets = [t for t in services.live_themes(theme.theme_set) if t.id != theme.id]
    form.target.choices = select_choices([(0, "Other (no theme)")] + [(t.id, t.label) for t in targets])
    form.answers.choices = select_choices((a, str(a)) for a in services.members_of(theme))
    if form.validate_on_submit():
        target = next((t for t in targets if t.id == form.target.data), None)
        try:
            moved = services.move_answers(current_user, theme.theme_set, form.answers.data, target)
        except ServiceError as exc:
            flash(exc.message)
        else:
            flash(
                f"Moved {moved} answer{'s' if moved != 1 else ''} to “{target.label if target else 'Other'}”", "success"
            )
    else:
        flash(next(iter(form.errors.values()))[0] if form.errors else "Select at least one answer to move")
    return redirect(url_for("analysis.theme", theme_id=theme.id))


@bp.route("/consultations/<int:consultation_id>/questions/<int:question_id>/search", methods=["GET", "POST"])
@login_required
def search(consultation_id: int, question_id: int):
    consultation = _consultation(consultation_id, services.ANALYSTS)
    question = _question(consultation, question_id)
    theme_set = services.current_set(question)
    query = (request.values.get("q") or "").strip()
    form = CreateThemeForm()
    results, error = [], ""
    if query:
        try:
            results = services.search(question, query)
        except ServiceError as exc:
            error = exc.message
    form.answers.choices = select_choices((r.answer_id, str(r.answer_id)) for r, _ in results)
    if request.method == "POST" and theme_set is not None:
        form.answers.choices = select_choices((a, str(a)) for a in request.form.getlist("answers", type=int))
        if form.validate_on_submit():
            try:
                theme = services.create_theme(current_user, theme_set, form.label.data, form.answers.data)
            except ServiceError as exc:
                _field_error(form, exc, "label")
            else:
                flash(f"Theme “{theme.label}” created", "success")
                return redirect(url_for("analysis.theme", theme_id=theme.id))
    return render_template(
        "analysis/search.html",
        question=question,
        theme_set=theme_set,
        query=query,
        results=results,
        error=error,
        form=form if form.errors else None,
        create_form=form,
        **_context(consultation),
    ), 400 if (form.errors or error) else 200


@bp.route("/consultations/<int:consultation_id>/search")
@login_required
def search_all(consultation_id: int):
    consultation = _consultation(consultation_id, services.ANALYSTS)
    query = (request.args.get("q") or "").strip()
    results, error = [], ""
    if query:
        try:
            results = services.search_consultation(consultation, query)
        except ServiceError as exc:
            error = exc.message
    return render_template(
        "analysis/search_all.html", query=query, results=results, error=error, **_context(consultation)
    ), 400 if error else 200


# ---------------------------------------------------------------------------------------------- summary


@bp.route("/consultations/<int:consultation_id>/summary")
@login_required
def summary_page(consultation_id: int):
    consultation = _consultation(consultation_id)
    ctx = _context(consultation)

    def render() -> tuple[str, list[summary.QuestionSummary]]:
        summaries = summary.summarise(consultation)
        over_time = summary.responses_over_time(consultation)
        html = render_template(
            "analysis/_summary_body.html",
            summaries=summaries,
            over_time=over_time,
            chart=summary.chart_bars(over_time),
            consultation=consultation,
            is_responder=ctx["is_responder"],
        )
        return html, summaries

    audience = (ctx["is_responder"], request.script_root)
    body = summary.cached_page(consultation, "summary", audience, render, catch_up=True)
    body = Markup(body)  # noqa: S704  # nosec B704 - a rendered, escaped template
    return render_template("analysis/summary.html", body=body, **ctx)


@bp.route("/consultations/<int:consultation_id>/summary.pdf")
@login_required
def summary_pdf(consultation_id: int):
    from weasyprint import HTML

    consultation = _consultation(consultation_id)
    over_time = summary.responses_over_time(consultation)
    html = render_template(
        "analysis/summary_pdf.html",
        summaries=summary.summarise(consultation, include_hidden=False),
        over_time=over_time,
        chart=summary.chart_bars(over_time),
        **_context(consultation),
    )
    pdf = HTML(string=html, base_url=request.url_root).write_pdf()
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="themes-{consultation.slug}.pdf"',
            "X-Content-Type-Options": "nosniff",
        },
    )


def _csv(rows, name: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff"},
    )


@bp.route("/consultations/<int:consultation_id>/themes.csv")
@login_required
def themes_csv(consultation_id: int):
    consultation = _consultation(consultation_id)
    return _csv(summary.csv_themes(consultation), f"themes-{consultation.slug}.csv")


@bp.route("/consultations/<int:consultation_id>/assignments.csv")
@login_required
def assignments_csv(consultation_id: int):
    consultation = _consultation(consultation_id)
    return _csv(summary.csv_assignments(consultation), f"theme-assignments-{consultation.slug}.csv")


@bp.route("/themes/<int:theme_id>/answers")
@login_required
def theme_answers(theme_id: int):
    theme = _theme(theme_id)
    consultation = _consultation(theme.theme_set.consultation_id)
    page = max(1, request.args.get("page", 1, type=int))
    rows, total = summary.theme_answers(theme, page, PER_PAGE)
    pages = max(1, math.ceil(total / PER_PAGE))
    if page > pages:
        abort(404)
    return render_template(
        "analysis/answers.html",
        theme=theme,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        type_labels=summary.TYPE_LABELS,
        **_context(consultation),
    )


@bp.route("/themes/<int:theme_id>/what-we-did", methods=["GET", "POST"])
@login_required
def what_we_did(theme_id: int):
    theme = _theme(theme_id, services.RESPONDERS)
    consultation = _consultation(theme.theme_set.consultation_id, services.RESPONDERS)
    form = WhatWeDidForm(obj=theme if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.set_what_we_did(current_user, theme, form.what_we_did.data or "")
        except ServiceError as exc:
            _field_error(form, exc, "what_we_did")
        else:
            flash("“What we did” saved", "success")
            return redirect(
                url_for("analysis.summary_page", consultation_id=consultation.id, _anchor=f"theme-{theme.id}")
            )
    return render_template("analysis/what_we_did.html", theme=theme, form=form, **_context(consultation)), (
        400 if form.errors else 200
    )


# ---------------------------------------------------------------------------------------------- public


@bp.route("/results/<slug>/<int:consultation_id>")
def public_results(slug: str, consultation_id: int):
    consultation = services.published_consultation(slug, consultation_id)
    if consultation is None:
        abort(404)
    council = services.council_of(consultation)

    def render() -> tuple[str, list[summary.QuestionSummary]]:
        summaries = summary.summarise(consultation, catch_up=False)
        return render_template("analysis/_public_body.html", summaries=summaries), summaries

    body = summary.cached_page(consultation, "public", request.script_root, render)
    body = Markup(body)  # noqa: S704  # nosec B704 - a rendered, escaped template
    return render_template(
        "analysis/public.html",
        consultation=consultation,
        council=council,
        current_council=council,
        body=body,
    )
