from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from engage.auth import bp
from engage.auth import services as auth_services
from engage.auth.forms import AcceptInvitationForm, SignInForm
from engage.extensions import limiter, login_manager
from engage.services import ServiceError


@login_manager.user_loader
def _load_user(user_id: str):  # type: ignore[no-untyped-def]
    return auth_services.load_user(user_id)


login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Sign in to see this page"
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after signing in: no open redirects."""
    if not target:
        return url_for("main.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.home")
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return url_for("main.home")
    return target


def _sign_in_limit() -> str:
    return current_app.config["SIGN_IN_LIMIT"]


def _email_key() -> str:
    return "sign-in:" + (request.form.get("email", "") or "").strip().lower()[:254]


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
@limiter.limit(_sign_in_limit, methods=["POST"], key_func=_email_key)
def sign_in():
    form = SignInForm()
    if form.validate_on_submit():
        user = auth_services.authenticate(form.email.data, form.password.data)
        if user is not None:
            next_url = safe_next(request.args.get("next"))
            session.clear()  # a fresh session on sign-in: no fixation
            login_user(user)
            return redirect(next_url)
        form.email.errors = list(form.email.errors) + ["Enter a correct email address and password"]
    return render_template("auth/sign_in.html", form=form), 200 if not form.errors else 400


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    logout_user()
    session.clear()
    flash("You have signed out", "success")
    return redirect(url_for("main.home"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def accept_invitation(token: str):
    if len(token) > 100:
        abort(404)
    invitation = auth_services.open_invitation(token)
    if invitation is None:
        return render_template("auth/invitation_invalid.html"), 404
    existing = auth_services.find_user(invitation.email)
    form = AcceptInvitationForm()
    if existing is not None:
        form.name.validators = []
        form.password.label.text = "Your password"
        form.password.description = "You already have an Engage account with this email address."
    if form.validate_on_submit():
        try:
            user = auth_services.accept_invitation(invitation, form.name.data or "", form.password.data)
        except ServiceError as exc:
            getattr(form, exc.field or "password").errors.append(exc.message)
        else:
            session.clear()
            login_user(user)
            flash(f"You have joined {invitation.council.name}", "success")
            return redirect(url_for("main.council", slug=invitation.council.slug))
    status = 400 if form.errors else 200
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation, existing=existing), status


@bp.route("/account")
def account():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return render_template("auth/account.html")
