"""Shared fixtures for the nlp tests: synthetic, clearly separable answers and a fake embedder."""

from __future__ import annotations

import random

import pytest

from nlp import FakeEmbedder

TOPICS = {
    "parking": "parking cars spaces street permit driveway",
    "buses": "bus route service timetable fare stop",
    "parks": "trees green park grass playground benches",
    "housing": "houses flats homes affordable rent tenants",
    "bins": "bins rubbish collection recycling waste fortnightly",
}
FILLERS = ["the", "more", "less", "please", "our", "better", "fix"]


def make_answers(per_topic: int = 30, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, labels = [], []
    for name, words in TOPICS.items():
        vocab = words.split()
        for _ in range(per_topic):
            texts.append(" ".join(rng.sample(vocab, 4) + [rng.choice(FILLERS)]))
            labels.append(name)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [labels[i] for i in order]


@pytest.fixture
def fake() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(name="make_answers", scope="session")
def _make_answers_fixture():
    return make_answers


@pytest.fixture(scope="session")
def answers() -> tuple[list[str], list[str]]:
    return make_answers()


@pytest.fixture(scope="session", autouse=True)
def _warm_numba() -> None:
    """Compile UMAP once for the session so individual tests stay quick."""
    from nlp import warm_up

    warm_up()
