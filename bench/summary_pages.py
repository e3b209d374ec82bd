"""The council summary page, the public results page, a theme's answers and search with many answers: how long each
request takes.

    PYTHONPATH=. .venv/bin/python bench/summary_pages.py --label after
    PYTHONPATH=. .venv/bin/python bench/summary_pages.py --label after \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/engage_summary

It builds a fresh database (a temporary SQLite file by default; for PostgreSQL the database named in the URL is
dropped and created again), with a council, an officer and a consultation asking "Do you support the plan?"
(support/oppose), "Why?" (free text, its stance from the first question) and "Where do you live?" (ward). It inserts
N submitted responses in bulk (default 10,000; generated text from a few hundred phrase combinations, some campaign
copies and some "no comment"; a few duplicates, withdrawn responses and answers hidden by a moderator), runs the theme
analysis in the foreground with the fake embedder, updates PostgreSQL's table statistics (ANALYZE, as
autovacuum would on a live server), closes the consultation and publishes its results.

Then, in this process with the Flask test client, it times repeated GETs of the summary page (signed in as the
officer), of the public results page, of the second page of the largest theme's answers (signed in) and of a search by
meaning across the consultation (signed in as an analyst), after two warm-up requests each. Results are kept per
--label (e.g. "before" and "after" a change) and database in bench/results/summary_pages.json, and all of them are
printed as one Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from load_consultation import fresh_database  # noqa: E402 - one way to start from an empty database

RESULTS = ROOT / "bench" / "results" / "summary_pages.json"
PASSWORD = "heron lantern compass"  # noqa: S105
WARDS = ["Abbey", "Castle", "Riverside", "Northfield", "Mill End", "Westgate"]
TYPES = ["resident"] * 6 + ["business", "community_group", "organisation", "not_said"]
PAGES = {
    "summary_page": "council summary",
    "public_page": "public results",
    "theme_answers_page": "largest theme's answers, page 2",
    "search_page": "search by meaning (analyst)",
}
STANCES = ["strongly_support", "support", "neutral", "oppose", "strongly_oppose"]

OPENINGS = [
    "I am worried about",
    "Please do something about",
    "I strongly object to",
    "I fully support",
    "We need better",
    "The plan ignores",
    "I welcome the changes to",
    "Nobody has thought about",
    "My family is affected by",
    "It is time to fix",
    "I would like more detail on",
    "Think again about",
]
SUBJECTS = [
    "parking on the high street",
    "the old trees in the park",
    "traffic at the ring road junction",
    "affordable homes for young families",
    "the bus service to the hospital",
    "safe cycle lanes to school",
    "noise from the new warehouse",
    "flooding by the river path",
    "litter and fly-tipping near the shops",
    "street lighting on the footpaths",
    "the cost of council tax",
    "speeding on residential roads",
    "access for wheelchair users",
    "the closure of the library",
    "air quality near the primary school",
    "the loss of green space",
]
ENDINGS = [
    "",
    " because it is getting worse every year",
    " and I hope the council listens",
    " as it affects older residents most",
    " since nothing has changed in years",
    " before any more building goes ahead",
    ", it matters to everyone here",
    " and the consultation should say so",
]
CAMPAIGN = (
    "I support the Save Our Park campaign: keep every tree, protect the green space and put the homes somewhere else."
)
NOTHING = ["No comment", "n/a", "Nothing to add", "none", "No"]


def texts_for(n: int, seed: int = 7) -> list[str]:
    """N answers: mostly OPENINGS x SUBJECTS x ENDINGS (1,536 combinations), 3% one campaign text, 2% nothing."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.03:
            out.append(CAMPAIGN)
        elif roll < 0.05:
            out.append(rng.choice(NOTHING))
        else:
            text = f"{rng.choice(OPENINGS)} {rng.choice(SUBJECTS)}{rng.choice(ENDINGS)}."
            if rng.random() < 0.3:
                text += f" Also {rng.choice(SUBJECTS)}."
            out.append(text + (f" ({i % 97})" if rng.random() < 0.2 else ""))
    return out


