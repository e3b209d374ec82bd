"""Prize pages: parse the request, call a service, render. Permission checks live in the services."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, send_file, session, url_for
from flask_login import current_user, login_required, login_user

from engage import storage
from engage.db import session as db_session
from engage.extensions import limiter
from engage.forms import select_choices
from engage.models import Council
from engage.models.prizes import DECISION_LABELS, Attachment, Decision, EntryStatus, PrizeStatus
from engage.prizes import bp, uploads
from engage.prizes import forms as f
from engage.prizes import services as s
from engage.services import PermissionDenied, ServiceError

REGISTER_LIMIT = "10 per hour"
ENTRY_LIMIT = "60 per minute"  # saving, uploading and submitting entries


@bp.errorhandler(LookupError)
def _not_found(_exc: LookupError):  # type: ignore[no-untyped-def]
    return render_template("errors/404.html"), 404


def _error(form: Any, exc: ServiceError) -> None:
    """Show a service's refusal as a field error (the first field when the service names none)."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is None:
        field = next(iter(form))
        if field.name == "csrf_token":
            field = list(form)[1]
    field.errors = [*list(field.errors or []), exc.message]


def _status(form: Any) -> int:
    return 400 if form.errors else 200


def _prize(prize_id: int):  # type: ignore[no-untyped-def]
    return s.visible_prize(current_user, prize_id)


def _officer_prize(prize_id: int):  # type: ignore[no-untyped-def]
    prize = s.get_prize(prize_id)
    if prize is None:
        abort(404)
    s.require_officer(current_user, prize)
    return prize


def _render(template: str, prize: Any = None, **context: Any) -> str:
    return render_template(
        f"prizes/{template}",
        prize=prize,
        current_council=prize.council if prize is not None else context.pop("current_council", None),
        s=s,
        DECISION_LABELS=DECISION_LABELS,
        PrizeStatus=PrizeStatus,
        EntryStatus=EntryStatus,
        **context,
    )


# ------------------------------------------------------------------------------------------------ public


@bp.route("/<int:prize_id>")
def prize(prize_id: int):
    prize = _prize(prize_id)
    return _render("prize.html", prize, winners=s.published_winners(prize), entries_open=s.entries_open(prize))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(REGISTER_LIMIT, methods=["POST"])
def register():
    form = f.RegisterForm()
    if form.validate_on_submit():
        s.start_registration(form.email.data, request.args.get("next", ""))
        return _render("register_sent.html", email=form.email.data)
    return _render("register.html", form=form), _status(form)


@bp.route("/register/<token>", methods=["GET", "POST"])
@limiter.limit(REGISTER_LIMIT, methods=["POST"])
def register_complete(token: str):
    details = s.registration_details(token) if len(token) < 600 else None
    if details is None:
        return _render("register_invalid.html"), 404
    form = f.CompleteRegistrationForm()
    if form.validate_on_submit():
        try:
            user = s.complete_registration(token, form.name.data, form.password.data)
        except ServiceError as exc:
            _error(form, exc)
        else:
            session.clear()
            login_user(user)
            flash("Your account is ready", "success")
            target = details["next"]
            if not (target.startswith("/prizes/") and "//" not in target):
                target = url_for("prizes.my_entries")
            return redirect(target)
    return _render("register_complete.html", form=form, email=details["email"]), _status(form)


# ------------------------------------------------------------------------------------------------ entrants


@bp.route("/entries")
@login_required
def my_entries():
    return _render("my_entries.html", entries=s.team_entries(current_user), teams=s.user_teams(current_user))


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@login_required
def team(team_id: int):
    team = s.team_for_member(current_user, team_id)
    form = f.TeamForm()
    if form.validate_on_submit():
        try:
            s.invite_member(current_user, team, form.email.data)
        except ServiceError as exc:
            _error(form, exc)
        else:
            flash(f"Invitation sent to {form.email.data}", "success")
            return redirect(url_for("prizes.team", team_id=team.id))
    return _render("team.html", team=team, form=form), _status(form)


