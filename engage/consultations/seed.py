"""Demo consultations for `flask --app wsgi seed` (safe to run twice).

1. "Homes on the old Gasworks site and a new cycle route along Mill Lane": open, anonymous, every kind of question,
   about 300 responses generated deterministically from the sentence pieces in seed_text.py.
2. "A heat network for Northbrook town centre": open, email-verified, about 40 responses.
3. With `--polis DIR`: each Pol.is conversation in DIR/*/comments.csv (moderated comments only) as a closed
   consultation with one free-text question.
"""

from __future__ import annotations

import csv
import random
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from engage.consultations import seed_text as T
from engage.consultations import services as svc
from engage.db import session as db_session
from engage.db import utcnow
from engage.models import Council, User
from engage.models.consultations import (
    AGREEMENT_SCALE,
    Consultation,
    ConsultationStatus,
    IdentityMode,
    Question,
    QuestionKind,
    RespondentType,
    Response,
    ResponseSource,
    ResponseStatus,
    Topic,
)

SEED = 20261128
GASWORKS_SLUG = "gasworks-homes-and-mill-lane-cycle-route"
HEAT_SLUG = "town-centre-heat-network"
OFFICER_EMAIL = "officer@northbrook.example"

GASWORKS_PROPOSAL = """\
## What we propose

The old Northbrook Gasworks on Gasworks Road has been empty since 2009. A developer, working with the council,
proposes:

* **320 new homes** in buildings of three to eight storeys, with 30% affordable homes (half of them for social rent);
* a **new riverside park** with a play area, keeping the Victorian gasholder frame as a landmark;
* a **health hub** on the ground floor, if the NHS agrees to run it;
* a **protected cycle route along Mill Lane**, from the station to the towpath, replacing about 40 of the 95
  parking spaces on Mill Lane (disabled and loading bays stay).

## Why

Northbrook needs about 600 new homes a year and has built half that. The Gasworks is the largest brownfield site in
the borough: building here means fewer homes on green fields. Mill Lane is the most direct route from Canalside
and Mill End to the station and schools, and had 14 collisions involving cyclists in the last five years.

## What we want to know

Whether you support each part of the plan, and why: your worries and your ideas. We read every response.
"""

HEAT_PROPOSAL = """\
## What we propose

A low-carbon **heat network** for the town centre: hot water pipes under the streets carrying heat from large heat
pumps at the sewage works and the River Brook, to council buildings, the hospital, new homes on the Gasworks site
and any homes and businesses that choose to connect.

Connection would be voluntary for existing homes. The council would set up a company to run the network and publish
its prices every year.
"""


def _officer(council: Council) -> User | None:
    user = db_session.scalar(select(User).where(User.email == OFFICER_EMAIL))
    if user is None or not user.has_role(council.id, *svc.OFFICER_ROLES):
        return None
    return user


def _existing(council: Council, slug: str) -> Consultation | None:
    return db_session.scalar(
        select(Consultation).where(Consultation.council_id == council.id, Consultation.slug == slug)
    )


def _create(council: Council, officer: User, slug: str, data: svc.ConsultationData) -> Consultation:
    consultation = svc.create_consultation(officer, council, data)
    consultation.slug = slug
    return consultation


def _add(officer: User, consultation: Consultation, kind: QuestionKind, text: str, **kwargs) -> Question:
    return svc.add_question(officer, consultation, svc.QuestionData(kind, text, **kwargs))


def _store(
    consultation: Consultation,
    answers: dict[int, tuple[str, list[str]]],
    *,
    when: datetime,
    respondent_type: RespondentType,
    organisation: str = "",
    equality: dict[str, str] | None = None,
    email: str | None = None,
    status: ResponseStatus = ResponseStatus.VALID,
    source: ResponseSource = ResponseSource.ONLINE,
) -> Response:
    """Store one response exactly as an online submission would (redacted copies included)."""
    by_position = {q.position: q for q in consultation.questions}
    stored = {str(by_position[p].id): {"text": t, "choices": c} for p, (t, c) in answers.items() if t or c}
    response = Response(
        consultation_id=consultation.id,
        reference=svc.new_reference(),
        idempotency_key="seed-" + secrets.token_urlsafe(18),
        email_hash=svc.email_hash(email) if email else None,
        status=status,
        source=source,
        submitted_at=when,
    )
    svc.fill_response(
        response,
        consultation,
        stored,
        {"respondent_type": respondent_type.value, "organisation": organisation},
        equality or {},
    )
    db_session.add(response)
    return response


# ---------------------------------------------------------------- the Gasworks consultation

