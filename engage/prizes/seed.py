"""Demo content: a retrofit challenge prize with 20 entries, three judges' scores and a closed judging round, plus a
second prize open for entries. Safe to run twice."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from engage import LONDON
from engage.auth.services import add_membership, create_user, find_user
from engage.db import session as db_session
from engage.db import utcnow
from engage.models import Council, User
from engage.models.accounts import Role
from engage.models.prizes import Entry, EntryStatus, Prize, PrizeStatus, Team, TeamMember
from engage.prizes import services

WARM_HOMES = "Warm Homes Northbrook: retrofitting homes for net zero"
COOL_STREETS = "Cooler Streets Northbrook: keeping homes cool in heatwaves"
JUDGE_PASSWORD = "demo-password-for-judge"  # noqa: S105 - local demo only
ENTRANT_PASSWORD = "demo-password-for-entrant"  # noqa: S105 - local demo only
EXTRA_JUDGES = [("judge2@northbrook.example", "Prof Sam Okafor"), ("judge3@northbrook.example", "Rita Desai")]

PROBLEM = """Two in five of Northbrook's homes were built before 1919: solid-walled terraces that leak heat, are
expensive to warm and are hard to retrofit one house at a time. Homes make up 38% of the borough's carbon emissions.

We are looking for ways to **retrofit whole streets** of older homes so that they are warm, cheap to heat and on the
way to net zero, without pushing costs onto tenants or people on low incomes.

Your idea might be a technology, a way of financing or organising work, a service for residents, or all three."""

EVIDENCE = """- 14,200 homes in Northbrook are pre-1919 solid-wall terraces (council stock condition survey, 2025).
- 1 in 7 households are in fuel poverty, rising to 1 in 4 in Eastgate and Millbank wards.
- In the 2026 *Warmer Homes* consultation, residents' top worries were disruption, upfront cost and trusting
  installers."""

CRITERIA = (
    "Impact on carbon and bills | 3 | How much carbon and money it would save, for how many homes\n"
    "Feasibility | 2 | Whether it can be delivered in Northbrook within two years, with the skills available\n"
    "Fairness | 2 | Whether low-income households and tenants benefit and are protected from cost\n"
    "Scalability | 1 | Whether it could reach thousands of homes, here and elsewhere"
)
DESCRIPTORS = (
    "1: Little or no evidence that it meets the criterion\n2: Some evidence, with serious gaps\n"
    "3: Meets the criterion\n4: Meets it well, with good evidence\n5: Outstanding, with strong evidence"
)
FIELDS = (
    "Your solution | required | 300\nHow it would work in Northbrook | required | 300\n"
    "Costs and who pays | optional | 200"
)
ELIGIBILITY = (
    "Are you based in the UK? | yes | The prize is open to UK-based individuals and organisations\n"
    "Are you, or anyone in your team, employed by Northbrook Borough Council? | no | "
    "Council staff cannot enter, to keep judging fair"
)
TERMS = """By entering you confirm the entry is your own work, that you may share what you send, and that the council
may publish your entry's title and summary. Finalists agree to take part in a demonstration day."""
IP = """You keep the intellectual property in your entry. Winners grant Northbrook Borough Council a free licence to
use and share the idea for public benefit."""

