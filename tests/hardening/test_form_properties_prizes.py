"""Arbitrary input to every challenge prize form: a clear error or a clean save, never a server error, never markup
that renders, and a refused form changes nothing."""

from __future__ import annotations

import io
import itertools

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import select

from engage.db import session as db_session
from engage.extensions import limiter
from engage.models import OutboxEmail, User
from engage.models.prizes import (
    DECISION_LABELS,
    Assignment,
    Attachment,
    Conflict,
    ConflictDeclaration,
    Entry,
    Prize,
    PrizeStatus,
    Score,
    Team,
    TeamInvite,
)
from engage.prizes import services as s
from tests.conftest import csrf_from, sign_in
from tests.hardening.hostile import (
    EMAILS,
    HOSTILE,
    TEXT,
    assert_no_live_markup,
    choice_or_hostile,
    clean,
    count,
    hostile_version,
    outcome,
    post_raw,
    row,
    settings_for,
)
from tests.prizes.conftest import PDF, start_judging
from tests.prizes.test_pages import GOOD_PRIZE

SETTINGS = settings_for(20)
NUMBER = st.one_of(st.integers(-5, 1200).map(str), st.sampled_from(["1.5", "1e3", "٣", "9" * 40, ""]), HOSTILE)
DATE = st.one_of(
    st.sampled_from(["31/01/2099 17:00", "31/02/2099 17:00", "01/01/0001 00:00", "31/12/9999 23:59", "31/01/2099"]),
    HOSTILE,
)
WEIGHT = st.one_of(st.sampled_from(["2", "0.5", "nan", "inf", "-1", "0", "1e308", "1_0", "١"]), TEXT)
CRITERIA = st.one_of(
    HOSTILE,
    st.lists(st.tuples(TEXT, WEIGHT, TEXT).map(" | ".join), min_size=1, max_size=4).map("\n".join),
)
ENTRY_FIELDS = st.one_of(
    HOSTILE,
    st.lists(
        st.tuples(
            TEXT, st.sampled_from(["required", "optional", "maybe"]), NUMBER.filter(lambda n: isinstance(n, str))
        ).map(" | ".join),
        min_size=1,
        max_size=4,
    ).map("\n".join),
)
PRIZE = hostile_version(
    GOOD_PRIZE,
    {
        "title": HOSTILE,
        "summary": HOSTILE,
        "problem": HOSTILE,
        "evidence": HOSTILE,
        "evidence_theme_ids": st.lists(HOSTILE, max_size=2),
        "prize_money": HOSTILE,
        "entry_closes": DATE,
        "judging_closes": DATE,
        "shortlist_closes": DATE,
        "final_closes": DATE,
        "criteria": CRITERIA,
        "score_min": NUMBER,
        "score_max": NUMBER,
        "descriptors": st.one_of(HOSTILE, st.tuples(NUMBER.filter(lambda n: isinstance(n, str)), TEXT).map(": ".join)),
        "eligibility": st.one_of(HOSTILE, st.tuples(TEXT, st.sampled_from(["yes", "no", "?"]), TEXT).map(" | ".join)),
        "entry_fields": ENTRY_FIELDS,
        "allow_attachments": st.one_of(st.sampled_from(["y", None]), HOSTILE),
        "terms": HOSTILE,
        "ip_conditions": HOSTILE,
        "blind_judging": st.sampled_from(["y", None]),
        "judges_per_entry": NUMBER,
        "judge_cap": NUMBER,
        "shortlist_size": NUMBER,
    },
)
PRIZE_TEXT = ("title", "summary", "problem", "evidence", "prize_money", "terms", "ip_conditions")


def page_is_clean(client, url: str) -> None:  # type: ignore[no-untyped-def]
    page = client.get(url)
    assert page.status_code == 200, url
    assert_no_live_markup(page.get_data(as_text=True))