STANCES = ["strongly_support", "support", "neutral", "oppose", "strongly_oppose"]
# Near the site people lean against the homes; further away, for.
WARD_LEAN = {
    "Canalside": [10, 14, 10, 26, 40],
    "Mill End": [10, 14, 10, 26, 40],
    "Riverside": [16, 22, 14, 24, 24],
    "Northbrook Central": [24, 28, 14, 18, 16],
    "Abbey Fields": [22, 26, 16, 18, 18],
    "St Anne's": [14, 20, 14, 24, 28],
}
WARD_WEIGHTS = [14, 24, 22, 12, 16, 12]  # in the order of T.WARDS
TRAVEL = ["Car", "Bus", "Bicycle", "Walking", "Other"]
MATTERS = [
    "Affordable homes",
    "Road safety",
    "Green space",
    "School places",
    "Parking",
    "Flood risk",
    "Doctors and health services",
    "Local shops",
]
CONCERN_MATTERS = {
    "traffic": "Road safety",
    "schools": "School places",
    "flooding": "Flood risk",
    "affordable": "Affordable homes",
    "green_space": "Green space",
    "gp": "Doctors and health services",
    "parking": "Parking",
    "cycle_safety": "Road safety",
    "business": "Local shops",
}
# How often each concern comes up, by side.
OPPOSE_CONCERNS = {
    "traffic": 24,
    "schools": 16,
    "flooding": 14,
    "gp": 13,
    "green_space": 10,
    "heritage": 8,
    "construction": 7,
    "parking": 8,
    "affordable": 6,
}
SUPPORT_CONCERNS = {
    "affordable": 30,
    "green_space": 16,
    "traffic": 8,
    "heritage": 8,
    "flooding": 8,
    "schools": 6,
    "gp": 6,
    "parking": 6,
    "construction": 4,
}


def _pick(rng: random.Random, weights: dict[str, int], k: int) -> list[str]:
    names = list(weights)
    chosen: list[str] = []
    while len(chosen) < k:
        name = rng.choices(names, weights=[weights[n] for n in names])[0]
        if name not in chosen:
            chosen.append(name)
    return chosen


def _sentence(rng: random.Random, bank: dict[str, dict[str, list[str]]], concern: str, side: str) -> str:
    options = bank[concern].get(side) or bank[concern]["oppose" if side == "support" else "support"]
    return rng.choice(options)


def _compose(rng: random.Random, bank, weights, side: str) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    k = rng.choices([1, 2, 3], weights=[45, 38, 17])[0]
    concerns = _pick(rng, weights, k)
    sentences = [_sentence(rng, bank, c, side) for c in concerns]
    opener = rng.choice(T.OPENERS)
    if opener:
        first = sentences[0]
        sentences[0] = f"{opener} {first[0].lower()}{first[1:]}" if opener.endswith(",") else f"{opener} {first}"
    text = " ".join(sentences)
    if rng.random() < 0.08:
        text = text.lower()  # people write as they write
    return text, concerns


