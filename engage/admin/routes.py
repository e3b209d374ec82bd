from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engage.admin import bp
from engage.admin import services as admin_services
from engage.admin.forms import CouncilForm, InviteForm
from engage.auth import services as auth_services
from engage.models.accounts import Role
from engage.services import ServiceError, require_site_admin


@bp.route("/")
@login_required
def index():
    councils = admin_services.councils_for(current_user)
    if not councils and not current_user.is_site_admin:
        abort(403)
    return render_template("admin/index.html", councils=councils)


@bp.route("/councils/new", methods=["GET", "POST"])
@login_required
def new_council():
    require_site_admin(current_user)
    form = CouncilForm()
    if form.validate_on_submit():
        try:
            council = admin_services.create_council(
                current_user, form.name.data.strip(), form.slug.data, form.intro.data or ""
            )
        except ServiceError as exc:
            getattr(form, exc.field or "name").errors.append(exc.message)
        else:
            flash(f"{council.name} has been created", "success")
            return redirect(url_for("admin.council", slug=council.slug))
    return render_template("admin/new_council.html", form=form), 400 if form.errors else 200


@bp.route("/councils/<slug>", methods=["GET", "POST"])
@login_required
def council(slug: str):
    council = admin_services.get_council_for_admin(current_user, slug)
    if council is None:
        abort(404)
    form = InviteForm()
    if form.validate_on_submit():
        invitation = auth_services.invite(current_user, council, form.email.data, Role(form.role.data))
        flash(f"An invitation has been sent to {invitation.email}", "success")
        return redirect(url_for("admin.council", slug=council.slug))
    return render_template(
        "admin/council.html",
        council=council,
        current_council=council,
        form=form,
        members=admin_services.members(council),
        invitations=admin_services.pending_invitations(council),
    ), 400 if form.errors else 200


@bp.route("/councils/<slug>/members/<int:membership_id>/remove", methods=["POST"])
@login_required
def remove_member(slug: str, membership_id: int):
    council = admin_services.get_council_for_admin(current_user, slug)
    if council is None:
        abort(404)
    try:
        admin_services.remove_membership(current_user, council, membership_id)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash("The role has been removed", "success")
    return redirect(url_for("admin.council", slug=council.slug, _anchor="members"))


@bp.route("/councils/<slug>/audit")
@login_required
def audit(slug: str):
    council = admin_services.get_council_for_admin(current_user, slug)
    if council is None:
        abort(404)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    action = (request.args.get("action") or "")[:80]
    events, total = admin_services.audit_log(current_user, council, page, action)
    return render_template(
        "admin/audit.html",
        council=council,
        current_council=council,
        events=events,
        actors=admin_services.actors_by_id(events),
        total=total,
        page=page,
        action=action,
        page_size=admin_services.AUDIT_PAGE_SIZE,
    )


@bp.app_context_processor
def _admin_nav():
    return {"request_path": request.path}
