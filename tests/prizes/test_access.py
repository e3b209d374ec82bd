"""Who may see and do what: each access rule of the prize feature, on every database."""

from __future__ import annotations

from sqlalchemy import func, select

from engage.db import session as db_session
from engage.models.prizes import Assignment, Conflict, Score
from engage.prizes import services as s
from tests.conftest import post_form, sign_in
from tests.prizes.conftest import prize_input, start_judging


def test_entrants_see_only_their_own_teams_entries(client, world):
    sign_in(client, world.bob)
    mine = client.get("/prizes/entries").get_data(as_text=True)
    assert "Beta Shade idea" in mine and "Alpha Greening idea" not in mine
    assert client.get(f"/prizes/entries/{world.beta.id}").status_code == 200
    assert client.get(f"/prizes/entries/{world.alpha.id}").status_code == 403
    assert client.get(f"/prizes/entries/{world.alpha.id}/edit").status_code == 403
    assert client.get(f"/prizes/attachments/{world.attachment.id}").status_code == 403
    assert client.get(f"/prizes/teams/{world.alpha.team_id}").status_code == 403


def test_entrant_cannot_change_another_teams_entry(client, world):
    sign_in(client, world.bob)
    response = post_form(
        client,
        f"/prizes/entries/{world.alpha.id}/edit",
        {"title": "Hijacked", "f1": "x", "submit": "Submit entry"},
        get_url=f"/prizes/entries/{world.beta.id}/edit",
    )
    assert response.status_code == 403
    db_session.expire_all()
    assert world.alpha.title == "Alpha Greening idea"


def test_invited_team_member_sees_and_edits_the_teams_entry(client, world, quick_user):
    carol = quick_user(None, email="carol@example.org")
    invite = s.invite_member(world.alice, world.alpha.team, "carol@example.org")
    from engage.models import OutboxEmail

    email = db_session.scalar(select(OutboxEmail).where(OutboxEmail.to == "carol@example.org"))
    token = email.body.split("/prizes/teams/join/")[1].split()[0]
    assert s.open_team_invite(token).id == invite.id
    sign_in(client, carol)
    assert client.get(f"/prizes/entries/{world.alpha.id}").status_code == 403
    response = post_form(client, f"/prizes/teams/join/{token}", {})
    assert response.status_code == 302
    assert client.get(f"/prizes/entries/{world.alpha.id}/edit").status_code == 200
    assert client.get(f"/prizes/attachments/{world.attachment.id}").status_code == 200


def test_team_invitation_only_works_for_the_invited_address(client, world, quick_user):
    s.invite_member(world.alice, world.alpha.team, "carol@example.org")
    from engage.models import OutboxEmail

    email = db_session.scalar(select(OutboxEmail).where(OutboxEmail.to == "carol@example.org"))
    token = email.body.split("/prizes/teams/join/")[1].split()[0]
    sign_in(client, world.bob)
    assert post_form(client, f"/prizes/teams/join/{token}", {}).status_code == 403
    db_session.expire_all()
    assert not s.is_member(world.bob, world.alpha.team)


def test_judges_must_declare_conflicts_before_seeing_entries(client, world):
    start_judging(world, declare=False)
    judge = world.judges[0]
    assignment = db_session.scalar(select(Assignment).where(Assignment.judge_id == judge.id))
    sign_in(client, judge)
    response = client.get(f"/prizes/{world.prize.id}/judge")
    assert response.status_code == 302 and response.headers["Location"].endswith("/conflicts")
    assert client.get(f"/prizes/assignments/{assignment.id}").status_code == 403


def test_judges_see_only_entries_assigned_to_them(client, world):
    start_judging(world)
    judge = world.judges[0]
    mine = list(db_session.scalars(select(Assignment).where(Assignment.judge_id == judge.id)))
    others = list(db_session.scalars(select(Assignment).where(Assignment.judge_id != judge.id)))
    assert others
    sign_in(client, judge)
    page = client.get(f"/prizes/{world.prize.id}/judge").get_data(as_text=True)
    for a in mine:
        assert f"/prizes/assignments/{a.id}" in page
    for a in others:
        assert client.get(f"/prizes/assignments/{a.id}").status_code == 403
    # Nor the officer's pages.
    assert client.get(f"/prizes/{world.prize.id}/results").status_code == 403
    assert client.get(f"/prizes/{world.prize.id}/entries/{world.alpha.id}").status_code == 403


def test_blind_judging_hides_identity_and_file_names(client, world):
    start_judging(world)
    judge_assignment = db_session.scalar(select(Assignment).where(Assignment.entry_id == world.alpha.id))
    judge = judge_assignment.judge
    sign_in(client, judge)
    page = client.get(f"/prizes/assignments/{judge_assignment.id}").get_data(as_text=True)
    assert "Plant trees, says Alpha Greening" in page  # the entry itself
    for identity in ("Alpha Ltd", world.alice.email, world.alice.name, "alpha-secret-plan"):
        assert identity not in page
    listing = client.get(f"/prizes/{world.prize.id}/judge").get_data(as_text=True)
    assert "Alpha Ltd" not in listing and world.alice.email not in listing
    download = client.get(f"/prizes/attachments/{world.attachment.id}")
    assert download.status_code == 200
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "alpha-secret-plan" not in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_open_judging_shows_the_team(client, world):
    world.prize.blind_judging = False
    db_session.commit()
    start_judging(world)
    a = db_session.scalar(select(Assignment).where(Assignment.entry_id == world.alpha.id))
    sign_in(client, a.judge)
    assert "Alpha Ltd" in client.get(f"/prizes/assignments/{a.id}").get_data(as_text=True)


