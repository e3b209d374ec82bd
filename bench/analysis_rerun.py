"""Theme analysis in the app: time from "start analysis" to themes on screen, first run versus reruns.

    PYTHONPATH=. .venv/bin/python bench/analysis_rerun.py --sizes 1000 10000

For each size it loads that many answers into a fresh database (real petition titles from ../shared/data when
present, else generated text), then times, each time from queueing the run to the councillor's summary page:
  first     nothing cached: every answer is embedded, then reduce, cluster, label
  unchanged the same answers again: the earlier fitted result is reused
  refit     the same answers, fitting again (`flask analysis run --refit`): embeddings come from the cache
  +1% new   1% more answers: only those are embedded, the rest come from the cache
The numba code of UMAP/HDBSCAN is compiled once before timing (a long-running worker pays that once).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "petitions"
RESULTS = ROOT / "bench" / "results"


def texts_for(n: int, seed: int = 1) -> tuple[list[str], str]:
    rng = random.Random(seed)
    if DATA.is_dir():
        seen: dict[str, None] = {}
        for path in sorted(DATA.glob("*.csv")):
            with path.open(newline="", encoding="utf-8", errors="ignore") as f:
                for row in csv.DictReader(f):
                    text = (row.get("Petition") or "").strip()
                    if text:
                        seen.setdefault(text)
        pool = list(seen)
        rng.shuffle(pool)
        if len(pool) >= n:
            return pool[:n], "UK Parliament petition titles"
    topics = ["parking", "trees", "traffic", "affordable homes", "bus services", "cycle lanes", "schools", "noise"]
    verbs = ["worried about", "pleased with", "against more", "in favour of better", "asking for safer"]
    places = ["Mill Lane", "the station", "the park", "Market Square", "the bypass", "Castle Road", "the estate"]
    return [
        f"I am {rng.choice(verbs)} {rng.choice(topics)} near {rng.choice(places)} because of {rng.choice(topics)} {i}"
        for i in range(n)
    ], "generated text"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--embedder", choices=["sentence", "fake"], default="sentence")
    args = parser.parse_args()

    from nlp import warm_up

    t = time.perf_counter()
    warm_up()
    print(f"UMAP/HDBSCAN compiled in {time.perf_counter() - t:.1f} s (once per worker process; not in the figures)")
    results = []
    for n in args.sizes:
        results.append(bench_size(n, args.embedder))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "analysis_rerun.json").write_text(json.dumps(results, indent=1))
    print()
    print("| answers | first run | unchanged rerun | speed-up | refit from cache | speed-up | +1% new answers |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['answers']:,} | {r['first']:.1f} s | {r['unchanged']:.2f} s | {r['first'] / r['unchanged']:.0f}x "
            f"| {r['refit']:.1f} s | {r['first'] / r['refit']:.1f}x | {r['plus_new']:.1f} s |"
        )


def bench_size(n: int, embedder: str) -> dict:
    from engage import create_app
    from engage.analysis import runner, services
    from engage.auth.services import add_membership, create_user
    from engage.db import db, utcnow
    from engage.models import Council
    from engage.models.accounts import Role
    from engage.models.consultations import (
        Answer,
        Consultation,
        ConsultationStatus,
        Question,
        QuestionKind,
        Response,
        ResponseStatus,
    )

    folder = Path(tempfile.mkdtemp(prefix="engage-bench-"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite'}",
            "JOBS_BACKEND": "eager",
            "NLP_EMBEDDER": embedder,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    texts, source = texts_for(int(n * 1.01) + 1)
    base, extra = texts[:n], texts[n:]
    out: dict = {"answers": n, "source": source, "embedder": embedder}
    with app.app_context():
        db.create_all()
        council = Council(slug="bench", name="Bench Borough Council")
        db.session.add(council)
        db.session.flush()
        user = create_user("councillor@bench.example", "correct horse battery staple", "Councillor", check=False)
        add_membership(user, council, Role.COUNCILLOR)
        consultation = Consultation(council_id=council.id, slug="bench", title="Bench", status=ConsultationStatus.OPEN)
        db.session.add(consultation)
        db.session.flush()
        question = Question(consultation_id=consultation.id, position=1, kind=QuestionKind.FREE_TEXT, text="Why?")
        db.session.add(question)
        db.session.commit()
        consultation_id, question_id = consultation.id, question.id

        def add(items: list[str], start: int) -> None:
            now = utcnow()
            for i, text in enumerate(items, start):
                response = Response(
                    consultation_id=consultation_id,
                    reference=f"B{i:07d}",
                    idempotency_key=f"bench-{i}",
                    status=ResponseStatus.VALID,
                    submitted_at=now,
                )
                db.session.add(response)
                db.session.flush()
                db.session.add(Answer(response_id=response.id, question_id=question_id, text=text, redacted_text=text))
            db.session.commit()

        add(base, 0)
    client = app.test_client()
    client.post("/sign-in", data={"email": "councillor@bench.example", "password": "correct horse battery staple"})

    def timed(label: str, refit: bool = False) -> float:
        with app.app_context():
            consultation = db.session.get(Consultation, consultation_id)
            t0 = time.perf_counter()
            run = services.create_run(consultation, None, refit=refit)
            db.session.commit()
            runner.execute(run.id)
            page = client.get(f"/analysis/consultations/{consultation_id}/summary")
            seconds = time.perf_counter() - t0
            db.session.expire_all()
            run = db.session.get(type(run), run.id)
            assert run.status.value == "succeeded", run.error
            assert page.status_code == 200
            print(
                f"{n:>6} answers  {label:<10} {seconds:7.2f} s  embedded {run.stats.get('embedded', 0):>6}  "
                f"cached {run.stats.get('cached', 0):>6}  reused {run.stats.get('reused', 0)}",
                flush=True,
            )
            return seconds

    out["first"] = timed("first")
    out["unchanged"] = timed("unchanged")
    out["refit"] = timed("refit", refit=True)
    with app.app_context():
        add(extra, n)
    out["plus_new"] = timed("+1% new")
    return out


if __name__ == "__main__":
    main()