# (team, organisation, title, solution, how it works, costs, quality on a 1-5 scale)
ENTRIES = [
    (
        "Terrace Together",
        "Terrace Together CIC",
        "Street-by-street solid wall insulation with one contractor",
        "A single contractor insulates a whole terrace at once with external wall insulation, so scaffolding, "
        "planning and disruption happen once per street rather than forty times.",
        "We would start in Eastgate, where 600 terraces share the same build. Residents vote street by street; the "
        "council's planning team agrees one design code for render and detailing.",
        "About £11,000 a home, falling to £8,500 at street scale. Grants cover low-income owners; landlords pay with a "
        "ten-year loan.",
        4.4,
    ),
    (
        "Heat Street",
        "Heat Street Ltd",
        "Shared ground loop heat pumps for terraced streets",
        "Boreholes drilled under the pavement feed a shared ground loop; every house on the street gets its own small "
        "heat pump connected to it, replacing gas boilers.",
        "The loop is owned by a community energy company and paid for by a small standing charge. We would pilot on "
        "two streets in Millbank with the highways team.",
        "£9,000 per home for the pump and connection; the loop is financed over 40 years like other infrastructure.",
        4.1,
    ),
    (
        "Loft Lads",
        "",
        "Volunteer loft insulation days",
        "Trained volunteers insulate lofts on weekend work days, with a professional supervisor for each team.",
        "Church halls and the football club host kit; the council provides lists of homes with little loft insulation.",
        "Materials only, about £400 a home, from a crowdfunder.",
        2.6,
    ),
    (
        "Northbrook Retrofit Hub",
        "Northbrook Library Trust",
        "A one-stop retrofit advice shop in the library",
        "A walk-in shop where homeowners get a free home survey, a plan of what to do in which order, and a list of "
        "vetted installers.",
        "Open four days a week in the central library, staffed by two retrofit coordinators, with outreach sessions in "
        "each ward.",
        "£180,000 a year for staff and surveys, from the council and a utility partner.",
        3.7,
    ),
    (
        "Warm Lease",
        "Warm Lease Partners",
        "Heat as a service for private landlords",
        "Landlords pay a monthly fee; we install, own and maintain heat pumps and insulation, and guarantee a warm "
        "home and a capped bill for tenants.",
        "We would work with Northbrook's landlord licensing scheme to reach 3,000 privately rented terraces.",
        "No upfront cost to landlords; fee of £45 a month per home over 15 years.",
        3.9,
    ),
    (
        "Draught Busters",
        "",
        "Draught-proofing kits and a how-to video for renters",
        "A free kit of brush strips, letterbox covers and chimney balloons, with a video showing tenants how to fit it "
        "without damaging the property.",
        "Handed out at food banks, GP surgeries and the housing office over the winter.",
        "£35 a kit; 5,000 kits would cost £175,000.",
        2.9,
    ),
    (
        "Solar Roofs Co-op",
        "Northbrook Community Energy",
        "Community-owned solar on terraced roofs",
        "A co-operative rents terraced roofs, installs solar panels and sells the electricity to the households "
        "underneath at a discount.",
        "Members invest from £50; profits pay for insulation in fuel-poor homes on the same streets.",
        "£4,500 per roof, raised by community shares.",
        3.4,
    ),
    (
        "Retrofit Academy",
        "Northbrook College",
        "Training local people as retrofit installers",
        "A 12-week course for unemployed residents and career changers in insulation, ventilation and heat pump "
        "fitting, with paid placements on council retrofit jobs.",
        "The college runs the course; the council guarantees placements on its own housing stock.",
        "£3,200 per trainee; 60 trainees a year.",
        3.8,
    ),
    (
        "ThermaScan",
        "ThermaScan Ltd",
        "Thermal imaging drive-by surveys of every street",
        "A van with thermal cameras maps heat loss from every home in the borough in a fortnight, so that help can be "
        "targeted at the leakiest streets.",
        "Maps are shared with residents by letter with a picture of their own home and an offer of a free survey.",
        "£60,000 for the borough-wide survey.",
        2.4,
    ),
    (
        "Block by Block",
        "Eastgate Housing Association",
        "Whole-house retrofit of housing association terraces",
        "We retrofit our 400 Eastgate terraces to EnerPHit standard: insulation, triple glazing, heat pumps and "
        "mechanical ventilation, one block at a time.",
        "Tenants move to a furnished decant home for three weeks; we have done 12 homes already.",
        "£48,000 a home, part-funded by the Warm Homes: Social Housing Fund.",
        4.0,
    ),
    (
        "Warm Walls",
        "",
        "Internal wall insulation with thin aerogel boards",
        "Thin aerogel boards insulate solid walls from the inside while losing only 2cm of room space, so façades "
        "and conservation areas are not affected.",
        "Fitted room by room, so households can spread the work and cost.",
        "About £120 a square metre fitted.",
        3.1,
    ),
    (
        "Green Loans Northbrook",
        "Northbrook Credit Union",
        "Low-interest retrofit loans through the credit union",
        "The credit union offers loans at 2% for insulation and heat pumps, repaid from bill savings, with a council "
        "guarantee against defaults.",
        "Applications go through the retrofit advice shop, which checks the work is worthwhile first.",
        "A £2 million loan fund, with a £300,000 council guarantee.",
        3.6,
    ),
    (
        "Heat Street Two",
        "Heat Street Ltd",
        "Shared ground loop heat pumps for whole terraced streets",
        "Boreholes drilled under the pavement feed a shared ground loop; every house on the street gets its own heat "
        "pump connected to it, replacing gas boilers street by street.",
        "The loop is owned by a community energy company and paid for by a standing charge. We would pilot on two "
        "streets in Millbank.",
        "£9,000 per home; the loop is financed over 40 years.",
        3.9,
    ),
    (
        "Smart Radiators",
        "Radiant Labs",
        "Smart thermostatic valves for every radiator",
        "Wireless valves learn when each room is used and heat only those rooms, cutting gas use by up to 20% "
        "before any building work.",
        "Fitted in an hour by our installers; residents control them with a phone or a simple dial.",
        "£250 a home.",
        2.8,
    ),
    (
        "Millbank Mutual Aid",
        "",
        "Neighbour retrofit champions",
        "Residents who have retrofitted their homes show neighbours round, explain what it was like and help them "
        "find trusted installers.",
        "Champions are paid a small fee per visit and trained by the advice shop.",
        "£40,000 a year for 30 champions.",
        3.0,
    ),
    (
        "Victorian Windows",
        "Sash Revival Ltd",
        "Secondary glazing for sash windows in conservation areas",
        "Slim, removable secondary glazing panels that keep original sash windows and cut heat loss through them by "
        "60%.",
        "Made locally in Northbrook's workshop units; fitted in a day.",
        "£600 a window; grants for low-income households.",
        3.2,
    ),
    (
        "Passive Street",
        "Passive Street Architects",
        "Factory-built insulated façades for terraces",
        "Insulated panels are made in a factory from laser scans of each house and clipped onto the back and front in "
        "two days, Energiesprong style.",
        "A pilot of 20 homes in Eastgate, with performance guaranteed for 30 years.",
        "£55,000 a home at pilot scale, falling to £30,000 at volume.",
        3.5,
    ),
    (
        "Heat Bank",
        "",
        "Thermal batteries to shift heating to cheap hours",
        "A cupboard-sized thermal battery stores heat from off-peak electricity and releases it when needed, "
        "halving running costs for homes with heat pumps or electric heating.",
        "Offered to flats and small terraces where a heat pump alone is hard to fit.",
        "£3,500 a unit.",
        2.7,
    ),
    (
        "Fair Warmth",
        "Northbrook Citizens Advice",
        "Protecting tenants from retrofit rent rises",
        "A landlord agreement that ties grant funding to a three-year rent freeze, plus advice for tenants whose "
        "landlords retrofit.",
        "Run with the council's private housing team through the licensing scheme.",
        "£90,000 a year for two advisers.",
        3.3,
    ),
    (
        "Eco Paint",
        "",
        "Insulating paint for walls",
        "A ceramic paint that insulates walls when applied in two coats.",
        "Sold through DIY shops in Northbrook.",
        "£80 a tin.",
        1.6,
    ),
]
BIAS = {0: 0.0, 1: 1.0, 2: -0.3}  # the second demo judge is lenient, the third harsh