@bp.route("/teams/join/<token>", methods=["GET", "POST"])
def join_team(token: str):
    invite = s.open_team_invite(token) if len(token) < 100 else None
    if invite is None:
        return _render("invite_invalid.html"), 404
    form = f.ActionForm()
    if current_user.is_authenticated and form.validate_on_submit():
        team = s.accept_team_invite(current_user, invite)
        flash(f"You have joined {team.name}", "success")
        return redirect(url_for("prizes.team", team_id=team.id))
    return _render("join_team.html", invite=invite, form=form, token=token)


@bp.route("/<int:prize_id>/enter", methods=["GET", "POST"])
@login_required
def enter(prize_id: int):
    prize = _prize(prize_id)
    teams = s.user_teams(current_user)
    form = f.start_entry_form(prize, teams)
    if not s.entries_open(prize):
        return _render("closed.html", prize), 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        team_choice = form.team_id.data if teams else "new"
        try:
            if team_choice == "new" and not form.team_name.data:
                raise ServiceError("Enter a name for your team", field="team_name")
            entry = s.start_entry(
                current_user,
                prize,
                team_id=None if team_choice == "new" else int(team_choice),
                team_name=form.team_name.data,
                organisation=form.organisation.data,
                eligibility={f"q{i}": getattr(form, f"q{i}").data for i in range(len(prize.eligibility))},
                accept_terms=bool(form.accept_terms.data),
            )
        except ServiceError as exc:
            db_session.rollback()
            _error(form, exc)
        else:
            flash("Your draft entry has been started", "success")
            return redirect(url_for("prizes.edit_entry", entry_id=entry.id))
    return _render("enter.html", prize, form=form), _status(form)


def _entry_form_data(entry: Any) -> dict[str, Any]:
    return {"title": entry.title, **entry.answers}


@bp.route("/entries/<int:entry_id>")
@login_required
def entry(entry_id: int):
    entry = s.entry_for_entrant(current_user, entry_id)
    return _render("entry.html", entry.prize, entry=entry, entries_open=s.entries_open(entry.prize))


