"""Locust users for bench/load_consultation.py (which starts Locust with this file; it is not run on its own).

Residents: read the consultation, start, answer every question page, check answers, submit, read the reference
number. Readers: the council summary page (signed in as an officer) and the public results page, in turn. Users run
until the level's budget of journeys (or reader requests) is spent, then Locust quits. Every request's latency and
every acknowledged reference number is written to LOAD_OUT (JSON) when Locust stops, for the orchestrating script to
report and to check against the database.

The user class is named on Locust's command line (Resident or Reader). Settings come from the environment:
LOAD_PATH (the consultation's path), LOAD_BUDGET (journeys, or reader requests), LOAD_OUT, and for readers
LOAD_SUMMARY, LOAD_RESULTS, LOAD_EMAIL and LOAD_PASSWORD.
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import time
from urllib.parse import urljoin

import gevent
from locust import FastHttpUser, events, task
from locust.exception import StopUser

PATH = os.environ.get("LOAD_PATH", "/")
BUDGET = int(os.environ.get("LOAD_BUDGET", "100"))
OUT = os.environ.get("LOAD_OUT", "load-level.json")

REFERENCE = re.compile(r'class="engage-reference">([^<]+)<')
HEADING = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
MAIN_FORM = re.compile(r"<main\b.*?(<form\b[^>]*method=\"post\"[^>]*>)(.*?)</form>", re.S | re.I)
FIELD = re.compile(r"<(input|textarea)\b([^>]*)>|<(select)\b([^>]*)>(.*?)</select>", re.S | re.I)
ATTR = re.compile(r'([a-zA-Z_:-]+)="([^"]*)"')
OPTION = re.compile(r'<option\b[^>]*value="([^"]+)"')

state = {"started": 0, "finished": 0, "latencies": [], "submit_latencies": [], "acknowledged": {}, "failures": []}


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception, **_kwargs):  # type: ignore[no-untyped-def]
    state["latencies"].append(response_time / 1000)
    if name.endswith("/check") and request_type == "POST":
        state["submit_latencies"].append(response_time / 1000)


@events.quitting.add_listener
def _write(environment, **_kwargs):  # type: ignore[no-untyped-def]
    with open(OUT, "w", encoding="utf-8") as handle:
        json.dump(
            {
                k: state.get(k)
                for k in ("t0", "t1", "finished", "latencies", "submit_latencies", "acknowledged", "failures")
                + ("by_page",)
            },
            handle,
        )


def _take_budget() -> bool:
    if state["started"] >= BUDGET:
        return False
    state["started"] += 1
    state.setdefault("t0", time.time())
    return True


def _finish(environment) -> None:  # type: ignore[no-untyped-def]
    state["finished"] += 1
    state["t1"] = time.time()
    if state["finished"] >= BUDGET:
        gevent.spawn_later(0.1, environment.runner.quit)


class Failed(Exception):
    pass


def fill(form_html: str, note: str) -> dict[str, str]:
    """What a resident sends on this page: the first option of each choice, `note` in text boxes, no postcode."""
    data: dict[str, str] = {}
    for tag, attrs, select, select_attrs, select_body in FIELD.findall(form_html):
        tag, a = (select, dict(ATTR.findall(select_attrs))) if select else (tag, dict(ATTR.findall(attrs)))
        name = a.get("name")
        if not name or name == "save_and_return":
            continue
        kind = (a.get("type") or tag).lower()
        if kind in {"radio", "checkbox"}:
            data.setdefault(name, html.unescape(a.get("value", "")))
        elif kind == "hidden":
            data[name] = html.unescape(a.get("value", ""))
        elif tag.lower() == "textarea":
            data[name] = note
        elif tag.lower() == "select":
            options = OPTION.findall(select_body or "")
            data[name] = html.unescape(options[0]) if options else ""
        elif kind in {"text", "search"}:
            data[name] = "" if "postcode" in name else note[:100]
    return data


def _name(url: str) -> str:
    return re.sub(r"/\d+", "/N", url.split("?")[0])


class Resident(FastHttpUser):
    """One resident after another answering the consultation end to end."""

    def _get(self, url: str):  # type: ignore[no-untyped-def]
        with self.client.get(url, name=_name(url), allow_redirects=False, catch_response=True) as response:
            if response.status_code >= 400:
                heading = HEADING.search(response.text or "")
                text = re.sub(r"<[^>]+>|\s+", " ", heading.group(1)).strip() if heading else ""
                response.failure(f"{response.status_code} {text}")
                raise Failed(f"{response.status_code} {text}")
            response.success()
            return response

    @task
    def journey(self) -> None:
        if not _take_budget():
            raise StopUser()
        note = f"Safer crossings near the school please ({secrets.token_hex(6)})"
        try:
            self._get(PATH)
            url = PATH + "/start"
            for _step in range(20):
                response = self._get(url)
                while response.status_code in (301, 302, 303):
                    url = urljoin(url, response.headers["Location"])
                    response = self._get(url)
                if url.endswith("/confirmation"):
                    reference = REFERENCE.search(response.text)
                    if not reference:
                        raise Failed("no reference number on the confirmation page")
                    state["acknowledged"][reference.group(1).strip()] = note
                    return
                form = MAIN_FORM.search(response.text)
                if form is None:
                    raise Failed(f"no form on {url}")
                action = dict(ATTR.findall(form.group(1))).get("action") or url
                action = urljoin(url, html.unescape(action))
                posted = self.client.post(
                    action, data=fill(form.group(2), note), name=_name(action), allow_redirects=False
                )
                if posted.status_code not in (302, 303):
                    raise Failed(f"POST {_name(action)} answered {posted.status_code}")
                url = urljoin(action, posted.headers["Location"])
            raise Failed("the journey did not reach a confirmation page")
        except Exception as exc:  # noqa: BLE001 - counted and reported
            state["failures"].append(str(exc) if isinstance(exc, Failed) else type(exc).__name__)
        finally:
            _finish(self.environment)


class Reader(FastHttpUser):
    """An officer reading the council summary page and a member of the public reading the results page, in turn."""

    def on_start(self) -> None:
        page = self.client.get("/sign-in", name="/sign-in")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        self.client.post(
            "/sign-in",
            data={
                "csrf_token": token.group(1) if token else "",
                "email": os.environ["LOAD_EMAIL"],
                "password": os.environ["LOAD_PASSWORD"],
            },
            name="/sign-in",
            allow_redirects=False,
        )
        self.turn = 0

    @task
    def read(self) -> None:
        if not _take_budget():
            raise StopUser()
        self.turn += 1
        url = os.environ["LOAD_SUMMARY"] if self.turn % 2 else os.environ["LOAD_RESULTS"]
        started = time.perf_counter()
        try:
            with self.client.get(url, name=_name(url), allow_redirects=False, catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"{response.status_code}")
                    state["failures"].append(f"{response.status_code} {_name(url)}")
        finally:
            state.setdefault("by_page", {}).setdefault(_name(url), []).append(time.perf_counter() - started)
            _finish(self.environment)
