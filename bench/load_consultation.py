"""Load benchmark: residents answering a consultation end to end, against gunicorn on this machine.

    python bench/load_consultation.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/engage_load
    python bench/load_consultation.py --database-url sqlite:////tmp/engage-load.sqlite

It makes a fresh database, migrates it, creates an open consultation (free text, single choice, support/oppose with
its "why", location), starts gunicorn with the settings in gunicorn.conf.py (workers and threads from the command
line), then at each concurrency level runs Locust (bench/locustfile.py, in its own process) for a bounded number of
resident journeys and seconds: read the consultation, start, answer every question page, check answers, submit, read
the reference number. Only 127.0.0.1 is contacted. Every request is timed. Afterwards it checks that every acknowledged
reference number is in the database with every answer intact.

Locust runs from its own virtual environment (--locust, the LOCUST variable, or $BENCH_VENV/bin/locust, by default
/work/bench-venv/bin/locust), so the application's requirements stay free of it.

Results go to bench/results/load_<database>.json and are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
READER_PASSWORD = "heron lantern compass"  # noqa: S105 - the benchmark officer's; bench/summary_pages.py sets it
BENCH_VENV = Path(os.environ.get("BENCH_VENV", "/work/bench-venv"))
sys.path.insert(0, str(ROOT))


@dataclass
class Level:
    concurrency: int
    seconds: float = 0.0
    journeys: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    submit_latencies: list[float] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)  # reference -> the free text that was sent
    failures: list[str] = field(default_factory=list)  # "503 Sorry, the service is unavailable", or the exception
    by_page: dict[str, list[float]] = field(default_factory=dict)  # readers: latencies per page


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def environment(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ENGAGE_ENV="development",
        DATABASE_URL=url,
        SECRET_KEY=secrets.token_urlsafe(40),
        RATELIMIT_ENABLED="false",
        PYTHONPATH=str(ROOT),
        JOBS_BACKEND="thread",
    )
    env.pop("REDIS_URL", None)
    return env


def set_up(env: dict[str, str]) -> str:
    """Migrate and create an open consultation (in child processes, with `env`); returns its path."""
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"]
    subprocess.run(flask, env=env, cwd=ROOT, check=True, capture_output=True)
    done = subprocess.run(
        [sys.executable, __file__, "--set-up"], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return done.stdout.strip().splitlines()[-1]


def set_up_readers(env: dict[str, str], answers: int) -> tuple[str, str]:
    """A second consultation with `answers` responses, analysed and its results published (bench/summary_pages.py
    builds it, in a child process with `env`); returns (summary page path, public results path)."""
    done = subprocess.run(
        [sys.executable, __file__, "--set-up-readers", str(answers)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    summary, public = done.stdout.strip().splitlines()[-1].split()
    return summary, public


def _set_up_readers_here(answers: int) -> str:
    sys.path.insert(0, str(ROOT / "bench"))
    from summary_pages import set_up as build

    from engage import create_app

    app = create_app({"JOBS_BACKEND": "eager", "NLP_EMBEDDER": "fake"})
    consultation_id, public = build(app, answers)
    return f"/analysis/consultations/{consultation_id}/summary {public}"


def _set_up_here() -> str:
    from engage import create_app
    from engage.auth.services import add_membership, create_user
    from engage.consultations import services as svc
    from engage.db import db, utcnow
    from engage.models import Council
    from engage.models.accounts import Role
    from engage.models.consultations import IdentityMode, QuestionKind, Topic

    app = create_app()
    with app.app_context():
        council = Council(slug="loadtown", name="Loadtown Council")
        db.session.add(council)
        db.session.flush()
        officer = create_user("officer@loadtown.example", "heron lantern compass", "Officer")
        add_membership(officer, council, Role.OFFICER)
        data = svc.ConsultationData(
            title="New homes and a cycle route",
            summary="Tell us what you think.",
            proposal="A proposal.",
            topic=Topic.PLANNING,
            opens_at=utcnow() - timedelta(days=1),
            closes_at=utcnow() + timedelta(days=30),
            identity_mode=IdentityMode.ANONYMOUS,
            wards=["North", "South", "East", "West"],
            retention_months=12,
            ask_about_you=False,
            ask_equality=False,
            privacy_extra="",
        )
        consultation = svc.create_consultation(officer, council, data)
        svc.add_question(officer, consultation, svc.QuestionData(QuestionKind.FREE_TEXT, "What matters most?"))
        svc.add_question(
            officer,
            consultation,
            svc.QuestionData(QuestionKind.SINGLE_CHOICE, "How often do you cycle?", options=["Daily", "Never"]),
        )
        svc.add_question(
            officer,
            consultation,
            svc.QuestionData(QuestionKind.SUPPORT_OPPOSE, "Do you support the plan?", why_text="Why?"),
        )
        svc.add_question(officer, consultation, svc.QuestionData(QuestionKind.LOCATION, "Where do you live?"))
        db.session.commit()
        svc.open_now(officer, consultation)
        db.session.commit()
        return f"/c/{council.slug}/consultations/{consultation.id}"


@contextmanager
def gunicorn(env: dict[str, str], workers: int, threads: int) -> Iterator[tuple[str, subprocess.Popen]]:
    """gunicorn serving Engage on a free loopback port, warmed up; yields (base URL, process)."""
    port = free_port()
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)}
    env["GUNICORN_THREADS"] = str(threads)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null", "wsgi:app"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urlopen(base + "/healthz", timeout=10) as response:  # noqa: S310 - our own loopback server
                    if response.status == 200:
                        break
            except (URLError, OSError):
                time.sleep(0.5)
        yield base, server
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def locust_command(explicit: str | None) -> str:
    """The Locust executable: --locust, else LOCUST, else the benchmark environment's, else the one on PATH."""
    for candidate in (explicit, os.environ.get("LOCUST"), str(BENCH_VENV / "bin" / "locust"), shutil.which("locust")):
        if candidate and Path(candidate).exists():
            return candidate
    sys.exit("Locust is not installed: see the README's Load section (pip install locust==2.47.0 in a venv of its own)")