def set_up(app, n: int) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    """The council, officer, analyst, consultation and N responses, analysed and published. Returns (id, public URL,
    URL of the second page of the largest theme's answers)."""
    from sqlalchemy import insert
    from sqlalchemy import text as sql_text

    from engage.analysis import runner, services
    from engage.auth.services import add_membership, create_user
    from engage.consultations import services as svc
    from engage.db import db, utcnow
    from engage.models import Council
    from engage.models.accounts import Role
    from engage.models.analysis import AnalysisRun, RunStatus
    from engage.models.consultations import (
        Answer,
        Consultation,
        IdentityMode,
        QuestionKind,
        Response,
        ResponseStatus,
        Topic,
    )

    rng = random.Random(11)
    with app.app_context():
        db.create_all()
        council = Council(slug="benchtown", name="Benchtown Council")
        db.session.add(council)
        db.session.flush()
        officer = create_user("officer@benchtown.example", PASSWORD, "Officer", check=False)
        add_membership(officer, council, Role.OFFICER)
        analyst = create_user("analyst@benchtown.example", PASSWORD, "Analyst", check=False)
        add_membership(analyst, council, Role.ANALYST)
        data = svc.ConsultationData(
            title="Town centre plan",
            summary="Tell us what you think.",
            proposal="A proposal.",
            topic=Topic.PLANNING,
            opens_at=utcnow() - timedelta(days=1),
            closes_at=utcnow() + timedelta(days=30),
            identity_mode=IdentityMode.ANONYMOUS,
            wards=WARDS,
            retention_months=12,
            ask_about_you=True,
            ask_equality=False,
            privacy_extra="",
        )
        consultation = svc.create_consultation(officer, council, data)
        svc.add_question(
            officer,
            consultation,
            svc.QuestionData(QuestionKind.SUPPORT_OPPOSE, "Do you support the plan?", why_text="Why?"),
        )
        svc.add_question(officer, consultation, svc.QuestionData(QuestionKind.LOCATION, "Where do you live?"))
        db.session.commit()
        svc.open_now(officer, consultation)
        db.session.commit()
        questions = {q.kind: q for q in consultation.questions}
        stance_q, why_q, where_q = (
            questions[QuestionKind.SUPPORT_OPPOSE],
            questions[QuestionKind.FREE_TEXT],
            questions[QuestionKind.LOCATION],
        )
        assert why_q.stance_question_id == stance_q.id

        t0 = time.perf_counter()
        now = utcnow()
        texts = texts_for(n)
        batch = 2000
        for start in range(0, n, batch):
            chunk = range(start, min(n, start + batch))
            people = []
            for i in chunk:
                roll = rng.random()
                status = (
                    ResponseStatus.WITHDRAWN
                    if roll < 0.01
                    else ResponseStatus.DUPLICATE
                    if roll < 0.02
                    else ResponseStatus.VALID
                )
                people.append(
                    {
                        "consultation_id": consultation.id,
                        "reference": f"BT{i:07d}",
                        "idempotency_key": f"bench-summary-{i}",
                        "respondent_type": rng.choice(TYPES),
                        "ward": rng.choice(WARDS) if rng.random() < 0.9 else "",
                        "status": status,
                        "submitted_at": now - timedelta(days=28) + timedelta(seconds=rng.randrange(28 * 86400)),
                    }
                )
            ids = db.session.scalars(
                insert(Response).returning(Response.id, sort_by_parameter_order=True), people
            ).all()
            answers = []
            for i, response_id, person in zip(chunk, ids, people, strict=True):
                text = texts[i]
                answers.append(
                    {
                        "response_id": response_id,
                        "question_id": why_q.id,
                        "text": text,
                        "redacted_text": text,
                        "choices": [],
                        "hidden": rng.random() < 0.005,
                    }
                )
                if rng.random() < 0.92:
                    answers.append(
                        {"response_id": response_id, "question_id": stance_q.id, "choices": [rng.choice(STANCES)]}
                    )
                if person["ward"]:
                    answers.append({"response_id": response_id, "question_id": where_q.id, "choices": [person["ward"]]})
            db.session.execute(insert(Answer), answers)
            db.session.commit()
        print(f"{n:,} responses inserted in {time.perf_counter() - t0:.1f} s", flush=True)

        t0 = time.perf_counter()
        run = services.create_run(consultation, None)
        db.session.commit()
        runner.execute(run.id)
        db.session.expire_all()
        run = db.session.get(AnalysisRun, run.id)
        assert run.status == RunStatus.SUCCEEDED, run.error
        print(f"analysis ({run.answer_count:,} answers) in {time.perf_counter() - t0:.1f} s", flush=True)

        if db.engine.dialect.name == "postgresql":  # table statistics, as autovacuum keeps them on a live server
            db.session.execute(sql_text("ANALYZE"))
            db.session.commit()
        consultation = db.session.get(Consultation, consultation.id)
        svc.close_now(officer, consultation)
        svc.publish(officer, consultation, "We heard you: the plan changes as set out below.")
        db.session.commit()
        largest = max(
            (t for t in services.current_sets(consultation)[why_q.id].themes if t.parent_id is None),
            key=lambda t: len(services.members_of(t)),
        )
        theme_url = f"/analysis/themes/{largest.id}/answers?page=2"
        return consultation.id, f"/analysis/results/{council.slug}/{consultation.id}", theme_url