def _gasworks_answer(rng: random.Random, ward: str, rtype: RespondentType) -> tuple[dict, list[str]]:
    homes = rng.choices(STANCES, weights=WARD_LEAN[ward])[0]
    travel = rng.choices(TRAVEL, weights=[44, 16, 14, 22, 4])[0]
    cycle_weights = [40, 30, 10, 12, 8] if travel in ("Bicycle", "Walking") else [14, 20, 16, 24, 26]
    cycle = rng.choices(STANCES, weights=cycle_weights)[0]
    side = svc.STANCE_OF[homes]
    concerns: list[str] = []
    roll = rng.random()
    if roll < 0.05:
        homes_why = rng.choice(T.NON_SUBSTANTIVE)
    elif side == "neutral":
        homes_why = rng.choice(T.NEUTRAL)
        if rng.random() < 0.5:
            extra, concerns = _compose(
                rng,
                T.HOMES,
                SUPPORT_CONCERNS if rng.random() < 0.5 else OPPOSE_CONCERNS,
                rng.choice(["support", "oppose"]),
            )
            homes_why = f"{homes_why} {extra}"
    else:
        homes_why, concerns = _compose(rng, T.HOMES, SUPPORT_CONCERNS if side == "support" else OPPOSE_CONCERNS, side)
    cycle_side = svc.STANCE_OF[cycle]
    if rng.random() < 0.14:
        cycle_why = ""
    elif rng.random() < 0.04:
        cycle_why = rng.choice(T.NON_SUBSTANTIVE)
    else:
        side_for_text = cycle_side if cycle_side != "neutral" else rng.choice(["support", "oppose"])
        weights = {"cycle_safety": 40, "parking": 24, "traffic": 24, "business": 12}
        if rtype == RespondentType.BUSINESS:
            weights = {"business": 60, "parking": 30, "traffic": 10}
        cycle_why, cycle_concerns = _compose(rng, T.CYCLE, weights, side_for_text)
        concerns += cycle_concerns
        if cycle_side == "neutral":
            cycle_why = "I'm in two minds. " + cycle_why
    matters = sorted({CONCERN_MATTERS[c] for c in concerns if c in CONCERN_MATTERS}, key=MATTERS.index)
    if not matters or rng.random() < 0.4:
        matters = sorted(set(matters) | {rng.choice(MATTERS)}, key=MATTERS.index)
    agreement = rng.choices([v for v, _ in AGREEMENT_SCALE], weights=[10, 30, 25, 22, 13])[0]
    answers = {
        1: ("", [homes]),
        2: (homes_why, []),
        3: ("", [cycle]),
        4: (cycle_why, []),
        5: ("", matters),
        6: ("", [travel]),
        7: ("", [agreement]),
    }
    if rng.random() < 0.85:
        answers[8] = ("", [ward])
    else:
        answers[8] = (
            f"NB{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
            [],
        )
    if rng.random() < 0.33:
        extra = rng.choice([t for t in T.ANYTHING_ELSE if "{email}" not in t])
        if rng.random() < 0.08:  # a few people leave contact details, which redaction removes
            extra = "If you want to discuss this, email me at {email} or call {phone}.".format(
                email=f"resident{rng.randint(10, 99)}@example.com", phone=f"07700 900{rng.randint(100, 999)}"
            )
        answers[9] = (extra, [])
    return answers, concerns


def _equality(rng: random.Random) -> dict[str, str]:
    if rng.random() < 0.3:
        return {}
    values = {}
    for key, _label, options in svc.EQUALITY_QUESTIONS:
        if rng.random() < 0.1:
            values[key] = svc.PREFER_NOT_TO_SAY
        elif key == "age":
            values[key] = rng.choices(options, weights=[2, 6, 14, 18, 18, 17, 15, 10])[0]
        elif key == "ethnicity":
            values[key] = rng.choices(options, weights=[10, 5, 4, 78, 3])[0]
        elif key == "disability":
            values[key] = rng.choices(options, weights=[16, 84])[0]
        else:
            values[key] = rng.choice(options)
    return values