@SETTINGS
@example(data={**GOOD_PRIZE, "title": "   "})
@example(data={**GOOD_PRIZE, "entry_fields": "Your idea | required | -5"})
@example(data={**GOOD_PRIZE, "entry_fields": "Your idea | required | " + "9" * 30})
@given(data=PRIZE)
def test_prize_form(client, world, data):
    if not getattr(world, "signed_in", False):
        sign_in(client, world.officer)
        world.signed_in = True
    before = count(Prize)
    if not outcome(post_raw(client, f"/prizes/manage/{world.council.slug}/new", data)):
        assert count(Prize) == before
        return
    prize = db_session.scalar(select(Prize).order_by(Prize.id.desc()))
    assert prize.title.strip(), "a prize was saved without a title"
    assert all(clean(getattr(prize, name)) for name in PRIZE_TEXT)
    assert prize.score_min < prize.score_max and prize.criteria
    for field in prize.entry_fields:
        assert field["label"].strip() and clean(field["label"]) and 1 <= field["max_words"] <= 100_000, field
    for criterion in prize.criteria:
        assert criterion.name.strip() and clean(criterion.name) and 0 < criterion.weight <= 100
    for url in (f"/prizes/{prize.id}", f"/prizes/{prize.id}/edit", f"/prizes/{prize.id}/manage"):
        page_is_clean(client, url)


@SETTINGS
@given(email=EMAILS)
def test_register_form(client, app_ctx, email):
    limiter.reset()
    before = count(OutboxEmail)
    if not outcome(post_raw(client, "/prizes/register", {"email": email}), saved=(200,)):
        assert count(OutboxEmail) == before
        return
    sent = db_session.scalar(select(OutboxEmail).order_by(OutboxEmail.id.desc()))
    assert clean(sent.to) and "\n" not in sent.to and "\r" not in sent.to


EMAIL_NUMBERS = itertools.count()


@SETTINGS
@example(name="   ", password="tangerine pylon quartz")
@example(name="\x00", password="tangerine pylon quartz")
@given(name=HOSTILE, password=st.one_of(HOSTILE, TEXT.map(lambda t: "tangerine pylon quartz " + t)))
def test_complete_registration_form(app, app_ctx, name, password):
    email = f"new{next(EMAIL_NUMBERS)}@example.org"
    token = s._serializer().dumps({"email": email, "next": ""})
    limiter.reset()
    if not outcome(post_raw(app.test_client(), f"/prizes/register/{token}", {"name": name, "password": password})):
        assert count(User, User.email == email) == 0
        return
    user = db_session.scalar(select(User).where(User.email == email))
    assert user.name.strip() and clean(user.name)


@SETTINGS
@given(email=EMAILS)
def test_team_form(client, world, email):
    if not getattr(world, "signed_in", False):
        sign_in(client, world.alice)
        world.signed_in = True
    url = f"/prizes/teams/{world.alpha.team_id}"
    before = count(TeamInvite)
    if not outcome(post_raw(client, url, {"email": email})):
        assert count(TeamInvite) == before
        return
    invite = db_session.scalar(select(TeamInvite).order_by(TeamInvite.id.desc()))
    assert clean(invite.email) and "@" in invite.email
    page_is_clean(client, url)


@pytest.fixture
def entrant(client, world, quick_user):
    erin = quick_user(None, email="erin@example.org")
    sign_in(client, erin)
    return client


@SETTINGS
@example(fields={"team_id": "new", "team_name": "   ", "q0": "yes", "accept_terms": "y"})
@given(
    fields=st.fixed_dictionaries(
        {
            "team_id": choice_or_hostile("new"),
            "team_name": HOSTILE,
            "organisation": HOSTILE,
            "q0": choice_or_hostile("yes", "no"),
            "accept_terms": st.one_of(st.sampled_from(["y", None]), HOSTILE),
        }
    )
)
def test_start_entry_form(entrant, world, fields):
    url = f"/prizes/{world.prize.id}/enter"
    before = count(Entry), count(Team)
    if not outcome(post_raw(entrant, url, fields)):
        assert (count(Entry), count(Team)) == before
        return
    entry = db_session.scalar(select(Entry).order_by(Entry.id.desc()))
    assert entry.team.name.strip() and clean(entry.team.name) and clean(entry.team.organisation)
    page_is_clean(entrant, f"/prizes/entries/{entry.id}")
    page_is_clean(entrant, "/prizes/entries")


