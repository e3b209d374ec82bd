"""Every route, visited as every kind of person: who may see and do what.

The world is the demo seed (a council with consultations, prizes and their people), plus a member of another council
who holds every role there. Each route has an entry in ACCESS naming the people allowed; everyone else must be refused
(sent to sign in, 403 or 404). A route without an entry fails the test, so a new page cannot ship without a decision
about who may see it. Routes that only take POST are checked for refusals only (allowed POSTs change data and are
tested where they live).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from engage import create_app
from engage.db import db
from tests.conftest import DEMO_PASSWORD, IsolatedClient, csrf_from

pytestmark = pytest.mark.slow

ANONYMOUS = "anonymous"
EXPERT = "expert"  # an entrant in a prize, with no council role
ADMIN, OFFICER, ANALYST, COUNCILLOR, JUDGE = "admin", "officer", "analyst", "councillor", "judge"
OUTSIDER = "outsider"  # holds every role, but in another council
SITE_ADMIN = "site_admin"
ACTORS = [ANONYMOUS, EXPERT, ADMIN, OFFICER, ANALYST, COUNCILLOR, JUDGE, OUTSIDER, SITE_ADMIN]

EVERYONE = frozenset(ACTORS)
SIGNED_IN = EVERYONE - {ANONYMOUS}
NOBODY: frozenset[str] = frozenset()
OFFICERS = frozenset({OFFICER, ADMIN, SITE_ADMIN})
READERS = frozenset({ANALYST, COUNCILLOR, OFFICER, ADMIN, SITE_ADMIN})
ANALYSTS = frozenset({ANALYST, ADMIN, SITE_ADMIN})

ACCESS: dict[str, frozenset[str]] = {
    # public pages
    "main.home": EVERYONE,
    "main.accessibility": EVERYONE,
    "main.privacy": EVERYONE,
    "main.healthz": EVERYONE,
    "main.council": EVERYONE,
    "main.dev_outbox": EVERYONE,  # development and tests only; production answers 404 (tested elsewhere)
    "auth.sign_in": EVERYONE,
    "auth.sign_out": EVERYONE,
    "auth.account": SIGNED_IN,
    "auth.accept_invitation": NOBODY,  # only with a real, unused token
    # administration
    "admin.index": frozenset({ADMIN, OUTSIDER, SITE_ADMIN}),  # each sees the councils they administer
    "admin.council": frozenset({ADMIN, SITE_ADMIN}),
    "admin.remove_member": frozenset({ADMIN, SITE_ADMIN}),
    "admin.new_council": frozenset({SITE_ADMIN}),
    "admin.audit": frozenset({ADMIN, SITE_ADMIN}),
    # consultations: residents
    "consultations.view": EVERYONE,
    "consultations.privacy": EVERYONE,
    "consultations.document": EVERYONE,
    "consultations.start": EVERYONE,
    "consultations.question": EVERYONE,
    "consultations.about": EVERYONE,
    "consultations.equality": EVERYONE,
    "consultations.check": EVERYONE,
    "consultations.confirmation": EVERYONE,
    "consultations.save": EVERYONE,
    "consultations.withdraw": EVERYONE,
    "consultations.verify": EVERYONE,  # on the email-verified consultation (VALUES_FOR)
    "consultations.verified": EVERYONE,  # shows a button; the token is checked when it is pressed
    "consultations.resume": NOBODY,  # only with a real token
    "consultations.copy": EVERYONE,  # sends anyone without a confirmed email to confirm it first
    # consultations: officers
    "consultations.manage_index": OFFICERS,
    "consultations.manage_new": OFFICERS,
    "consultations.manage": OFFICERS,
    "consultations.manage_edit": OFFICERS,
    "consultations.manage_status": OFFICERS,
    "consultations.manage_publish": OFFICERS,
    "consultations.manage_question": OFFICERS,
    "consultations.manage_question_new": OFFICERS,
    "consultations.manage_question_action": OFFICERS,
    "consultations.manage_documents": OFFICERS,
    "consultations.manage_document_remove": OFFICERS,
    "consultations.manage_import": OFFICERS,
    "consultations.manage_import_template": OFFICERS,
    "consultations.manage_export": frozenset({OFFICER, ADMIN, ANALYST, SITE_ADMIN}),
    "consultations.manage_responses": OFFICERS,
    "consultations.manage_answer": OFFICERS,
    "consultations.manage_mark": OFFICERS,
    # theme analysis
    "analysis.index": READERS | {OUTSIDER},  # lists only the consultations of their own councils
    "analysis.consultation": READERS,
    "analysis.review": ANALYSTS,  # the analyst's workspace; councillors read the summary and drill into themes
    "analysis.search": ANALYSTS,
    "analysis.search_all": ANALYSTS,
    "analysis.summary_page": READERS,
    "analysis.summary_pdf": READERS,
    "analysis.themes_csv": READERS,
    "analysis.assignments_csv": READERS,
    "analysis.run": READERS,
    "analysis.run_status": READERS,
    "analysis.theme": ANALYSTS,
    "analysis.theme_answers": READERS,
    "analysis.move": ANALYSTS,
    "analysis.pin": ANALYSTS,
    "analysis.what_we_did": frozenset({OFFICER, ADMIN, SITE_ADMIN}),
    "analysis.public_results": NOBODY,  # the demo consultation is not published yet
    # challenge prizes
    "prizes.prize": EVERYONE,
    "prizes.register": EVERYONE,
    "prizes.register_complete": NOBODY,  # only with a real token
    "prizes.join_team": NOBODY,  # only with a real token
    "prizes.my_entries": SIGNED_IN,
    "prizes.enter": SIGNED_IN,
    "prizes.entry": frozenset({EXPERT}),
    "prizes.edit_entry": frozenset({EXPERT}),
    "prizes.withdraw": frozenset({EXPERT}),
    "prizes.upload": frozenset({EXPERT}),
    "prizes.remove_attachment": frozenset({EXPERT}),
    "prizes.team": frozenset({EXPERT}),
    "prizes.download": frozenset({EXPERT, OFFICER, ADMIN, SITE_ADMIN}),
    "prizes.judging": SIGNED_IN,  # lists the prizes the person judges (none for most)
    "prizes.judge": frozenset({JUDGE}),
    "prizes.conflicts": frozenset({JUDGE}),
    "prizes.score": frozenset({JUDGE}),
    "prizes.manage": frozenset({OFFICER, ADMIN, OUTSIDER, SITE_ADMIN}),  # their own councils' prizes
    "prizes.new_prize": OFFICERS,
    "prizes.dashboard": OFFICERS,
    "prizes.edit_prize": OFFICERS,
    "prizes.assignments": OFFICERS,
    "prizes.unassign": OFFICERS,
    "prizes.audit_trail": OFFICERS,
    "prizes.results": OFFICERS,
    "prizes.results_csv": OFFICERS,
    "prizes.shortlist": OFFICERS,
    "prizes.change_status": OFFICERS,
    "prizes.group": OFFICERS,
    "prizes.decide": OFFICERS,
    "prizes.next_round": OFFICERS,
    "prizes.publish": OFFICERS,
}


# Routes that need another object than the default one: the email-verified consultation for verification.
VALUES_FOR = {
    "consultations.verify": {"consultation_id": "verified_consultation_id"},
    "consultations.verified": {"consultation_id": "verified_consultation_id"},
}


@dataclass
class World:
    app: object
    values: dict[str, object]
    clients: dict[str, IsolatedClient]


def _sign_in(app, email: str, password: str) -> IsolatedClient:
    client = app.test_client()
    if email:
        token = csrf_from(client.get("/sign-in").get_data(as_text=True))
        response = client.post("/sign-in", data={"csrf_token": token, "email": email, "password": password})
        assert response.status_code == 302, f"{email} could not sign in"
    return client


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    from engage.auth.services import add_membership, create_user, find_user
    from engage.models import Council
    from engage.models.accounts import Role
    from engage.models.consultations import (
        Answer,
        Consultation,
        Document,
        IdentityMode,
        Question,
        QuestionKind,
        Response,
    )
    from engage.models.prizes import Assignment, Attachment, Entry, Prize, TeamMember

    folder = tmp_path_factory.mktemp("access")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'world.sqlite'}",
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "RATELIMIT_ENABLED": False,
        }
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
    seeded = app.test_cli_runner().invoke(args=["seed"])
    assert seeded.exit_code == 0, seeded.output
    values: dict[str, object] = {"slug": "northbrook", "token": "not-a-real-token", "number": 1}
    with app.app_context():
        other = Council(slug="elsewhere", name="Elsewhere Borough Council")
        db.session.add(other)
        db.session.flush()
        outsider = create_user("outsider@elsewhere.example", DEMO_PASSWORD, "Outsider")
        for role in Role:
            add_membership(outsider, other, role)
        expert = find_user("entrant01@northbrook.example")
        expert.password_hash = create_user("tmp@example.org", DEMO_PASSWORD).password_hash
        consultation = db.session.scalar(select(Consultation).order_by(Consultation.id))
        question = db.session.scalar(
            select(Question).where(Question.consultation_id == consultation.id, Question.kind == QuestionKind.FREE_TEXT)
        )
        answer = db.session.scalar(select(Answer).where(Answer.question_id == question.id))
        response = db.session.get(Response, answer.response_id)
        document = db.session.scalar(select(Document).where(Document.consultation_id == consultation.id))
        if document is None:
            from engage.consultations import services as consultation_services

            officer = find_user("officer@northbrook.example")
            document = consultation_services.add_document(
                officer, consultation, "Site plan", "plan.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"
            )
        entry = db.session.scalar(
            select(Entry).join(TeamMember, TeamMember.team_id == Entry.team_id).where(TeamMember.user_id == expert.id)
        )
        prize = db.session.get(Prize, entry.prize_id)
        judge = find_user("judge@northbrook.example")
        assignment = db.session.scalar(
            select(Assignment).where(Assignment.judge_id == judge.id, Assignment.prize_id == prize.id)
        )
        attachment = db.session.scalar(select(Attachment).where(Attachment.entry_id == entry.id))
        if attachment is None:  # the demo entries have no files: add one as the entrant would have
            from engage import storage

            data = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"
            attachment = Attachment(
                entry_id=entry.id,
                filename="plan.pdf",
                stored_name=storage.save("prizes", data, "pdf"),
                kind="pdf",
                size=len(data),
                uploaded_by_id=expert.id,
            )
            db.session.add(attachment)
            db.session.flush()
        db.session.commit()
        verified = db.session.scalar(
            select(Consultation).where(Consultation.identity_mode == IdentityMode.VERIFIED_EMAIL)
        )
        values.update(
            verified_consultation_id=verified.id,
            consultation_id=consultation.id,
            question_id=question.id,
            answer_id=answer.id,
            response_id=response.id,
            document_id=document.id,
            prize_id=prize.id,
            entry_id=entry.id,
            team_id=entry.team_id,
            assignment_id=assignment.id if assignment else 0,
            attachment_id=attachment.id,
            file_format="csv",
            action="up",
            status="valid",
            membership_id=1,
        )
        values.update(_analysis_values(app, consultation.id))
    people = {
        ANONYMOUS: ("", ""),
        EXPERT: ("entrant01@northbrook.example", DEMO_PASSWORD),
        ADMIN: ("admin@northbrook.example", "demo-password-for-admin"),
        OFFICER: ("officer@northbrook.example", "demo-password-for-officer"),
        ANALYST: ("analyst@northbrook.example", "demo-password-for-analyst"),
        COUNCILLOR: ("councillor@northbrook.example", "demo-password-for-councillor"),
        JUDGE: ("judge@northbrook.example", "demo-password-for-judge"),
        OUTSIDER: ("outsider@elsewhere.example", DEMO_PASSWORD),
        SITE_ADMIN: ("site-admin@engage.example", "demo-password-for-site-admin"),
    }
    clients = {actor: _sign_in(app, *people[actor]) for actor in ACTORS}
    yield World(app=app, values=values, clients=clients)
    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})  # put the in-memory rate-limit store back for later tests


def _analysis_values(app, consultation_id: int) -> dict[str, object]:
    """A finished run and one of its themes (running an analysis with the fast test embedder if the seed did not)."""
    from engage.models.analysis import AnalysisRun, Theme

    run = db.session.scalar(select(AnalysisRun).where(AnalysisRun.status == "succeeded"))
    if run is None:
        result = app.test_cli_runner().invoke(args=["analysis", "run", str(consultation_id)])
        assert result.exit_code == 0, result.output
        db.session.expire_all()
        run = db.session.scalar(select(AnalysisRun).where(AnalysisRun.status == "succeeded"))
    theme = db.session.scalar(select(Theme).order_by(Theme.id))
    return {"run_id": run.id, "theme_id": theme.id}


def _url(app, rule, values: dict[str, object]) -> str:
    names = {name: VALUES_FOR.get(rule.endpoint, {}).get(name, name) for name in rule.arguments}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{name: values[key] for name, key in names.items()})


def _refused(response) -> bool:
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def _allowed(response) -> bool:
    if response.status_code == 200:
        return True
    return response.status_code in (301, 302, 303) and not response.headers["Location"].startswith("/sign-in")


def routes(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def test_every_route_has_an_entry(world):
    missing = sorted({rule.endpoint for rule in routes(world.app)} - set(ACCESS))
    assert missing == [], f"add these routes to ACCESS with who may use them: {missing}"
    stale = sorted(set(ACCESS) - {rule.endpoint for rule in routes(world.app)})
    assert stale == [], f"these ACCESS entries name no route: {stale}"


def test_every_route_as_every_person(world):
    wrong = []
    for rule in sorted(routes(world.app), key=lambda r: r.rule):
        allowed = ACCESS.get(rule.endpoint)
        if allowed is None:
            continue
        url = _url(world.app, rule, world.values)
        for actor in ACTORS:
            client = world.clients[actor]
            if "GET" in rule.methods:
                response = client.get(url)
                ok = _allowed(response) if actor in allowed else _refused(response)
            else:
                if actor in allowed:
                    continue  # an allowed POST changes data: tested with its feature
                token = csrf_from(client.get("/sign-in").get_data(as_text=True))
                response = client.post(url, data={"csrf_token": token})
                ok = _refused(response)
            if not ok:
                where = response.headers.get("Location", "")
                wrong.append(f"{rule.endpoint} {url} as {actor}: {response.status_code} {where}".strip())
    assert wrong == [], "\n".join(wrong)


def test_signed_out_visitors_never_see_council_data(world):
    """Whatever the matrix says, nothing under /manage, /analysis or /admin answers 200 to a signed-out visitor."""
    client = world.clients[ANONYMOUS]
    for rule in routes(world.app):
        if "GET" not in rule.methods:
            continue
        url = _url(world.app, rule, world.values)
        if (
            url.startswith(("/admin", "/analysis/consultations", "/analysis/themes", "/analysis/runs"))
            or "/manage" in url
        ):
            assert client.get(url).status_code != 200, url


def test_downloads_are_attachments(world):
    for actor, url in [
        (EXPERT, f"/prizes/attachments/{world.values['attachment_id']}"),
        (
            ANONYMOUS,
            f"/c/northbrook/consultations/{world.values['consultation_id']}/documents/{world.values['document_id']}",
        ),
    ]:
        response = world.clients[actor].get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_path_traversal_in_downloads_is_refused(world):
    base = Path(world.app.config["UPLOAD_FOLDER"])
    assert base.exists()
    for url in [
        "/prizes/attachments/..%2F..%2Fworld.sqlite",
        f"/c/northbrook/consultations/{world.values['consultation_id']}/documents/..%2F..%2Fworld.sqlite",
        "/static/..%2F..%2Fconfig.py",
    ]:
        response = world.clients[SITE_ADMIN].get(url)
        assert response.status_code == 404, url