def seed_gasworks(council: Council, officer: User, count: int = 300) -> Consultation:
    now = utcnow()
    consultation = _create(
        council,
        officer,
        GASWORKS_SLUG,
        svc.ConsultationData(
            title="Homes on the old Gasworks site and a new cycle route along Mill Lane",
            summary="320 new homes, a riverside park and a protected cycle route from the station to the towpath. "
            "Tell us what you think.",
            proposal=GASWORKS_PROPOSAL,
            topic=Topic.PLANNING,
            opens_at=None,
            closes_at=now + timedelta(days=25),
            identity_mode=IdentityMode.ANONYMOUS,
            wards=list(T.WARDS),
            retention_months=24,
            ask_about_you=True,
            ask_equality=True,
            privacy_extra="",
        ),
    )
    homes = _add(
        officer,
        consultation,
        QuestionKind.SUPPORT_OPPOSE,
        "Do you support building new homes on the old Gasworks site?",
        required=True,
        why_text="Why do you say that about the new homes?",
    )
    cycle = _add(
        officer,
        consultation,
        QuestionKind.SUPPORT_OPPOSE,
        "Do you support the protected cycle route along Mill Lane?",
        why_text="Why do you say that about the cycle route?",
    )
    _add(
        officer,
        consultation,
        QuestionKind.MULTI_CHOICE,
        "Which of these matter most to you?",
        options=MATTERS,
        hint="Select all that apply.",
    )
    _add(
        officer,
        consultation,
        QuestionKind.SINGLE_CHOICE,
        "How do you usually travel into the town centre?",
        options=TRAVEL,
    )
    _add(officer, consultation, QuestionKind.AGREEMENT_SCALE, "The council has explained the plans clearly")
    _add(
        officer,
        consultation,
        QuestionKind.LOCATION,
        "Where do you live?",
        hint="Choose your ward, or enter your postcode if you are not sure.",
    )
    _add(officer, consultation, QuestionKind.FREE_TEXT, "Is there anything else you want to tell us?", char_limit=2000)
    assert homes.position == 1 and cycle.position == 3
    svc.open_now(officer, consultation)
    opened = now - timedelta(days=20)
    consultation.opens_at = opened
    db_session.flush()

    rng = random.Random(SEED)
    campaign_homes = 14
    campaign_cycle = 9
    for n in range(count):
        ward = rng.choices(T.WARDS, weights=WARD_WEIGHTS)[0]
        rtype = rng.choices(
            [
                RespondentType.RESIDENT,
                RespondentType.BUSINESS,
                RespondentType.COMMUNITY_GROUP,
                RespondentType.ORGANISATION,
                RespondentType.NOT_SAID,
            ],
            weights=[84, 4, 5, 3, 4],
        )[0]
        organisation = {
            RespondentType.BUSINESS: rng.choice(T.BUSINESSES),
            RespondentType.COMMUNITY_GROUP: rng.choice(T.GROUPS),
            RespondentType.ORGANISATION: rng.choice(T.ORGANISATIONS),
        }.get(rtype, "")
        answers, _concerns = _gasworks_answer(rng, ward, rtype)
        if n % 21 == 5 and campaign_homes:  # the "Save Mill Lane" template
            campaign_homes -= 1
            answers[1] = ("", ["strongly_oppose"])
            answers[2] = (T.CAMPAIGN_HOMES, [])
        elif n % 31 == 7 and campaign_cycle:  # the cycle campaign's template
            campaign_cycle -= 1
            answers[3] = ("", ["strongly_support"])
            answers[4] = (T.CAMPAIGN_CYCLE, [])
        when = opened + timedelta(minutes=rng.randint(30, 20 * 24 * 60 - 60))
        _store(
            consultation, answers, when=when, respondent_type=rtype, organisation=organisation, equality=_equality(rng)
        )
        if n in (40, 160):  # the same person pressed submit on two devices: kept, marked as a duplicate
            _store(
                consultation,
                answers,
                when=when + timedelta(minutes=3),
                respondent_type=rtype,
                organisation=organisation,
                status=ResponseStatus.DUPLICATE,
            )
    # A few paper responses typed in by an officer.
    for text in [
        "I do not use computers so I am writing. The flats are too tall and there is nowhere to park already.",
        "Please build the homes. My grandson has been waiting for a council flat for five years.",
        "Mill Lane is dangerous for cyclists. Build the cycle route.",
    ]:
        stance = "oppose" if "too tall" in text else "support"
        _store(
            consultation,
            {1: ("", [stance]), 2: (text, [])},
            when=opened + timedelta(days=rng.randint(2, 18)),
            respondent_type=RespondentType.RESIDENT,
            source=ResponseSource.IMPORTED,
        )
    return consultation


def seed_heat(council: Council, officer: User, count: int = 40) -> Consultation:
    now = utcnow()
    consultation = _create(
        council,
        officer,
        HEAT_SLUG,
        svc.ConsultationData(
            title="A heat network for Northbrook town centre",
            summary="Should the council build a low-carbon heat network to heat homes and businesses in the town "
            "centre?",
            proposal=HEAT_PROPOSAL,
            topic=Topic.NET_ZERO,
            opens_at=None,
            closes_at=now + timedelta(days=40),
            identity_mode=IdentityMode.VERIFIED_EMAIL,
            wards=list(T.WARDS),
            retention_months=12,
            ask_about_you=True,
            ask_equality=False,
            privacy_extra="",
        ),
    )
    _add(
        officer,
        consultation,
        QuestionKind.SUPPORT_OPPOSE,
        "Do you support building a town centre heat network?",
        required=True,
        why_text="Why do you say that?",
    )
    _add(
        officer,
        consultation,
        QuestionKind.SINGLE_CHOICE,
        "How do you heat your home now?",
        options=["Gas boiler", "Electric heaters", "Heat pump", "Oil or LPG", "Other"],
    )
    _add(
        officer, consultation, QuestionKind.AGREEMENT_SCALE, "I would connect my home if it cost no more than I pay now"
    )
    _add(officer, consultation, QuestionKind.FREE_TEXT, "What would make you more likely to connect?", char_limit=1000)
    svc.open_now(officer, consultation)
    opened = now - timedelta(days=6)
    consultation.opens_at = opened
    db_session.flush()
    rng = random.Random(SEED + 1)
    for n in range(count):
        stance = rng.choices(STANCES, weights=[22, 26, 18, 18, 16])[0]
        side = svc.STANCE_OF[stance]
        why = " ".join(rng.sample(T.HEAT_WHY[side], k=min(len(T.HEAT_WHY[side]), rng.choice([1, 1, 2]))))
        answers = {
            1: ("", [stance]),
            2: (why, []),
            3: (
                "",
                [
                    rng.choices(
                        ["Gas boiler", "Electric heaters", "Heat pump", "Oil or LPG", "Other"],
                        weights=[70, 14, 6, 4, 6],
                    )[0]
                ],
            ),
            4: ("", [rng.choice([v for v, _ in AGREEMENT_SCALE])]),
        }
        if rng.random() < 0.6:
            answers[5] = (rng.choice(T.HEAT_MORE_LIKELY), [])
        _store(
            consultation,
            answers,
            when=opened + timedelta(minutes=rng.randint(10, 6 * 24 * 60 - 10)),
            respondent_type=RespondentType.RESIDENT,
            email=f"heat-resident-{n}@example.org",
        )
    return consultation