def _judges(council: Council) -> list[User]:
    judges = []
    for email, name in [("judge@northbrook.example", "Dr Jo Whitfield"), *EXTRA_JUDGES]:
        user = find_user(email) or create_user(email, JUDGE_PASSWORD, name, check=False)
        add_membership(user, council, Role.JUDGE)
        judges.append(user)
    db_session.commit()
    return judges


def _officer(council: Council) -> User:
    officer = find_user("officer@northbrook.example")
    if officer is None:
        officer = create_user("officer@northbrook.example", "demo-password-for-officer", "Owen Hughes", check=False)
        add_membership(officer, council, Role.OFFICER)
        db_session.commit()
    return officer


def _input(title: str, summary: str, closes_in_days: int) -> services.PrizeInput:
    deadline = (utcnow() + timedelta(days=closes_in_days)).astimezone(LONDON).strftime("%d/%m/%Y 17:00")
    return services.PrizeInput(
        title=title,
        summary=summary,
        problem=PROBLEM,
        evidence=EVIDENCE,
        prize_money="£100,000: £50,000 for the winner, £10,000 each for five finalists",
        entry_closes=deadline,
        shortlist_closes="",
        final_closes="",
        criteria=CRITERIA,
        score_min=1,
        score_max=5,
        descriptors=DESCRIPTORS,
        eligibility=ELIGIBILITY,
        entry_fields=FIELDS,
        allow_attachments=True,
        terms=TERMS,
        ip_conditions=IP,
        blind_judging=True,
        judges_per_entry=2,
        judge_cap=16,
        shortlist_size=5,
    )


def _entrant(index: int, team: str, password_hash: str | None) -> User:
    email = f"entrant{index:02d}@northbrook.example"
    user = find_user(email)
    if user is None:
        if password_hash is None:
            user = create_user(email, ENTRANT_PASSWORD, f"{team} lead", check=False)
        else:
            user = User(email=email, name=f"{team} lead", password_hash=password_hash, email_verified_at=utcnow())
            from engage.security import new_token

            user.session_token = new_token()[:32]
            db_session.add(user)
            db_session.flush()
    return user