def run_level(
    locust: str, base: str, user: str, concurrency: int, budget: int, max_seconds: float, extra_env: dict[str, str]
) -> Level:
    """One Locust run in its own process: `concurrency` users of class `user` until `budget` journeys (or reader
    requests) are done or `max_seconds` have passed."""
    level = Level(concurrency)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "level.json"
        env = {**os.environ, **extra_env, "LOAD_BUDGET": str(budget), "LOAD_OUT": str(out)}
        command = [
            locust, "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--host", base,
            "-u", str(concurrency), "-r", str(concurrency), "-t", f"{int(max_seconds)}s", "--stop-timeout", "30",
            "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0", user,
        ]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(command, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        data = json.loads(out.read_text())
        # the busy window, from the first journey's start to the last one's end (not Locust's own start-up)
        level.seconds = (data["t1"] - data["t0"]) if data.get("t1") else time.perf_counter() - started
    level.latencies = data["latencies"]
    level.submit_latencies = data["submit_latencies"]
    level.acknowledged = data["acknowledged"]
    level.failures = data["failures"]
    level.errors = len(level.failures)
    level.journeys = len(level.acknowledged) if user == "Resident" else data["finished"]
    level.by_page = data.get("by_page") or {}
    for failure in level.failures[:3]:
        print(f"  error: {failure}", file=sys.stderr)
    return level


def verify(env: dict[str, str], acknowledged: dict[str, str], consultation_id: int) -> tuple[int, int, int]:
    """(intact, lost, half-written): every acknowledged reference must be stored with all its answers and the
    free text as sent; a half-written response is any stored response missing some of its answers."""
    from sqlalchemy import create_engine, text

    engine = create_engine(env["DATABASE_URL"])
    with engine.connect() as connection:
        scope = {"c": consultation_id}
        questions = connection.execute(
            text("SELECT count(*) FROM consultation_question WHERE consultation_id = :c"), scope
        ).scalar_one()
        texts = dict(
            connection.execute(
                text(
                    "SELECT r.reference, a.text FROM consultation_response r "
                    "JOIN consultation_answer a ON a.response_id = r.id "
                    "JOIN consultation_question q ON q.id = a.question_id "
                    "WHERE q.kind = 'free_text' AND q.position = 1 AND r.consultation_id = :c"
                ),
                scope,
            ).all()
        )
        counts = dict(
            connection.execute(
                text(
                    "SELECT r.reference, count(a.id) FROM consultation_response r "
                    "LEFT JOIN consultation_answer a ON a.response_id = r.id WHERE r.consultation_id = :c "
                    "GROUP BY r.reference"
                ),
                scope,
            ).all()
        )
    engine.dispose()
    intact = sum(1 for ref, note in acknowledged.items() if texts.get(ref) == note and counts.get(ref) == questions)
    half_written = sum(1 for count in counts.values() if count != questions)
    return intact, len(acknowledged) - intact, half_written


def main() -> None:
    if sys.argv[1:] == ["--set-up"]:
        print(_set_up_here())
        return
    if sys.argv[1:2] == ["--set-up-readers"]:
        print(_set_up_readers_here(int(sys.argv[2])))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/engage_load")
    parser.add_argument("--levels", default="4,8,16,32", help="concurrent residents, comma-separated")
    parser.add_argument("--journeys", type=int, default=150, help="journeys per level (bounded)")
    parser.add_argument("--max-seconds", type=float, default=60, help="stop starting journeys after this")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--locust", default=None, help="the Locust executable (default: the benchmark venv's)")
    parser.add_argument("--reader-answers", type=int, default=10_000, help="answers behind the summary pages (0: skip)")
    parser.add_argument("--reader-levels", default="4,8,16", help="concurrent readers, comma-separated")
    parser.add_argument("--reader-requests", type=int, default=200, help="page requests per reader level")
    args = parser.parse_args()
    locust = locust_command(args.locust)

    fresh_database(args.database_url)
    env = environment(args.database_url)
    path = set_up(env)
    pages = set_up_readers(env, args.reader_answers) if args.reader_answers else None
    readers: list[dict] = []
    with gunicorn(env, args.workers, args.threads) as (base, _server):
        # One journey a worker first, so every worker has imported everything before the clock starts.
        residents = {"LOAD_PATH": path}
        warm = run_level(locust, base, "Resident", args.workers, args.workers, 120, residents)
        results = []
        acknowledged: dict[str, str] = dict(warm.acknowledged)
        for concurrency in [int(x) for x in args.levels.split(",")]:
            level = run_level(locust, base, "Resident", concurrency, args.journeys, args.max_seconds, residents)
            acknowledged.update(level.acknowledged)
            results.append(
                {
                    "concurrency": concurrency,
                    "journeys": level.journeys,
                    "errors": level.errors,
                    "seconds": round(level.seconds, 2),
                    "submissions_per_s": round(level.journeys / level.seconds, 1),
                    "requests_per_s": round(len(level.latencies) / level.seconds, 1),
                    "p50_ms": round(percentile(level.latencies, 50), 1),
                    "p95_ms": round(percentile(level.latencies, 95), 1),
                    "p99_ms": round(percentile(level.latencies, 99), 1),
                    "submit_p99_ms": round(percentile(level.submit_latencies, 99), 1),
                    "mean_ms": round(statistics.fmean(level.latencies) * 1000, 1) if level.latencies else None,
                }
            )
            print(json.dumps(results[-1]), flush=True)
        if pages:
            reading = {
                "LOAD_SUMMARY": pages[0],
                "LOAD_RESULTS": pages[1],
                "LOAD_EMAIL": "officer@benchtown.example",
                "LOAD_PASSWORD": READER_PASSWORD,
            }
            run_level(locust, base, "Reader", args.workers, args.workers * 2, 120, reading)  # warm every worker
            for concurrency in [int(x) for x in args.reader_levels.split(",")]:
                level = run_level(locust, base, "Reader", concurrency, args.reader_requests, args.max_seconds, reading)
                row: dict = {"concurrency": concurrency, "requests": level.journeys, "errors": level.errors}
                row["requests_per_s"] = round(level.journeys / level.seconds, 1)
                for name, key in ((pages[0], "summary"), (pages[1], "public")):
                    times = level.by_page.get(re.sub(r"/\d+", "/N", name), [])
                    for p in (50, 95, 99):
                        row[f"{key}_p{p}_ms"] = round(percentile(times, p), 1)
                readers.append(row)
                print(json.dumps(row), flush=True)
    consultation_id = int(path.rstrip("/").rsplit("/", 1)[-1])
    intact, lost, half_written = verify(env, acknowledged, consultation_id)
    database = "postgresql" if args.database_url.startswith("postgresql") else "sqlite"
    report = {
        "database": database,
        "gunicorn": {"workers": args.workers, "threads": args.threads, "worker_class": "gthread"},
        "cpus": os.cpu_count(),
        "levels": results,
        "readers": {"answers": args.reader_answers, "levels": readers},
        "acknowledged": len(acknowledged),
        "intact": intact,
        "lost": lost,
        "half_written": half_written,
    }
    out = ROOT / "bench" / "results" / f"load_{database}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"\n{database}, gunicorn {args.workers} workers x {args.threads} threads, {os.cpu_count()} cores")
    print("| residents at once | submissions/s | requests/s | p50 ms | p95 ms | p99 ms | submit p99 ms | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['concurrency']} | {r['submissions_per_s']} | {r['requests_per_s']} | {r['p50_ms']} | "
            f"{r['p95_ms']} | {r['p99_ms']} | {r['submit_p99_ms']} | {r['errors']} |"
        )
    print(f"\nacknowledged {len(acknowledged)}, intact {intact}, lost {lost}, half-written {half_written}")
    if readers:
        print(f"\nsummary and public results pages, {args.reader_answers:,} answers")
        print("| readers at once | pages/s | summary p50 / p95 / p99 ms | public p50 / p95 / p99 ms | errors |")
        print("|---|---|---|---|---|")
        for r in readers:
            print(
                f"| {r['concurrency']} | {r['requests_per_s']} | {r['summary_p50_ms']} / {r['summary_p95_ms']} / "
                f"{r['summary_p99_ms']} | {r['public_p50_ms']} / {r['public_p95_ms']} / {r['public_p99_ms']} | "
                f"{r['errors']} |"
            )
    if lost or half_written:
        sys.exit(1)


if __name__ == "__main__":
    main()
