"""Administration: councils, invitations and who may do what."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from engage.db import db
from engage.models import AuditEvent, Council, Invitation, Membership
from tests.conftest import post_form, sign_in


def test_site_admin_creates_a_council(signed_in):
    client, admin = signed_in(site_admin=True)
    response = post_form(
        client, "/admin/councils/new", {"name": "Riverside Council", "slug": "riverside", "intro": "Hello"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/councils/riverside"
    council = db.session.scalar(select(Council).where(Council.slug == "riverside"))
    assert council.name == "Riverside Council"
    assert client.get("/c/riverside").status_code == 200
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "council.create")).actor_id == admin.id


def test_bad_council_input_gets_errors_and_changes_nothing(signed_in, council):
    client, _ = signed_in(site_admin=True)
    before = db.session.scalar(select(func.count(Council.id)))
    cases = [
        ({"name": "", "slug": "ok-slug"}, "Enter the council's name"),
        (
            {"name": "X", "slug": "Not A Slug!"},
            "Web address name can only have lower-case letters, numbers and hyphens",
        ),
        ({"name": "X" * 121, "slug": "fine"}, "Council name must be 120 characters or fewer"),
        ({"name": "Copy", "slug": "testshire"}, "A council already uses this web address name"),
        ({"name": "Bad\x00name", "slug": "nul"}, "Remove the special characters from your answer"),
    ]
    for data, message in cases:
        response = post_form(client, "/admin/councils/new", data)
        assert response.status_code == 400, data
        assert message in html.unescape(response.get_data(as_text=True)), data
    assert db.session.scalar(select(func.count(Council.id))) == before


@pytest.mark.parametrize("role", ["officer", "analyst", "councillor", "judge"])
def test_only_admins_reach_administration(signed_in, council, role):
    client, _ = signed_in(role)
    assert client.get("/admin/").status_code == 403
    assert client.get(f"/admin/councils/{council.slug}").status_code == 403
    assert client.get("/admin/councils/new").status_code == 403


def test_council_admin_cannot_create_councils_or_see_another_council(signed_in, council, other_council):
    client, _ = signed_in("admin")
    assert client.get("/admin/").status_code == 200
    assert client.get(f"/admin/councils/{council.slug}").status_code == 200
    assert client.get("/admin/councils/new").status_code == 403
    response = client.get(f"/admin/councils/{other_council.slug}")
    assert response.status_code == 403
    assert "You do not have permission to see this page" in response.get_data(as_text=True)


def test_admin_of_another_council_cannot_invite_here(client, make_user, council, other_council):
    outsider = make_user("admin", other_council)
    sign_in(client, outsider)
    response = post_form(
        client,
        f"/admin/councils/{council.slug}",
        {"email": "x@example.org", "role": "officer"},
        get_url=f"/admin/councils/{other_council.slug}",
    )
    assert response.status_code == 403
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_signed_out_visitors_are_sent_to_sign_in(client, council):
    response = client.get(f"/admin/councils/{council.slug}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")


def test_invite_form_errors(signed_in, council):
    client, _ = signed_in("admin")
    response = post_form(client, f"/admin/councils/{council.slug}", {"email": "nope", "role": "emperor"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Enter an email address in the correct format" in text
    assert "Select one of the options shown" in text and "Not a valid choice" not in text
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_invitation_email_goes_to_the_outbox(signed_in, council):
    client, _ = signed_in("admin")
    post_form(client, f"/admin/councils/{council.slug}", {"email": "new@example.org", "role": "councillor"})
    outbox = client.get("/dev/outbox").get_data(as_text=True)
    assert "You have been invited to Testshire District Council on Engage" in outbox
    assert "new@example.org" in outbox


def test_admin_removes_a_role_but_not_their_own_admin_role(signed_in, make_user, council):
    client, admin = signed_in("admin")
    officer = make_user("officer", council)
    membership = db.session.scalar(select(Membership).where(Membership.user_id == officer.id))
    own = db.session.scalar(select(Membership).where(Membership.user_id == admin.id))
    response = post_form(
        client, f"/admin/councils/{council.slug}/members/{membership.id}/remove", {}, get_url="/admin/"
    )
    assert response.status_code == 302
    assert db.session.get(Membership, membership.id) is None
    response = post_form(client, f"/admin/councils/{council.slug}/members/{own.id}/remove", {}, get_url="/admin/")
    assert db.session.get(Membership, own.id) is not None
    assert "You cannot remove your own administrator role" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )


def test_audit_log_shows_who_read_original_answers(signed_in, make_user, council, other_council):
    from engage.consultations import services as consultation_services
    from engage.models.consultations import IdentityMode, Topic
    from engage.services import audit
    from tests.conftest import sign_in

    officer = make_user("officer", council)
    data = consultation_services.ConsultationData(
        title="Parking",
        summary="",
        proposal="",
        topic=Topic.TRANSPORT,
        opens_at=None,
        closes_at=None,
        identity_mode=IdentityMode.ANONYMOUS,
        wards=[],
        retention_months=12,
        ask_about_you=False,
        ask_equality=False,
        privacy_extra="",
    )
    consultation = consultation_services.create_consultation(officer, council, data)
    db.session.commit()
    client, _admin = signed_in("admin")
    other = client.application.test_client()
    sign_in(other, officer)
    assert other.get(f"/c/{council.slug}/manage/consultations/{consultation.id}/responses").status_code == 200
    audit("elsewhere.thing", council_id=other_council.id)
    db.session.commit()
    page = client.get(f"/admin/councils/{council.slug}/audit").get_data(as_text=True)
    assert "responses.viewed_unredacted" in page
    assert officer.email in page
    assert "elsewhere.thing" not in page
    assert client.get(f"/admin/councils/{other_council.slug}/audit").status_code == 403
    assert other.get(f"/admin/councils/{council.slug}/audit").status_code == 403