@pytest.fixture
def alice(client, world):
    sign_in(client, world.alice)
    return client


@SETTINGS
@example(fields={"title": "\x00", "f1": "Plant trees", "f2": "", "submit": "Submit entry"})
@given(
    fields=hostile_version(
        {"title": "Alpha idea", "f1": "Plant trees", "f2": "", "save": "Save draft"},
        {
            "title": HOSTILE,
            "f1": HOSTILE,
            "f2": HOSTILE,
            "save": st.sampled_from(["Save draft", None]),
            "submit": st.sampled_from(["Submit entry", None]),
        },
    )
)
def test_entry_form(alice, world, fields):
    before = row(Entry, world.alpha.id)
    if not outcome(post_raw(alice, f"/prizes/entries/{world.alpha.id}/edit", fields)):
        assert row(Entry, world.alpha.id) == before
        return
    entry = row(Entry, world.alpha.id)
    assert entry["title"].strip() and clean(entry["title"])
    assert all(clean(answer) for answer in entry["answers"].values())
    page_is_clean(alice, f"/prizes/entries/{world.alpha.id}")


DOCX_LIKE = b"PK\x03\x04" + b"\x00" * 60
FILE_NAMES = st.one_of(
    st.text(min_size=1, max_size=300),
    st.sampled_from(["../../etc/passwd", "<script>alert(1)</script>.pdf", "a\x00b.pdf", "\u202efdp.exe", ".pdf"]),
)


