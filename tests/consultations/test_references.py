"""Reference numbers cannot be guessed or enumerated, and knowing one reveals nothing to anyone else."""

from __future__ import annotations

import math
import re

from engage.consultations import services as svc


def test_references_are_random_and_unguessable():
    references = [svc.new_reference() for _ in range(2000)]
    assert all(re.fullmatch(r"ENG-[0-9A-Z]{10}", r) for r in references)
    assert len(set(references)) == len(references)
    # 10 characters from a 32-symbol alphabet: 50 bits, so guessing one of even a million responses takes
    # about 10^9 tries on average, far beyond the rate limits.
    assert len(set(svc.REFERENCE_ALPHABET)) >= 32
    assert math.log2(len(svc.REFERENCE_ALPHABET)) * 10 >= 50
    # Neither sequential nor time-ordered: consecutive references share no long prefix.
    shared = [len(_common_prefix(a, b)) - 4 for a, b in zip(references, references[1:], strict=False)]
    assert sum(shared) / len(shared) < 0.5


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def test_a_reference_opens_nothing_for_a_stranger(client, council, make_consultation):
    from tests.consultations.conftest import base_url

    consultation = make_consultation()
    url = base_url(council, consultation)
    # There is no page that looks a response up by its reference: the confirmation page only shows the
    # reference of the response made in this browser.
    assert client.get(f"{url}/confirmation").status_code == 302
    assert client.get(f"{url}/responses/ENG-0000000000").status_code == 404