@bp.route("/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@limiter.limit(ENTRY_LIMIT, methods=["POST"])
@login_required
def edit_entry(entry_id: int):
    entry = s.entry_for_entrant(current_user, entry_id)
    prize = entry.prize
    form = f.entry_form(prize, data=_entry_form_data(entry) if request.method == "GET" else None)
    upload_form = f.AttachmentForm(formdata=None)
    if request.method == "GET" and (not s.entries_open(prize) or entry.status == EntryStatus.WITHDRAWN):
        return redirect(url_for("prizes.entry", entry_id=entry.id))
    if form.validate_on_submit():
        answers = {fld["key"]: getattr(form, fld["key"]).data or "" for fld in prize.entry_fields}
        submit = bool(form.submit.data)
        try:
            s.save_entry(current_user, entry, form.title.data or "", answers, submit=submit)
        except ServiceError as exc:
            db_session.rollback()
            _error(form, exc)
        else:
            if submit or entry.status == EntryStatus.SUBMITTED:
                flash("Your entry has been submitted. You can change it until the deadline.", "success")
                return redirect(url_for("prizes.entry", entry_id=entry.id))
            flash("Your draft has been saved", "success")
            return redirect(url_for("prizes.edit_entry", entry_id=entry.id))
    return _render("edit_entry.html", prize, entry=entry, form=form, upload_form=upload_form), _status(form)


@bp.route("/entries/<int:entry_id>/attachments", methods=["POST"])
@limiter.limit(ENTRY_LIMIT, methods=["POST"])
@login_required
def upload(entry_id: int):
    entry = s.entry_for_entrant(current_user, entry_id)
    prize = entry.prize
    upload_form = f.AttachmentForm()
    form = f.entry_form(prize, data=_entry_form_data(entry))
    if upload_form.validate_on_submit():
        file = upload_form.file.data
        try:
            if file is None or not getattr(file, "filename", ""):
                raise ServiceError("Select a file to upload", field="file")
            s.add_attachment(current_user, entry, file.stream, file.filename)
        except ServiceError as exc:
            db_session.rollback()
            _error(upload_form, exc)
        else:
            flash("Your file has been attached", "success")
            return redirect(url_for("prizes.edit_entry", entry_id=entry.id))
    form.errors  # noqa: B018 - compute (empty) so only the upload form's errors show
    return (
        _render("edit_entry.html", prize, entry=entry, form=upload_form, entry_form=form, upload_form=upload_form),
        400,
    )


@bp.route("/attachments/<int:attachment_id>/remove", methods=["POST"])
@login_required
def remove_attachment(attachment_id: int):
    attachment = db_session.get(Attachment, attachment_id)
    if attachment is None:
        abort(404)
    form = f.ActionForm()
    if not form.validate_on_submit():
        abort(400)
    entry_id = attachment.entry_id
    try:
        s.remove_attachment(current_user, attachment)
    except ServiceError as exc:
        flash(exc.message)
    else:
        flash("The file has been removed", "success")
    return redirect(url_for("prizes.edit_entry", entry_id=entry_id))


@bp.route("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    attachment, name = s.attachment_for(current_user, attachment_id)
    try:
        path = storage.path("prizes", attachment.stored_name)
    except FileNotFoundError:
        abort(404)
    if not path.exists():
        abort(404)
    response = send_file(
        path, mimetype=uploads.MIMETYPES[attachment.kind], as_attachment=True, download_name=name, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/entries/<int:entry_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(entry_id: int):
    entry = s.entry_for_entrant(current_user, entry_id)
    form = f.WithdrawForm()
    if form.validate_on_submit():
        try:
            s.withdraw_entry(current_user, entry)
        except ServiceError as exc:
            _error(form, exc)
        else:
            flash("Your entry has been withdrawn", "success")
            return redirect(url_for("prizes.my_entries"))
    return _render("withdraw.html", entry.prize, entry=entry, form=form), _status(form)


# ------------------------------------------------------------------------------------------------ judges


@bp.route("/judging")
@login_required
def judging():
    prizes = s.judge_prizes(current_user)
    return _render("judging.html", prizes=prizes, declared={p.id: s.has_declared(current_user, p) for p in prizes})


@bp.route("/<int:prize_id>/conflicts", methods=["GET", "POST"])
@login_required
def conflicts(prize_id: int):
    prize = _prize(prize_id)
    choices = s.conflict_choices(current_user, prize)
    form = f.conflict_form(choices)
    if form.validate_on_submit():
        try:
            s.declare_conflicts(current_user, prize, [int(v) for v in form.entries.data or []], form.reason.data)
        except ServiceError as exc:
            db_session.rollback()
            _error(form, exc)
        else:
            flash("Your declaration has been recorded", "success")
            return redirect(url_for("prizes.judge", prize_id=prize.id))
    declared = s.declared_conflicts(current_user, prize)
    return _render(
        "conflicts.html", prize, form=form, declared=declared, has_declared=s.has_declared(current_user, prize)
    ), _status(form)


@bp.route("/<int:prize_id>/judge")
@login_required
def judge(prize_id: int):
    prize = _prize(prize_id)
    s.require_judge(current_user, prize)
    if not s.has_declared(current_user, prize):
        return redirect(url_for("prizes.conflicts", prize_id=prize.id))
    assignments = s.judge_assignments(current_user, prize)
    done = sum(1 for a in assignments if s.is_complete(a))
    deadline = s.judging_deadline(s.judging_stage(prize))
    return _render(
        "judge.html", prize, assignments=assignments, done=done, round_open=s.round_open(prize), deadline=deadline
    )


@bp.route("/assignments/<int:assignment_id>", methods=["GET", "POST"])
@login_required
def score(assignment_id: int):
    assignment = s.assignment_for_judge(current_user, assignment_id)
    entry = assignment.entry
    prize = entry.prize
    current = {f"c{sc.criterion_id}": str(sc.value) for sc in assignment.scores}
    current |= {f"comment{sc.criterion_id}": sc.comment for sc in assignment.scores}
    form = f.score_form(prize, data=current if request.method == "GET" else None)
    if form.validate_on_submit():
        values = {c.id: getattr(form, f"c{c.id}").data for c in prize.criteria}
        comments = {c.id: getattr(form, f"comment{c.id}").data or "" for c in prize.criteria}
        try:
            s.save_scores(current_user, assignment, values, comments)
        except ServiceError as exc:
            db_session.rollback()
            _error(form, exc)
        else:
            flash(f"Scores saved for entry {entry.id}", "success")
            return redirect(url_for("prizes.judge", prize_id=prize.id))
    return _render(
        "score.html", prize, assignment=assignment, entry=entry, form=form, round_open=s.round_open(prize)
    ), _status(form)


# ------------------------------------------------------------------------------------------------ officers


@bp.route("/manage")
@login_required
def manage():
    groups = s.managed_prizes(current_user)
    if not groups:
        raise PermissionDenied("officers only")
    return _render("manage.html", groups=groups)


@bp.route("/manage/<slug>/new", methods=["GET", "POST"])
@login_required
def new_prize(slug: str):
    council = db_session.query(Council).filter_by(slug=slug).one_or_none()
    if council is None:
        abort(404)
    if not s.is_officer(current_user, council.id):
        raise PermissionDenied("officers only")
    form = f.PrizeForm()
    form.evidence_theme_ids.choices = select_choices(s.consultation_theme_choices(council.id))
    if form.validate_on_submit():
        try:
            prize = s.create_prize(current_user, council, _prize_input(form))
        except ServiceError as exc:
            db_session.rollback()
            _error(form, exc)
        else:
            flash("The prize has been created as a draft", "success")
            return redirect(url_for("prizes.dashboard", prize_id=prize.id))
    return _render("prize_form.html", form=form, current_council=council, heading="Create a prize"), _status(form)


def _prize_input(form: Any) -> s.PrizeInput:
    data = {name: getattr(form, name).data for name in s.PrizeInput.__dataclass_fields__}
    data["evidence_theme_ids"] = data["evidence_theme_ids"] or []
    return s.PrizeInput(**data)


@bp.route("/<int:prize_id>/edit", methods=["GET", "POST"])
@login_required
def edit_prize(prize_id: int):
    prize = _officer_prize(prize_id)
    data = None
    if request.method == "GET":
        entry, shortlist, final = (prize.stage(k) for k in s.StageKind)
        data = {
            name: getattr(prize, name)
            for name in s.PrizeInput.__dataclass_fields__
            if hasattr(prize, name) and name not in {"criteria", "descriptors", "eligibility", "entry_fields"}
        }
        data |= {
            "criteria": s.criteria_text(prize),
            "descriptors": s.descriptors_text(prize),
            "eligibility": s.eligibility_text(prize),
            "entry_fields": s.fields_text(prize),
            "entry_closes": s.format_london(entry.closes_at if entry else None),
            "shortlist_closes": s.format_london(shortlist.closes_at if shortlist else None),
            "final_closes": s.format_london(final.closes_at if final else None),
            "evidence_theme_ids": [str(t.get("theme_id")) for t in prize.evidence_themes],
            "judging_closes": s.format_london(entry.judging_closes_at if entry else None),
        }
    form = f.PrizeForm(data=data)
    form.evidence_theme_ids.choices = select_choices(s.consultation_theme_choices(prize.council_id))
    if request.method == "POST" and form.validate_on_submit():
        try:
            s.update_prize(current_user, prize, _prize_input(form))
        except ServiceError as exc:
            _error(form, exc)
        else:
            flash("The prize has been saved", "success")
            return redirect(url_for("prizes.dashboard", prize_id=prize.id))
    return _render("prize_form.html", prize, form=form, heading="Change the prize"), _status(form)


@bp.route("/<int:prize_id>/manage")
@login_required
def dashboard(prize_id: int):
    prize = _officer_prize(prize_id)
    return _render(
        "dashboard.html",
        prize,
        entries=s.submitted_entries(prize),
        form=f.ActionForm(),
        entries_open=s.entries_open(prize),
    )


@bp.route("/<int:prize_id>/next-round", methods=["POST"])
@login_required
def next_round(prize_id: int):
    prize = _officer_prize(prize_id)
    if not f.ActionForm().validate_on_submit():
        abort(400)
    try:
        stage = s.start_next_round(current_user, prize)
    except ServiceError as exc:
        flash(exc.message)
    else:
        flash(f"The {stage.name.lower()} round has started: assign judges to it", "success")
    return redirect(url_for("prizes.dashboard", prize_id=prize.id))


@bp.route("/<int:prize_id>/status", methods=["POST"])
@login_required
def change_status(prize_id: int):
    prize = _officer_prize(prize_id)
    form = f.ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        s.set_status(current_user, prize, PrizeStatus(request.form.get("to", "")))
    except (ServiceError, ValueError) as exc:
        flash(getattr(exc, "message", "The prize cannot move to that stage now"))
    else:
        flash("The prize's stage has changed", "success")
    return redirect(url_for("prizes.dashboard", prize_id=prize.id))


def _assignment_forms(prize: Any) -> tuple[Any, Any]:
    auto = f.AutoAssignForm(prefix="auto", data={"k": prize.judges_per_entry, "cap": prize.judge_cap, "seed": 0})
    manual = f.manual_assign_form(
        [(e.id, f"{e.id}: {e.title}") for e in s.round_entries(prize)],
        [(j.id, j.name or j.email) for j in s.council_judges(prize)],
    )
    return auto, manual


@bp.route("/<int:prize_id>/assignments", methods=["GET", "POST"])
@login_required
def assignments(prize_id: int):
    prize = _officer_prize(prize_id)
    auto, manual = _assignment_forms(prize)
    form = None
    plan = None
    if request.method == "POST" and "auto-submit" in request.form:
        form = auto
        if auto.validate_on_submit():
            try:
                plan = s.auto_assign(current_user, prize, auto.k.data, auto.cap.data, auto.seed.data or 0)
            except ServiceError as exc:
                db_session.rollback()
                _error(auto, exc)
            else:
                flash(f"{len(plan.new)} assignments added", "success")
    elif request.method == "POST":
        form = manual
        if manual.validate_on_submit():
            try:
                s.add_assignment(current_user, prize, int(manual.entry_id.data), int(manual.judge_id.data))
            except ServiceError as exc:
                db_session.rollback()
                _error(manual, exc)
            else:
                flash("The judge has been added to the entry", "success")
                return redirect(url_for("prizes.assignments", prize_id=prize.id))
    rows = s.prize_assignments(prize)
    connected = s.assignment_design.is_connected((a.entry_id, a.judge_id) for a in rows)
    status = 400 if form is not None and form.errors else 200
    return _render(
        "assignments.html",
        prize,
        auto=auto,
        manual=manual,
        form=form,
        rows=rows,
        plan=plan,
        conflicts=s.prize_conflicts(prize),
        judges=s.council_judges(prize),
        connected=connected,
        action=f.ActionForm(prefix="x"),
    ), status


@bp.route("/<int:prize_id>/assignments/<int:assignment_id>/remove", methods=["POST"])
@login_required
def unassign(prize_id: int, assignment_id: int):
    prize = _officer_prize(prize_id)
    if not f.ActionForm(prefix="x").validate_on_submit():
        abort(400)
    s.remove_assignment(current_user, prize, assignment_id)
    flash("The judge has been removed from the entry", "success")
    return redirect(url_for("prizes.assignments", prize_id=prize.id))


@bp.route("/<int:prize_id>/results")
@login_required
def results(prize_id: int):
    prize = _officer_prize(prize_id)
    result = s.results(current_user, prize)
    entries = {e.id: e for e in prize.entries}
    judges = {j.id: j for j in s.council_judges(prize)}
    return _render(
        "results.html",
        prize,
        result=result,
        entries=entries,
        judges=judges,
        form=f.ActionForm(),
        criteria={c.id: c for c in prize.criteria},
        agreement=s.scoring.agreement_label,
    )


@bp.route("/<int:prize_id>/results.csv")
@login_required
def results_csv(prize_id: int):
    prize = _officer_prize(prize_id)
    body = s.export_scores_csv(current_user, prize)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="prize-{prize.id}-scores.csv"'},
    )


@bp.route("/<int:prize_id>/shortlist", methods=["POST"])
@login_required
def shortlist(prize_id: int):
    prize = _officer_prize(prize_id)
    if not f.ActionForm().validate_on_submit():
        abort(400)
    count = s.shortlist_top(current_user, prize)
    flash(f"{count} entries decided by rank: the top {prize.shortlist_size} shortlisted", "success")
    return redirect(url_for("prizes.results", prize_id=prize.id))


@bp.route("/<int:prize_id>/entries/<int:entry_id>", methods=["GET", "POST"])
@login_required
def decide(prize_id: int, entry_id: int):
    prize = _officer_prize(prize_id)
    entry = s.entry_for_officer(current_user, entry_id)
    if entry.prize_id != prize.id:
        abort(404)
    form = f.DecisionForm(
        data={"decision": entry.decision.value, "feedback": entry.feedback} if request.method == "GET" else None
    )
    if form.validate_on_submit():
        try:
            s.set_decision(
                current_user, entry, Decision(form.decision.data), form.feedback.data or "", bool(form.approve.data)
            )
        except ServiceError as exc:
            db_session.rollback()
            _error(form, exc)
        else:
            flash(f"Decision saved for “{entry.title}”", "success")
            return redirect(url_for("prizes.results", prize_id=prize.id))
    return _render("decide.html", prize, entry=entry, form=form), _status(form)


@bp.route("/<int:prize_id>/publish", methods=["GET", "POST"])
@login_required
def publish(prize_id: int):
    prize = _officer_prize(prize_id)
    form = f.PublishForm(data={"summary": prize.results_summary} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            s.publish_results(current_user, prize, form.summary.data)
        except ServiceError as exc:
            db_session.rollback()
            _error(form, exc)
        else:
            flash("Results published and entrants emailed", "success")
            return redirect(url_for("prizes.prize", prize_id=prize.id))
    return _render("publish.html", prize, form=form), _status(form)


@bp.route("/<int:prize_id>/audit")
@login_required
def audit_trail(prize_id: int):
    prize = _officer_prize(prize_id)
    events = s.prize_audit(current_user, prize)
    people = {u.id: u.name or u.email for u in s.users_by_id({e.actor_id for e in events if e.actor_id})}
    return _render("audit.html", prize, events=events, people=people)


@bp.route("/<int:prize_id>/group", methods=["POST"])
@login_required
def group(prize_id: int):
    prize = _officer_prize(prize_id)
    if not f.ActionForm().validate_on_submit():
        abort(400)
    try:
        s.request_grouping(current_user, prize)
    except ServiceError as exc:
        flash(exc.message)
    else:
        flash("Grouping entries into themes: refresh this page in a minute", "success")
    return redirect(url_for("prizes.dashboard", prize_id=prize.id))
