"""Many residents submitting at once: every acknowledged response is stored, none twice."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from engage.consultations import services as svc
from engage.db import db
from engage.db import session as db_session
from engage.models.consultations import QuestionKind, Response
from tests.conftest import csrf_from
from tests.consultations.conftest import base_url

RESIDENTS = 200


def test_200_concurrent_submissions_all_land(app, council, officer, make_consultation):
    consultation = make_consultation(open=False, questions=False, ask_about_you=False)
    user = db_session.merge(officer)
    svc.add_question(user, consultation, svc.QuestionData(QuestionKind.FREE_TEXT, "What do you think?"))
    svc.open_now(user, consultation)
    db_session.commit()
    url = base_url(council, consultation)
    app.config["CONSULTATION_SUBMIT_LIMIT"] = "100000 per minute"

    def resident(n: int) -> str:
        client = app.test_client()
        page = client.get(f"{url}/q/1").get_data(as_text=True)
        qid = re.search(r'name="question_id" type="hidden" value="(\d+)"', page).group(1)
        client.post(f"{url}/q/1", data={"csrf_token": csrf_from(page), "question_id": qid, "answer": f"Answer {n}"})
        check = client.get(f"{url}/check").get_data(as_text=True)
        key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', check).group(1)
        data = {"csrf_token": csrf_from(check), "idempotency_key": key}
        first = client.post(f"{url}/check", data=data)
        second = client.post(f"{url}/check", data=data)  # a double click
        assert first.status_code == 302 and second.status_code == 302, first.get_data(as_text=True)[:500]
        confirmation = client.get(first.headers["Location"]).get_data(as_text=True)
        return re.search(r"ENG-[0-9A-Z]{10}", confirmation).group(0)

    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            references = list(pool.map(resident, range(RESIDENTS)))
    finally:
        app.config.pop("CONSULTATION_SUBMIT_LIMIT")
    db.remove()
    assert len(set(references)) == RESIDENTS
    assert db_session.scalar(select(func.count(Response.id))) == RESIDENTS
    stored = set(db_session.scalars(select(Response.reference)))
    assert stored == set(references)
