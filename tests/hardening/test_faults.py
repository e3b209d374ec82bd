"""Faults under load: a gunicorn worker killed in the middle of submissions loses nothing it acknowledged."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.engine import make_url

from bench import load_consultation as load
from tests.conftest import TEST_DATABASE_URL, need_service
from tests.hardening import journeys

pytestmark = pytest.mark.slow


def fault_database(tmp_path) -> str:
    if TEST_DATABASE_URL:
        return str(make_url(TEST_DATABASE_URL).set(database="engage_faults").render_as_string(hide_password=False))
    return f"sqlite:///{tmp_path / 'faults.sqlite'}"


def consultation_of(path: str) -> int:
    return int(path.rstrip("/").rsplit("/", 1)[-1])


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def test_killing_a_gunicorn_worker_mid_submission_loses_nothing_acknowledged(tmp_path):
    url = fault_database(tmp_path)
    load.fresh_database(url)
    env = load.environment(url)
    path = load.set_up(env)
    level = load.Level(concurrency=6)
    lock = threading.Lock()
    with load.gunicorn(env, workers=2, threads=4) as (base, server):
        journeys.run_level(base, path, 2, 2, 120)  # warm both workers
        with ThreadPoolExecutor(max_workers=6) as pool:
            futures = [pool.submit(journeys.journey, base, path, level, lock) for _ in range(36)]
            deadline = time.monotonic() + 60
            while level.journeys < 6 and time.monotonic() < deadline:
                time.sleep(0.05)
            victims = worker_pids(server.pid)
            assert victims, "gunicorn has no workers"
            os.kill(victims[0], signal.SIGKILL)  # mid-request for some residents
            for future in futures:
                future.result()
        # gunicorn replaces the dead worker and keeps serving.
        after = load.Level(concurrency=2)
        journeys.journey(base, path, after, lock)
        assert after.journeys == 1
    intact, lost, half_written = load.verify(env, {**level.acknowledged, **after.acknowledged}, consultation_of(path))
    assert lost == 0
    assert half_written == 0
    assert intact == level.journeys + 1
    assert level.journeys + level.errors == 36


def restart_postgresql() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "--", "-m", "fast"],
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_postgresql_restart_fails_requests_cleanly_and_service_returns(tmp_path):
    if not TEST_DATABASE_URL:
        need_service("PostgreSQL", "TEST_DATABASE_URL is not set")
    if not os.path.isdir("/etc/postgresql") or os.geteuid() != 0:
        need_service("a PostgreSQL server this test may restart", "it needs root and a local cluster")
    url = fault_database(tmp_path)
    load.fresh_database(url)
    env = load.environment(url)
    path = load.set_up(env)
    level = load.Level(concurrency=3)
    lock = threading.Lock()
    with load.gunicorn(env, workers=2, threads=2) as (base, _server):
        journeys.run_level(base, path, 2, 2, 120)
        stop = threading.Event()

        def residents() -> None:
            while not stop.is_set():
                journeys.journey(base, path, level, lock)

        threads = [threading.Thread(target=residents) for _ in range(3)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        restart_postgresql()
        time.sleep(3)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        # Once PostgreSQL is back, residents get through again.
        after = load.Level(concurrency=1)
        for _ in range(3):
            journeys.journey(base, path, after, lock)
        assert after.journeys == 3, after.failures
    assert level.failures, "the restart interrupted no request: the fault was not exercised"
    # Every failure a resident saw was the service-unavailable page, never a bare error.
    assert all(failure == "503 Sorry, the service is unavailable" for failure in level.failures), level.failures
    intact, lost, half_written = load.verify(env, {**level.acknowledged, **after.acknowledged}, consultation_of(path))
    assert (lost, half_written) == (0, 0)
    assert intact == level.journeys + 3
