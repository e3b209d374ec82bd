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
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.slow


def fault_database(tmp_path) -> str:
    if TEST_DATABASE_URL:
        return str(make_url(TEST_DATABASE_URL).set(database="engage_faults").render_as_string(hide_password=False))
    return f"sqlite:///{tmp_path / 'faults.sqlite'}"


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
        load.run_level(base, path, 2, 2, 120)  # warm both workers
        with ThreadPoolExecutor(max_workers=6) as pool:
            futures = [pool.submit(load.journey, base, path, level, lock) for _ in range(36)]
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
        load.journey(base, path, after, lock)
        assert after.journeys == 1
    intact, lost, half_written = load.verify(env, {**level.acknowledged, **after.acknowledged})
    assert lost == 0
    assert half_written == 0
    assert intact == level.journeys + 1
    assert level.journeys + level.errors == 36
