"""The prize pages through the test client: registration, entering, judging, results; bad input changes nothing."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import func, select

from engage.db import session as db_session
from engage.db import utcnow
from engage.models import AuditEvent, OutboxEmail, User
from engage.models.prizes import (
    Assignment,
    Attachment,
    Decision,
    Entry,
    EntryStatus,
    Prize,
    PrizeStatus,
    Score,
    Stage,
    StageKind,
)
from engage.prizes import services as s
from tests.conftest import csrf_from, post_form, sign_in
from tests.prizes.conftest import PDF, start_judging

GOOD_PRIZE = {
    "title": "Quieter roads",
    "summary": "Cut traffic noise",
    "problem": "Roads are loud.",
    "evidence": "",
    "prize_money": "£5,000",
    "entry_closes": "31/01/2099 17:00",
    "shortlist_closes": "",
    "final_closes": "",
    "judging_closes": "",
    "criteria": "Impact | 3 | Noise cut\nCost | 1 | Value",
    "score_min": "1",
    "score_max": "5",
    "descriptors": "1: Weak\n5: Strong",
    "eligibility": "Are you based in the UK? | yes | UK entrants only",
    "entry_fields": "Your idea | required | 200",
    "allow_attachments": "y",
    "terms": "Terms.",
    "ip_conditions": "IP.",
    "blind_judging": "y",
    "judges_per_entry": "2",
    "judge_cap": "10",
    "shortlist_size": "1",
}


def count(model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def test_register_with_email_verification(client, app_ctx):
    response = post_form(client, "/prizes/register", {"email": "newbie@example.org"})
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    email = db_session.scalar(select(OutboxEmail).where(OutboxEmail.to == "newbie@example.org"))
    link = email.body.split("http://localhost")[1].split()[0]
    assert count(User) == 0  # nothing until the address is confirmed
    weak = post_form(client, link, {"name": "New Person", "password": "password123"})
    assert weak.status_code == 400 and "too easy to guess" in weak.get_data(as_text=True)
    assert count(User) == 0
    done = post_form(client, link, {"name": "New Person", "password": "tangerine pylon quartz"})
    assert done.status_code == 302
    user = db_session.scalar(select(User).where(User.email == "newbie@example.org"))
    assert user.name == "New Person" and user.email_verified_at is not None
    assert client.get("/prizes/entries").status_code == 200  # signed in
    assert client.get(link[:-3] + "abc").status_code == 404  # tampered
    again = post_form(client, link, {"name": "Again", "password": "tangerine pylon quartz"})
    assert again.status_code == 400 and "already exists" in again.get_data(as_text=True)


def test_officer_creates_a_prize_and_bad_input_changes_nothing(client, council, quick_user):
    officer = quick_user("officer", council)
    sign_in(client, officer)
    url = f"/prizes/manage/{council.slug}/new"
    bad = post_form(client, url, {**GOOD_PRIZE, "criteria": "Impact | heavy | x"})
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "govuk-error-summary" in page and "Weight for “Impact” must be a number" in page
    bad_date = post_form(client, url, {**GOOD_PRIZE, "entry_closes": "31/02/2099 17:00"})
    assert bad_date.status_code == 400 and "must be a real date" in bad_date.get_data(as_text=True)
    early_judging = post_form(client, url, {**GOOD_PRIZE, "judging_closes": "01/01/2099 09:00"})
    assert early_judging.status_code == 400
    assert "Judging must close after the entry deadline" in early_judging.get_data(as_text=True)
    missing = post_form(client, url, {**GOOD_PRIZE, "title": ""})
    assert missing.status_code == 400 and "Enter a title for the prize" in missing.get_data(as_text=True)
    assert count(Prize) == 0
    ok = post_form(client, url, GOOD_PRIZE)
    assert ok.status_code == 302
    prize = db_session.scalar(select(Prize))
    assert [c.weight for c in prize.criteria] == [3.0, 1.0]
    assert prize.stage("entry").closes_at.hour == 17  # 31 January is GMT: 17:00 London is 17:00 UTC
    assert prize.eligibility[0]["expected"] == "yes"
    edit = client.get(f"/prizes/{prize.id}/edit").get_data(as_text=True)
    assert "Impact | 3 | Noise cut" in edit and "31/01/2099 17:00" in edit
    dashboard = client.get(f"/prizes/{prize.id}/manage")
    assert dashboard.status_code == 200
    opened = post_form(client, f"/prizes/{prize.id}/status", {"to": "open"}, get_url=f"/prizes/{prize.id}/manage")
    assert opened.status_code == 302
    db_session.expire_all()
    assert db_session.get(Prize, prize.id).status == PrizeStatus.OPEN
    home = client.get(f"/c/{council.slug}").get_data(as_text=True)
    assert "Quieter roads" in home and "Manage challenge prizes" in home and ">Judging<" not in home


def test_entrant_journey_with_bad_input(client, app, world, quick_user):
    erin = quick_user(None, email="erin@example.org")
    sign_in(client, erin)
    pid = world.prize.id
    assert "Enter this prize" in client.get(f"/prizes/{pid}").get_data(as_text=True)
    # Not eligible: refused with the reason, nothing made.
    refused = post_form(
        client, f"/prizes/{pid}/enter", {"team_name": "Erin", "q0": "no", "accept_terms": "y", "team_id": "new"}
    )
    assert refused.status_code == 400 and "Entrants must be adults" in refused.get_data(as_text=True)
    no_terms = post_form(client, f"/prizes/{pid}/enter", {"team_name": "Erin", "q0": "yes"})
    assert no_terms.status_code == 400 and "You must accept the terms" in no_terms.get_data(as_text=True)
    assert count(Entry) == 2
    started = post_form(client, f"/prizes/{pid}/enter", {"team_name": "Erin Solo", "q0": "yes", "accept_terms": "y"})
    assert started.status_code == 302
    entry = db_session.scalar(select(Entry).order_by(Entry.id.desc()))
    edit = f"/prizes/entries/{entry.id}/edit"
    saved = post_form(client, edit, {"title": "Cool roofs", "f1": "", "save": "Save draft"})
    assert saved.status_code == 302
    # Submitting without the required answer: error, still a draft.
    missing = post_form(client, edit, {"title": "Cool roofs", "f1": "", "submit": "Submit entry"})
    assert missing.status_code == 400 and "Enter an answer for: Your idea" in missing.get_data(as_text=True)
    too_long = post_form(client, edit, {"title": "Cool roofs", "f1": "word " * 301, "save": "Save draft"})
    assert too_long.status_code == 400 and "300 words or fewer" in too_long.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Entry, entry.id).status == EntryStatus.DRAFT
    # Files: wrong type and too big are refused; a PDF is kept.
    token = csrf_from(client.get(edit).get_data(as_text=True))
    upload = f"/prizes/entries/{entry.id}/attachments"
    wrong = client.post(upload, data={"csrf_token": token, "file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "x.pdf")})
    assert wrong.status_code == 400 and "must be a PDF, Word document" in wrong.get_data(as_text=True)
    app.config["PRIZE_UPLOAD_MAX_BYTES"] = 100
    try:
        big = client.post(upload, data={"csrf_token": token, "file": (io.BytesIO(PDF * 10), "big.pdf")})
    finally:
        app.config.pop("PRIZE_UPLOAD_MAX_BYTES")
    assert big.status_code == 400 and "must be smaller than" in big.get_data(as_text=True)
    none = client.post(upload, data={"csrf_token": token})
    assert none.status_code == 400 and "Select a file" in none.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Attachment.id)).where(Attachment.entry_id == entry.id)) == 0
    good = client.post(upload, data={"csrf_token": token, "file": (io.BytesIO(PDF), "roofs.pdf")})
    assert good.status_code == 302
    download = client.get(
        f"/prizes/attachments/{db_session.scalar(select(Attachment.id).order_by(Attachment.id.desc()))}"
    )
    assert download.data == PDF and download.headers["Content-Disposition"].startswith("attachment")
    submitted = post_form(client, edit, {"title": "Cool roofs", "f1": "Paint roofs white", "submit": "Submit entry"})
    assert submitted.status_code == 302
    db_session.expire_all()
    assert db_session.get(Entry, entry.id).status == EntryStatus.SUBMITTED
    page = client.get(f"/prizes/entries/{entry.id}").get_data(as_text=True)
    assert "Submitted" in page and "roofs.pdf" in page
    # After the deadline: changes and late entries are refused with a clear message.
    stage = db_session.scalar(select(Stage).where(Stage.prize_id == pid, Stage.kind == "entry"))
    stage.closes_at = utcnow() - timedelta(minutes=1)
    db_session.commit()
    late = post_form(
        client,
        edit,
        {"title": "Changed", "f1": "Late", "submit": "Submit entry"},
        get_url=f"/prizes/entries/{entry.id}",
    )
    assert late.status_code == 400 and "deadline for entries has passed" in late.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Entry, entry.id).title == "Cool roofs"
    late_start = post_form(client, f"/prizes/{pid}/enter", {"team_name": "X", "q0": "yes", "accept_terms": "y"})
    assert late_start.status_code == 400 and "closed to entries" in late_start.get_data(as_text=True)


def test_withdraw_needs_confirmation(client, world):
    sign_in(client, world.bob)
    url = f"/prizes/entries/{world.beta.id}/withdraw"
    assert post_form(client, url, {}).status_code == 400
    assert post_form(client, url, {"confirm": "y"}).status_code == 302
    db_session.expire_all()
    assert db_session.get(Entry, world.beta.id).status == EntryStatus.WITHDRAWN


def test_judge_scores_with_bad_input_refused_and_changes_audited(client, world):
    start_judging(world)
    a = db_session.scalar(select(Assignment).order_by(Assignment.id))
    criteria = [c.id for c in world.prize.criteria]
    sign_in(client, a.judge)
    listing = client.get(f"/prizes/{world.prize.id}/judge").get_data(as_text=True)
    assert "0 of 2" in listing
    url = f"/prizes/assignments/{a.id}"
    out_of_range = post_form(client, url, {f"c{criteria[0]}": "9", f"c{criteria[1]}": "3"})
    assert out_of_range.status_code == 400
    assert "Score for Impact must be between 1 and 5" in out_of_range.get_data(as_text=True)
    missing = post_form(client, url, {f"c{criteria[0]}": "4"})
    assert missing.status_code == 400 and "Choose a score for Feasibility" in missing.get_data(as_text=True)
    assert count(Score) == 0
    ok = post_form(client, url, {f"c{criteria[0]}": "4", f"c{criteria[1]}": "3", f"comment{criteria[0]}": "Good"})
    assert ok.status_code == 302
    changed = post_form(client, url, {f"c{criteria[0]}": "5", f"c{criteria[1]}": "3", f"comment{criteria[0]}": "Good"})
    assert changed.status_code == 302
    events = list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == "prizes.score")))
    assert [(e.detail["old"], e.detail["new"]) for e in events if e.detail["criterion"] == criteria[0]] == [
        (None, 4),
        (5 - 1, 5),
    ]
    assert "1 of 2" in client.get(f"/prizes/{world.prize.id}/judge").get_data(as_text=True)
    # Past the judging deadline, scores are locked with a clear message.
    stage = db_session.scalar(select(Stage).where(Stage.prize_id == world.prize.id, Stage.kind == "entry"))
    stage.judging_closes_at = utcnow() - timedelta(minutes=1)
    db_session.commit()
    expired = post_form(client, url, {f"c{criteria[0]}": "1", f"c{criteria[1]}": "1"}, get_url=url)
    assert expired.status_code == 400 and "Judging has closed" in expired.get_data(as_text=True)
    stage.judging_closes_at = None
    db_session.commit()
    # Once the round closes, scores are locked.
    s.set_status(world.officer, db_session.get(Prize, world.prize.id), PrizeStatus.CLOSED)
    locked = post_form(client, url, {f"c{criteria[0]}": "1", f"c{criteria[1]}": "1"}, get_url=url)
    assert locked.status_code == 400 and "Judging has closed" in locked.get_data(as_text=True)
    db_session.expire_all()
    assert sorted(sc.value for sc in db_session.scalars(select(Score))) == [3, 5]


def test_officer_results_decisions_and_publishing(client, world):
    start_judging(world)
    prize = world.prize
    # Every assigned judge scores: judge order decides the numbers.
    for a in db_session.scalars(select(Assignment).order_by(Assignment.id)).all():
        value = 5 if a.entry_id == world.alpha.id else 2
        s.save_scores(a.judge, a, {c.id: value for c in prize.criteria}, {})
    world.beta.title = "=HYPERLINK(evil)"
    db_session.commit()
    sign_in(client, world.officer)
    page = client.get(f"/prizes/{prize.id}/results").get_data(as_text=True)
    assert "Entries by normalised rank" in page and "Krippendorff" in page
    csv_body = client.get(f"/prizes/{prize.id}/results.csv")
    assert csv_body.headers["Content-Disposition"].startswith("attachment")
    assert "'=HYPERLINK(evil)" in csv_body.get_data(as_text=True)
    assign_page = client.get(f"/prizes/{prize.id}/assignments")
    assert assign_page.status_code == 200 and "The design is connected" in assign_page.get_data(as_text=True)
    s.set_status(world.officer, db_session.get(Prize, prize.id), PrizeStatus.CLOSED)
    # Publishing before deciding is refused.
    early = post_form(client, f"/prizes/{prize.id}/publish", {"summary": "Done"})
    assert early.status_code == 400 and "Decide every entry first" in early.get_data(as_text=True)
    shortlisted = post_form(client, f"/prizes/{prize.id}/shortlist", {}, get_url=f"/prizes/{prize.id}/results")
    assert shortlisted.status_code == 302
    db_session.expire_all()
    assert db_session.get(Entry, world.alpha.id).decision == Decision.SHORTLISTED  # top 1 by rank
    assert db_session.get(Entry, world.beta.id).decision == Decision.NOT_SELECTED
    unapproved = post_form(client, f"/prizes/{prize.id}/publish", {"summary": "Done"})
    assert unapproved.status_code == 400 and "Approve feedback" in unapproved.get_data(as_text=True)
    no_feedback = post_form(
        client, f"/prizes/{prize.id}/entries/{world.alpha.id}", {"decision": "winner", "feedback": "", "approve": "y"}
    )
    assert no_feedback.status_code == 400 and "Write feedback before approving" in no_feedback.get_data(as_text=True)
    for entry, decision, text in (
        (world.alpha, "winner", "Brilliant and practical."),
        (world.beta, "not_selected", "Costs unclear."),
    ):
        r = post_form(
            client, f"/prizes/{prize.id}/entries/{entry.id}", {"decision": decision, "feedback": text, "approve": "y"}
        )
        assert r.status_code == 302
    published = post_form(client, f"/prizes/{prize.id}/publish", {"summary": "Congratulations to Alpha."})
    assert published.status_code == 302
    public = client.get(f"/prizes/{prize.id}").get_data(as_text=True)
    assert "Congratulations to Alpha." in public and "Alpha Greening" in public
    audit = client.get(f"/prizes/{prize.id}/audit").get_data(as_text=True)
    for action in ("prizes.assign", "prizes.score", "prizes.decision", "prizes.publish", "prizes.conflicts_declared"):
        assert action in audit
    assert db_session.scalar(select(func.count(OutboxEmail.id)).where(OutboxEmail.subject.like("Results of%"))) == 2
    client.post("/sign-out", data={"csrf_token": csrf_from(client.get("/prizes/entries").get_data(as_text=True))})
    sign_in(client, world.bob)
    mine = client.get(f"/prizes/entries/{world.beta.id}").get_data(as_text=True)
    assert "Costs unclear." in mine and "Not selected" in mine


def test_shortlisted_entries_go_forward_to_a_new_judging_round(client, world):
    start_judging(world)
    prize = world.prize
    for a in db_session.scalars(select(Assignment).order_by(Assignment.id)).all():
        s.save_scores(a.judge, a, {c.id: 5 if a.entry_id == world.alpha.id else 2 for c in prize.criteria}, {})
    s.set_status(world.officer, prize, PrizeStatus.CLOSED)
    sign_in(client, world.officer)
    early = post_form(client, f"/prizes/{prize.id}/next-round", {}, get_url=f"/prizes/{prize.id}/manage")
    assert early.status_code == 302
    db_session.expire_all()
    assert db_session.get(Prize, prize.id).status == PrizeStatus.CLOSED  # nobody shortlisted yet: refused
    s.shortlist_top(world.officer, db_session.get(Prize, prize.id))
    started = post_form(client, f"/prizes/{prize.id}/next-round", {}, get_url=f"/prizes/{prize.id}/manage")
    assert started.status_code == 302
    db_session.expire_all()
    prize = db_session.get(Prize, prize.id)
    assert prize.status == PrizeStatus.JUDGING and s.judging_stage(prize).kind.value == "shortlist"
    s.auto_assign(world.officer, prize, 2, 10, seed=3)
    stage = s.judging_stage(prize)
    new = list(db_session.scalars(select(Assignment).where(Assignment.stage_id == stage.id)))
    assert {a.entry_id for a in new} == {world.alpha.id}  # only the shortlisted entry
    assert s.results(world.officer, prize).entries == []  # the new round starts with no scores
    page = client.get(f"/prizes/{prize.id}/results").get_data(as_text=True)
    assert "Results: shortlist round" in page


def test_a_later_round_closes_to_judges_at_its_own_deadline(client, world):
    start_judging(world)
    prize = world.prize
    criteria = [c.id for c in prize.criteria]
    for a in db_session.scalars(select(Assignment).order_by(Assignment.id)).all():
        s.save_scores(a.judge, a, {c.id: 5 if a.entry_id == world.alpha.id else 2 for c in prize.criteria}, {})
    s.set_status(world.officer, prize, PrizeStatus.CLOSED)
    s.shortlist_top(world.officer, prize)
    shortlist = prize.stage(StageKind.SHORTLIST)
    shortlist.closes_at = utcnow() - timedelta(hours=1)
    db_session.commit()
    sign_in(client, world.officer)
    refused = post_form(client, f"/prizes/{prize.id}/next-round", {}, get_url=f"/prizes/{prize.id}/manage")
    db_session.expire_all()
    prize = db_session.get(Prize, prize.id)
    assert prize.status == PrizeStatus.CLOSED and s.judging_stage(prize).kind == StageKind.ENTRY
    assert "The shortlist deadline" in client.get(refused.headers["Location"]).get_data(as_text=True)

    prize = db_session.get(Prize, prize.id)
    prize.stage(StageKind.SHORTLIST).closes_at = utcnow() + timedelta(days=7)
    db_session.commit()
    s.start_next_round(world.officer, prize)
    s.auto_assign(world.officer, prize, 2, 10, seed=3)
    a = db_session.scalars(select(Assignment).where(Assignment.stage_id == s.judging_stage(prize).id)).first()
    assignment_id, judge = a.id, a.judge
    sign_in(client, judge)
    url = f"/prizes/assignments/{assignment_id}"
    judging = client.get(f"/prizes/{prize.id}/judge").get_data(as_text=True)
    assert "You can change your scores until judging closes on" in judging
    assert post_form(client, url, {f"c{c}": "4" for c in criteria}).status_code == 302
    # the shortlist deadline passes: the round is closed to judges although nobody closed it by hand
    db_session.expire_all()
    prize = db_session.get(Prize, prize.id)
    prize.stage(StageKind.SHORTLIST).closes_at = utcnow() - timedelta(minutes=1)
    db_session.commit()
    late = post_form(client, url, {f"c{c}": "1" for c in criteria}, get_url=url)
    assert late.status_code == 400 and "Judging has closed" in late.get_data(as_text=True)
    assert "Judging is not open" in client.get(f"/prizes/{prize.id}/judge").get_data(as_text=True)
    db_session.expire_all()
    assert {sc.value for sc in db_session.scalars(select(Score).where(Score.assignment_id == assignment_id))} == {4}
