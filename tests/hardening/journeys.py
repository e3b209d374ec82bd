"""A resident answering a consultation end to end over HTTP, for the fault tests (real requests against gunicorn).

bench/load_consultation.py drives the same journey with Locust for the load figures; these tests need no Locust.
"""

from __future__ import annotations

import re
import secrets
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urljoin

import requests
from bs4 import BeautifulSoup

from bench.load_consultation import Level

REFERENCE = re.compile(r'class="engage-reference">([^<]+)<')


class JourneyFailed(Exception):
    def __init__(self, status: int, heading: str) -> None:
        super().__init__(f"{status} {heading}")
        self.status = status
        self.heading = heading


def fill(form, note: str) -> dict[str, str | list[str]]:
    """What a resident would send on this page: the first option of each choice, text for text boxes."""
    data: dict[str, str | list[str]] = {}
    for element in form.select("input, textarea, select"):
        name = element.get("name")
        if not name or name == "save_and_return":
            continue
        kind = (element.get("type") or element.name).lower()
        if kind in {"radio", "checkbox"}:
            data.setdefault(name, element.get("value", ""))
        elif kind == "hidden":
            data[name] = element.get("value", "")
        elif element.name == "textarea":
            data[name] = note
        elif element.name == "select":
            options = [o.get("value") for o in element.select("option") if o.get("value")]
            data[name] = options[0] if options else ""
        elif kind in {"text", "search"}:
            data[name] = "" if "postcode" in name else note[:100]
    return data


def journey(base: str, path: str, level: Level, lock: threading.Lock) -> None:
    note = f"Safer crossings near the school please ({secrets.token_hex(6)})"
    http = requests.Session()

    def timed(method: str, url: str, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        response = http.request(method, url, allow_redirects=False, timeout=30, **kwargs)
        elapsed = time.perf_counter() - started
        with lock:
            level.latencies.append(elapsed)
        if response.status_code >= 400:
            heading = BeautifulSoup(response.text, "html.parser").h1
            raise JourneyFailed(response.status_code, heading.get_text(strip=True) if heading else "")
        return response, elapsed

    try:
        response, _ = timed("GET", base + path)
        response.raise_for_status()
        url = base + path + "/start"
        for _step in range(20):
            response, _ = timed("GET", url)
            while response.status_code in (301, 302, 303):
                url = urljoin(url, response.headers["Location"])
                response, _ = timed("GET", url)
            response.raise_for_status()
            if url.endswith("/confirmation"):
                reference = REFERENCE.search(response.text)
                if not reference:
                    raise RuntimeError("no reference number on the confirmation page")
                with lock:
                    level.acknowledged[reference.group(1).strip()] = note
                    level.journeys += 1
                return
            form = BeautifulSoup(response.text, "html.parser").select_one("main form[method=post]")
            if form is None:
                raise RuntimeError(f"no form on {url}")
            action = urljoin(url, form.get("action") or url)
            response, elapsed = timed("POST", action, data=fill(form, note))
            if url.endswith("/check"):
                with lock:
                    level.submit_latencies.append(elapsed)
            if response.status_code not in (302, 303):
                raise RuntimeError(f"POST {action} answered {response.status_code}")
            url = urljoin(action, response.headers["Location"])
        raise RuntimeError("the journey did not reach a confirmation page")
    except Exception as exc:  # noqa: BLE001 - counted and reported
        with lock:
            level.failures.append(
                f"{exc.status} {exc.heading}" if isinstance(exc, JourneyFailed) else type(exc).__name__
            )
            level.errors += 1
            if level.errors <= 3:
                print(f"  error: {type(exc).__name__}: {exc}", file=sys.stderr)


def run_level(base: str, path: str, concurrency: int, journeys: int, max_seconds: float) -> Level:
    level = Level(concurrency)
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = []
        for _ in range(journeys):
            if time.monotonic() > deadline:
                break
            futures.append(pool.submit(journey, base, path, level, lock))
        for future in futures:
            future.result()
    level.seconds = time.perf_counter() - started
    return level