def _warm_homes(council: Council, officer: User, judges: list[User]) -> Prize:
    prize = services.create_prize(
        officer,
        council,
        _input(WARM_HOMES, "Ideas to make Northbrook's older homes warm, affordable and low carbon", 30),
    )
    services.set_status(officer, prize, PrizeStatus.OPEN)
    password_hash = None
    start = utcnow() - timedelta(days=40)
    for index, (team_name, organisation, title, solution, how, costs, _quality) in enumerate(ENTRIES, start=1):
        user = _entrant(index, team_name, password_hash)
        password_hash = user.password_hash
        team = Team(name=team_name, organisation=organisation, created_by_id=user.id)
        team.members.append(TeamMember(user_id=user.id, is_lead=True))
        db_session.add(team)
        entry = Entry(
            prize=prize,
            team=team,
            title=title,
            answers={"f1": solution, "f2": how, "f3": costs},
            eligibility_answers={"q0": "yes", "q1": "no"},
            terms_accepted_at=start,
            status=EntryStatus.SUBMITTED,
            submitted_at=start + timedelta(days=index, hours=index % 7),
        )
        db_session.add(entry)
    db_session.commit()
    # The entry deadline has passed; judging starts.
    entry_stage = prize.stage(services.StageKind.ENTRY)
    entry_stage.closes_at = utcnow() - timedelta(days=14)
    services.set_status(officer, prize, PrizeStatus.JUDGING)
    entries = services.submitted_entries(prize)
    # The third judge declares a conflict with the advice shop (they sit on the library trust's board).
    conflicted = next(e for e in entries if e.team.name == "Northbrook Retrofit Hub")
    for number, judge in enumerate(judges):
        services.declare_conflicts(
            judge,
            prize,
            [conflicted.id] if number == 2 else [],
            "I am a trustee of the Northbrook Library Trust" if number == 2 else "",
        )
    services.auto_assign(officer, prize, 2, 16, seed=7)
    rng = random.Random(2026)
    split_seen: set[int] = set()
    quality = {e.id: ENTRIES[[x[2] for x in ENTRIES].index(e.title)][6] for e in entries}
    for assignment in services.prize_assignments(prize):
        number = next(i for i, j in enumerate(judges) if j.id == assignment.judge_id)
        values, comments = {}, {}
        for criterion in prize.criteria:
            raw = 2.6 + (quality[assignment.entry_id] - 3) * 1.3 + BIAS.get(number, 0.0) + rng.gauss(0, 0.3)
            if assignment.entry.team.name == "Heat Bank":  # the judges split on thermal batteries
                raw = 4.6 if assignment.entry_id not in split_seen else 1.4
            values[criterion.id] = max(1, min(5, round(raw)))
        comments[prize.criteria[0].id] = (
            "Clear estimate of savings." if values[prize.criteria[0].id] >= 4 else ("Savings are not evidenced.")
        )
        split_seen.add(assignment.entry_id)
        services.save_scores(judges[number], assignment, values, comments)
    services.set_status(officer, prize, PrizeStatus.CLOSED)
    return prize


def seed(council: Council, polis_dir: str | None = None) -> list[str]:
    officer = _officer(council)
    judges = _judges(council)
    lines = ["Challenge prizes:"]
    for email, _name in EXTRA_JUDGES:
        lines.append(f"  judge        {email:34} {JUDGE_PASSWORD}")
    existing = db_session.scalar(select(Prize).where(Prize.council_id == council.id, Prize.title == WARM_HOMES))
    if existing is None:
        existing = _warm_homes(council, officer, judges)
        lines.append(f"  created “{WARM_HOMES}” with {len(ENTRIES)} entries, scores and a closed judging round")
    lines.append(
        f"  results: /prizes/{existing.id}/results (officer); entrants: entrant01@northbrook.example "
        f"... entrant{len(ENTRIES):02d}@northbrook.example, password {ENTRANT_PASSWORD}"
    )
    if db_session.scalar(select(Prize).where(Prize.council_id == council.id, Prize.title == COOL_STREETS)) is None:
        cool = services.create_prize(
            officer, council, _input(COOL_STREETS, "Ideas to keep Northbrook's homes and streets cool in heatwaves", 45)
        )
        cool.problem = (
            "Summer heatwaves now bring indoor temperatures above 30°C in Northbrook's top-floor flats. We want "
            "low-cost ways to keep homes and streets cool without air conditioning."
        )
        cool.evidence = "- 2,300 households live in top-floor flats with no shading.\n- Heat deaths doubled in 2025."
        db_session.commit()
        services.set_status(officer, cool, PrizeStatus.OPEN)
        lines.append(f"  created “{COOL_STREETS}”, open for entries: /prizes/{cool.id}")
    return lines