# ---------------------------------------------------------------- Pol.is conversations


def _polis_title(folder: Path) -> str:
    summary = folder / "summary.csv"
    if summary.exists():
        with summary.open(newline="", encoding="utf-8", errors="replace") as handle:
            for row in csv.reader(handle):
                if len(row) >= 2 and row[0].strip() == "topic" and row[1].strip():
                    return row[1].strip()[:180]
    return folder.name.replace("-", " ").replace(".", " ")[:180]


def seed_polis(council: Council, officer: User, polis_dir: str, limit: int = 3000) -> list[str]:
    """Load each conversation's moderated-in comments as responses to one free-text question."""
    root = Path(polis_dir)
    lines: list[str] = []
    if not root.is_dir():
        return [f"Pol.is folder {polis_dir} not found: skipped"]
    now = utcnow()
    for folder in sorted(p for p in root.iterdir() if (p / "comments.csv").exists()):
        slug = svc.slugify(f"polis-{folder.name}")
        if _existing(council, slug):
            continue
        comments = []
        with (folder / "comments.csv").open(newline="", encoding="utf-8", errors="replace") as handle:
            for row in csv.DictReader(handle):
                if (row.get("moderated") or "").strip() == "1" and (row.get("comment-body") or "").strip():
                    comments.append(row)
        if not comments:
            continue
        comments = comments[:limit]
        title = _polis_title(folder)
        consultation = _create(
            council,
            officer,
            slug,
            svc.ConsultationData(
                title=f"Pol.is: {title}",
                summary=f"Comments from the Pol.is conversation '{title}' (CC BY 4.0), loaded for demonstration.",
                proposal="Loaded from the openly licensed Pol.is data set for demonstrating theme analysis.",
                topic=Topic.OTHER,
                opens_at=None,
                closes_at=now + timedelta(days=1),
                identity_mode=IdentityMode.ANONYMOUS,
                wards=[],
                retention_months=24,
                ask_about_you=False,
                ask_equality=False,
                privacy_extra="",
            ),
        )
        _add(officer, consultation, QuestionKind.FREE_TEXT, "What do you think?", char_limit=10000)
        svc.open_now(officer, consultation)
        for row in comments:
            try:
                when = datetime.fromtimestamp(int(row["timestamp"]) / 1000, tz=now.tzinfo)
            except (KeyError, ValueError, OSError):
                when = now
            text = svc.clean_text(row["comment-body"])[:10000]
            _store(
                consultation,
                {1: (text, [])},
                when=when,
                respondent_type=RespondentType.NOT_SAID,
                source=ResponseSource.IMPORTED,
            )
        consultation.status = ConsultationStatus.CLOSED
        consultation.closes_at = now
        db_session.commit()
        lines.append(
            f"  Pol.is {folder.name}: {len(comments)} comments (/c/{council.slug}/consultations/{consultation.id})"
        )
    return lines


def seed(council: Council, polis_dir: str | None = None) -> list[str]:
    officer = _officer(council)
    if officer is None:
        return ["Consultations: no demo officer, skipped"]
    lines = ["Consultations:"]
    gasworks = _existing(council, GASWORKS_SLUG)
    if gasworks is None:
        gasworks = seed_gasworks(council, officer)
        db_session.commit()
    lines.append(
        f"  {gasworks.title}: {svc.response_count(gasworks)} responses (/c/{council.slug}/consultations/{gasworks.id})"
    )
    heat = _existing(council, HEAT_SLUG)
    if heat is None:
        heat = seed_heat(council, officer)
        db_session.commit()
    lines.append(
        f"  {heat.title} (email-verified): {svc.response_count(heat)} responses "
        f"(/c/{council.slug}/consultations/{heat.id})"
    )
    if polis_dir:
        lines.extend(seed_polis(council, officer, polis_dir))
    return lines