def test_judge_cannot_score_a_conflicted_entry(client, world):
    start_judging(world)
    a = db_session.scalar(select(Assignment).where(Assignment.entry_id == world.alpha.id))
    judge, assignment_id = a.judge, a.id
    sign_in(client, judge)
    response = post_form(
        client, f"/prizes/{world.prize.id}/conflicts", {"entries": str(world.alpha.id), "reason": "My cousin"}
    )
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(Assignment, assignment_id) is None  # recused
    assert client.get(f"/prizes/assignments/{assignment_id}").status_code == 404
    # The officer cannot put them back, by hand or automatically.
    try:
        s.add_assignment(world.officer, world.prize, world.alpha.id, judge.id)
    except s.ServiceError as exc:
        assert "conflict" in exc.message
    else:  # pragma: no cover
        raise AssertionError("a conflicted judge was assigned")
    s.auto_assign(world.officer, world.prize, 3, 10, seed=2)
    assert not db_session.scalar(
        select(Assignment).where(Assignment.entry_id == world.alpha.id, Assignment.judge_id == judge.id)
    )
    # And the service refuses a score even on a hand-made row.
    row = Assignment(prize_id=world.prize.id, stage_id=a.stage_id, entry_id=world.alpha.id, judge_id=judge.id)
    db_session.add(row)
    db_session.commit()
    response = post_form(
        client,
        f"/prizes/assignments/{row.id}",
        {f"c{c.id}": "5" for c in world.prize.criteria},
        get_url=f"/prizes/{world.prize.id}/judge",
    )
    assert response.status_code == 403
    assert db_session.scalar(select(func.count(Score.id))) == 0
    assert db_session.scalar(select(func.count(Conflict.id))) == 1


def test_conflict_list_does_not_link_entrants_to_entries(client, world):
    start_judging(world, declare=False)
    sign_in(client, world.judges[0])
    page = client.get(f"/prizes/{world.prize.id}/conflicts").get_data(as_text=True)
    assert "Alpha Greening" in page and "Beta Shade" in page
    assert "Alpha Greening idea" not in page and "Plant trees" not in page


def test_officers_of_another_council_see_nothing(client, world):
    start_judging(world)
    sign_in(client, world.outsider)
    pid = world.prize.id
    for url in (
        f"/prizes/{pid}/manage",
        f"/prizes/{pid}/edit",
        f"/prizes/{pid}/assignments",
        f"/prizes/{pid}/results",
        f"/prizes/{pid}/results.csv",
        f"/prizes/{pid}/audit",
        f"/prizes/{pid}/entries/{world.alpha.id}",
        f"/prizes/{pid}/publish",
        f"/prizes/attachments/{world.attachment.id}",
        f"/prizes/entries/{world.alpha.id}",
    ):
        assert client.get(url).status_code == 403, url
    assert client.get(f"/prizes/manage/{world.council.slug}/new").status_code == 403


def test_draft_prizes_are_hidden_from_the_public(client, world):
    draft = s.create_prize(world.officer, world.council, prize_input(title="Secret draft"))
    assert client.get(f"/prizes/{draft.id}").status_code == 404
    assert "Secret draft" not in client.get(f"/c/{world.council.slug}").get_data(as_text=True)
    sign_in(client, world.officer)
    assert client.get(f"/prizes/{draft.id}").status_code == 200


def test_officers_see_entries_but_not_drafts(client, world, quick_user):
    from tests.prizes.conftest import make_entry

    dave = quick_user(None, email="dave@example.org")
    draft = make_entry(dave, world.prize, "Dave Draft", submit=False)
    sign_in(client, world.officer)
    assert client.get(f"/prizes/{world.prize.id}/entries/{world.alpha.id}").status_code == 200
    assert client.get(f"/prizes/{world.prize.id}/entries/{draft.id}").status_code == 403
    assert client.get(f"/prizes/attachments/{world.attachment.id}").status_code == 200


def test_judges_check_conflicts_again_when_new_entries_arrive(client, world, quick_user):
    from tests.prizes.conftest import make_entry

    judge = world.judges[0]
    s.declare_conflicts(judge, world.prize, [], "")
    assert s.has_declared(judge, world.prize)
    late = quick_user(None, email="late@example.org")
    make_entry(late, world.prize, "Late Team")
    assert not s.has_declared(judge, world.prize)
    sign_in(client, judge)
    response = client.get(f"/prizes/{world.prize.id}/judge")
    assert response.status_code == 302 and response.headers["Location"].endswith("/conflicts")
    assert "Late Team" in client.get(f"/prizes/{world.prize.id}/conflicts").get_data(as_text=True)
    assert post_form(client, f"/prizes/{world.prize.id}/conflicts", {}).status_code == 302
    assert client.get(f"/prizes/{world.prize.id}/judge").status_code == 200
