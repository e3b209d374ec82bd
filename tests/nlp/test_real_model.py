"""Tests with the real all-MiniLM-L6-v2 weights on a handful of texts (marker: model)."""

import numpy as np
import pytest

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def embedder():
    pytest.importorskip("sentence_transformers")
    from nlp import SentenceEmbedder

    return SentenceEmbedder()


def test_weights_verified_and_vectors_sensible(embedder):
    from nlp import MODEL_SHA256

    assert embedder.model_sha == MODEL_SHA256
    v = embedder.encode(
        [
            "The buses are always late in the evening",
            "Evening bus services are unreliable",
            "Protect the green belt from housing",
            "",
            "🌳🌳",
        ]
    )
    assert v.shape == (5, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    assert embedder.precision in {"fp32", "bf16"}


def test_bf16_agrees_with_fp32(embedder):
    from nlp import SentenceEmbedder

    bf16 = embedder if embedder.precision == "bf16" else SentenceEmbedder(precision="bf16").load()
    assert bf16.precision == "bf16" and bf16.probe_cosine >= 0.999
    texts = ["Keep the library open on Saturdays", "Bus fares are too high", "no"]
    fp32 = SentenceEmbedder(precision="fp32").encode(texts)
    assert np.min(np.sum(bf16.encode(texts) * fp32, axis=1)) >= 0.999


def test_pipeline_on_small_real_texts(embedder):
    from nlp import ThemePipeline

    topics = {
        "buses": [
            "The bus to town is always late",
            "Evening buses are cancelled too often",
            "Bus fares have gone up again",
            "We need a bus that runs on Sundays",
            "The number 7 bus never turns up on time",
            "More frequent buses please",
        ],
        "parks": [
            "Keep the park green and plant more trees",
            "The playground needs new swings",
            "Protect the meadow from development",
            "More benches in the park please",
            "The park toilets are always locked",
            "Trees in the park should be protected",
        ],
        "bins": [
            "Bin collections are missed every other week",
            "Recycling should be collected weekly",
            "There is litter everywhere near the shops",
            "Fly-tipping in the lane is getting worse",
            "We need more litter bins on the high street",
            "Garden waste collection is too expensive",
        ],
    }
    texts = [t for ts in topics.values() for t in ts]
    truth = [k for k, ts in topics.items() for _ in ts]
    pipe = ThemePipeline(embedder=embedder).fit(texts)
    labels = pipe.model_.labels("top")
    by_truth = {}
    for t, lab in zip(truth, labels, strict=True):
        if lab is not None:
            by_truth.setdefault(t, []).append(lab)
    # each topic's majority theme is different
    majority = {t: max(set(v), key=v.count) for t, v in by_truth.items()}
    assert len(set(majority.values())) == len(majority) >= 2
    # a councillor reading the label knows what the theme is about
    bus_theme = pipe.model_.theme(majority["buses"])
    assert "bus" in bus_theme.label.lower(), bus_theme.label
    assert pipe.assign(["The 12 bus was late again"])[0] is not None


def test_bf16_is_chosen_only_where_it_is_quicker(monkeypatch):
    # some CPUs report bf16 instructions yet run bf16 slower than fp32: the probe times both
    pytest.importorskip("sentence_transformers")
    from nlp import embed

    monkeypatch.setattr(embed, "cpu_has_bf16", lambda: True)
    seconds = {False: 1.0, True: 2.0}
    monkeypatch.setattr(embed.SentenceEmbedder, "_seconds_per_batch", lambda self, model, bf16: seconds[bf16])
    slower = embed.SentenceEmbedder().load()
    assert slower.precision == "fp32" and slower.probe_speedup == 0.5
    seconds[True] = 0.4
    quicker = embed.SentenceEmbedder().load()
    assert quicker.precision == "bf16" and quicker.probe_speedup == 2.5
    seconds[True] = 2.0
    assert embed.SentenceEmbedder(precision="bf16").load().precision == "bf16"  # asked for, whatever its speed


# a small consultation on one contentious scheme: 30 answers, five things said
LOW_TRAFFIC = {
    "emergency": [
        "Ambulances and fire engines will be delayed by the road closures",
        "How will emergency services reach us when the bollards are up?",
        "A fire engine got stuck at the planters last week",
        "Paramedics have said the filters add minutes to their journeys",
        "Blocking roads puts lives at risk if an ambulance cannot get through",
        "Emergency vehicles need keys to every bollard or people will die",
    ],
    "displaced": [
        "All the traffic has been pushed onto the main road, which is now gridlocked",
        "The high road is jammed every morning since the scheme started",
        "Queues on the boundary roads are far worse than before",
        "Closing side streets just moves the cars onto other people's roads",
        "My ten minute drive to work now takes half an hour",
        "Congestion on the ring road has doubled",
    ],
    "children": [
        "My children can finally walk to school safely",
        "Kids are playing out on the street again",
        "We cycle to school every day now that the rat run has gone",
        "It feels much safer for my daughter to ride her bike",
        "The school run is calmer and the children love scooting",
        "Young people can walk to the park without dodging cars",
    ],
    "air": [
        "The air on our street is cleaner and you can hear birds",
        "Pollution has dropped and my asthma is better",
        "It is so much quieter at night without the through traffic",
        "Less noise and fumes outside our windows",
        "Air quality readings near the school have improved",
        "Cleaner air is worth a slightly longer journey",
    ],
    "business": [
        "Our shop has lost customers because people cannot drive here",
        "Delivery drivers cannot reach the shops on the parade",
        "Traders on the high street say takings are down",
        "Tradespeople charge more because they cannot get to our houses",
        "Small businesses need loading access or they will close",
        "The café lost half its trade when the road was shut",
    ],
}


def test_pipeline_on_a_small_consultation(embedder):
    """30 answers on five points: each point gets its own theme and nearly every answer is in one."""
    from nlp import ThemePipeline

    texts = [t for ts in LOW_TRAFFIC.values() for t in ts]
    truth = [k for k, ts in LOW_TRAFFIC.items() for _ in ts]
    labels = ThemePipeline(embedder=embedder).fit(texts).model_.labels("top")
    assert sum(lab is not None for lab in labels) >= 27
    by_truth = {}
    for t, lab in zip(truth, labels, strict=True):
        by_truth.setdefault(t, []).append(lab)
    majority = {t: max(set(v), key=v.count) for t, v in by_truth.items()}
    assert None not in majority.values() and len(set(majority.values())) == 5