def signed_in(app, email: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    signed = client.post("/sign-in", data={"email": email, "password": PASSWORD})
    assert signed.status_code in (302, 303), signed.status_code
    return client


def timings(client, url: str, repeat: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    for _ in range(2):
        page = client.get(url)
        assert page.status_code == 200, (url, page.status_code)
    seconds = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        page = client.get(url)
        seconds.append(time.perf_counter() - t0)
        assert page.status_code == 200, (url, page.status_code)
    ms = sorted(s * 1000 for s in seconds)
    return {
        "requests": repeat,
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))], 1),
        "max_ms": round(ms[-1], 1),
        "bytes": len(page.data),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--answers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--label", default="current", help='what these figures are, e.g. "before" or "after"')
    args = parser.parse_args()

    os.environ.setdefault("ENGAGE_ENV", "development")
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='engage-summary-')) / 'bench.sqlite'}"
    fresh_database(url)
    from engage import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "JOBS_BACKEND": "eager",
            "NLP_EMBEDDER": "fake",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    consultation_id, public_url, theme_url = set_up(app, args.answers)

    officer = signed_in(app, "officer@benchtown.example")
    summary = timings(officer, f"/analysis/consultations/{consultation_id}/summary", args.requests)
    public = timings(app.test_client(), public_url, args.requests)
    theme = timings(officer, theme_url, args.requests)
    analyst = signed_in(app, "analyst@benchtown.example")
    search_url = f"/analysis/consultations/{consultation_id}/search?q=parking+near+the+school"
    search = timings(analyst, search_url, args.requests)

    database = "postgresql" if url.startswith("postgresql") else "sqlite"
    result = {
        "label": args.label,
        "database": database,
        "answers": args.answers,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "summary_page": summary,
        "public_page": public,
        "theme_answers_page": theme,
        "search_page": search,
    }
    stored = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    stored = [r for r in stored if (r["label"], r["database"], r["answers"]) != (args.label, database, args.answers)]
    stored.append(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(stored, indent=1) + "\n")

    print(f"\n{os.cpu_count()} cores, in-process test client, {args.requests} requests per page after 2 warm-up")
    print("| label | database | answers | page | p50 ms | p95 ms | max ms |")
    print("|---|---|---:|---|---:|---:|---:|")
    for r in stored:
        for key, name in PAGES.items():
            if key in r:
                t = r[key]
                print(
                    f"| {r['label']} | {r['database']} | {r['answers']:,} | {name} | {t['p50_ms']} | {t['p95_ms']} "
                    f"| {t['max_ms']} |"
                )


if __name__ == "__main__":
    main()