@SETTINGS
@given(filename=FILE_NAMES, content=st.one_of(st.sampled_from([PDF, DOCX_LIKE, b""]), st.binary(max_size=300)))
def test_attachment_form(alice, world, filename, content):
    edit = f"/prizes/entries/{world.alpha.id}/edit"
    token = csrf_from(alice.get(edit).get_data(as_text=True))
    before = count(Attachment)
    response = alice.post(
        f"/prizes/entries/{world.alpha.id}/attachments",
        data={"csrf_token": token, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )
    if not outcome(response):
        assert count(Attachment) == before
        return
    attachment = db_session.scalar(select(Attachment).order_by(Attachment.id.desc()))
    assert attachment.filename.strip() and clean(attachment.filename) and "/" not in attachment.filename
    page_is_clean(alice, edit)
    download = alice.get(f"/prizes/attachments/{attachment.id}")
    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")
    # stay under the limit on files
    s.remove_attachment(db_session.get(User, world.alice.id), db_session.get(Attachment, attachment.id))


@pytest.fixture
def judge(client, world):
    s.set_status(world.officer, world.prize, PrizeStatus.JUDGING)
    sign_in(client, world.judges[0])
    return client


@SETTINGS
@given(picks=st.lists(st.one_of(st.sampled_from(["alpha", "beta"]), HOSTILE), max_size=3), reason=HOSTILE)
def test_conflict_form(judge, world, picks, reason):
    ids = {"alpha": str(world.alpha.id), "beta": str(world.beta.id)}
    before = count(Conflict), count(ConflictDeclaration)
    url = f"/prizes/{world.prize.id}/conflicts"
    if not outcome(post_raw(judge, url, {"entries": [ids.get(p, p) for p in picks], "reason": reason})):
        assert (count(Conflict), count(ConflictDeclaration)) == before
        return
    assert all(clean(c.reason) for c in db_session.scalars(select(Conflict)))
    page_is_clean(judge, url)


@pytest.fixture
def scoring(client, world):
    start_judging(world)
    assignment = db_session.scalar(select(Assignment).order_by(Assignment.id))
    sign_in(client, assignment.judge)
    return client, assignment.id, [c.id for c in world.prize.criteria]


SCORE = choice_or_hostile("1", "2", "3", "4", "5")


@SETTINGS
@given(values=st.tuples(SCORE, SCORE), comments=st.tuples(HOSTILE, HOSTILE))
def test_score_form(scoring, values, comments):
    client, assignment_id, criteria = scoring
    fields = {}
    for criterion, value, comment in zip(criteria, values, comments, strict=True):
        fields[f"c{criterion}"], fields[f"comment{criterion}"] = value, comment
    before = sorted((sc.criterion_id, sc.value, sc.comment) for sc in db_session.scalars(select(Score)))
    url = f"/prizes/assignments/{assignment_id}"
    if not outcome(post_raw(client, url, fields)):
        db_session.expire_all()
        assert sorted((sc.criterion_id, sc.value, sc.comment) for sc in db_session.scalars(select(Score))) == before
        return
    for score in db_session.scalars(select(Score)):
        assert 1 <= score.value <= 5 and clean(score.comment)
    page_is_clean(client, url)


@pytest.fixture
def officer_judging(client, world):
    start_judging(world)
    sign_in(client, world.officer)
    return client


@SETTINGS
@given(
    k=st.one_of(st.sampled_from(["1", "2", "3"]), NUMBER),
    cap=st.one_of(st.sampled_from(["1", "10"]), NUMBER),
    seed=st.one_of(st.integers().map(str), NUMBER),
    entry=choice_or_hostile("alpha", "beta"),
    judge=st.one_of(st.integers(0, 2), st.integers(0, 2), HOSTILE),
    manual=st.booleans(),
)
def test_assignment_forms(officer_judging, world, k, cap, seed, entry, judge, manual):
    """The automatic assignment form (judges per entry, cap, seed) and adding one judge to one entry by hand."""
    client = officer_judging
    url = f"/prizes/{world.prize.id}/assignments"
    before = sorted((a.entry_id, a.judge_id) for a in db_session.scalars(select(Assignment)))
    if manual:
        entry_id = {"alpha": str(world.alpha.id), "beta": str(world.beta.id)}.get(entry, entry)
        judge_id = str(world.judges[judge].id) if isinstance(judge, int) else judge
        fields = {"entry_id": entry_id, "judge_id": judge_id, "add": "Add judge to entry"}
    else:
        fields = {"auto-k": k, "auto-cap": cap, "auto-seed": seed, "auto-submit": "Assign judges"}
    if not outcome(post_raw(client, url, fields), saved=(302,) if manual else (200,)):
        db_session.expire_all()
        assert sorted((a.entry_id, a.judge_id) for a in db_session.scalars(select(Assignment))) == before
        return
    page_is_clean(client, url)


@pytest.fixture
def deciding(client, world):
    start_judging(world)
    s.set_status(world.officer, world.prize, PrizeStatus.CLOSED)
    sign_in(client, world.officer)
    return client


@SETTINGS
@example(decision="winner", feedback="   ", approve="y")
@given(
    decision=choice_or_hostile(*(d.value for d in DECISION_LABELS)),
    feedback=HOSTILE,
    approve=st.one_of(st.sampled_from(["y", None]), HOSTILE),
)
def test_decision_form(deciding, world, decision, feedback, approve):
    url = f"/prizes/{world.prize.id}/entries/{world.alpha.id}"
    before = row(Entry, world.alpha.id)
    fields = {"decision": decision, "feedback": feedback, "approve": approve}
    if not outcome(post_raw(deciding, url, fields)):
        assert row(Entry, world.alpha.id) == before
        return
    entry = row(Entry, world.alpha.id)
    assert clean(entry["feedback"])
    assert entry["feedback_approved_at"] is None or entry["feedback"].strip()
    page_is_clean(deciding, f"/prizes/{world.prize.id}/results")


@pytest.fixture
def publishing(deciding, world):
    officer = db_session.get(User, world.officer.id)
    for entry in (world.alpha, world.beta):
        s.set_decision(officer, db_session.get(Entry, entry.id), s.Decision.WINNER, "Well done.", True)
    return deciding


@SETTINGS
@example(summary="   ")
@example(summary="<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>")
@given(summary=HOSTILE)
def test_publish_results_form(publishing, world, summary):
    before = row(Prize, world.prize.id)
    if not outcome(post_raw(publishing, f"/prizes/{world.prize.id}/publish", {"summary": summary})):
        assert row(Prize, world.prize.id) == before
        return
    prize = row(Prize, world.prize.id)
    assert prize["results_summary"].strip() and clean(prize["results_summary"])
    page_is_clean(publishing, f"/prizes/{world.prize.id}")
