import json

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from nlp import FakeEmbedder, ThemeModel, ThemePipeline
from nlp.evaluate import score


def fit(texts, **kw):
    stances = kw.pop("stances", None)
    ids = kw.pop("ids", None)
    return ThemePipeline(embedder=FakeEmbedder(), **kw).fit(texts, ids=ids, stances=stances)


def test_separable_topics_become_separate_themes(answers):
    texts, labels = answers
    pipe = fit(texts)
    s = score(labels, pipe.model_.labels("top"))
    assert s["themes"] == 5
    assert s["coverage"] >= 0.95
    assert s["ari"] > 0.9
    # each theme's keywords come from its own topic
    for theme in pipe.model_.top_level:
        assert theme.keywords and theme.label
        assert 3 <= len(theme.quotes) <= 5
        assert theme.description


def test_every_row_appears_once_in_assignments(answers):
    texts, _ = answers
    extra = ["no", "n/a", "", "agree"]
    ids = [f"r{i}" for i in range(len(texts) + len(extra))]
    pipe = fit(texts + extra, ids=ids)
    d = pipe.to_dict()
    assert [a["id"] for a in d["assignments"]] == ids
    assert sorted(d["non_substantive"]) == sorted(ids[-4:])
    theme_ids = {t["id"] for t in d["themes"]}
    parents = {t["parent"] for t in d["themes"] if t["parent"] is not None}
    for a in d["assignments"]:
        assert a["theme"] is None or (a["theme"] in theme_ids and a["theme"] not in parents)
    for a in d["assignments"][-4:]:
        assert a["theme"] is None
    # sizes add up: top-level sizes = assigned rows
    assigned = sum(a["theme"] is not None for a in d["assignments"])
    assert sum(t["size"] for t in d["themes"] if t["parent"] is None) == assigned
    json.dumps(d)  # plain JSON


def test_campaign_counted_in_full_but_analysed_once(answers):
    texts, _ = answers
    campaign = "Please save our village library it is the heart of the community and must stay open"
    variants = [campaign] * 40 + [campaign + " now"] * 5 + [campaign.upper()] * 5
    emb = FakeEmbedder()
    pipe = ThemePipeline(embedder=emb).fit(texts + variants)
    d = pipe.to_dict()
    big = d["campaigns"][0]
    assert big["count"] == 50
    assert len(big["ids"]) == 50
    camp_ids = set(range(len(texts), len(texts) + 50))
    assert set(big["ids"]) == camp_ids
    themes = {a["theme"] for a in d["assignments"] if a["id"] in camp_ids}
    assert len(themes) == 1 and None not in themes
    camp_theme = themes.pop()
    theme = next(t for t in d["themes"] if t["id"] == camp_theme)
    assert theme["size"] >= 50
    # analysed once: the exact duplicates are embedded once (150 topic texts have repeats too); the
    # rest of what is embedded is the themes' key phrases, to put them in order of meaning
    answers_embedded = [t for t in emb.embedded if " " in t and len(t.split()) > 3]
    assert len(answers_embedded) == len(set(answers_embedded)) <= len(set(texts)) + 2
    assert sum(t.lower().startswith("please save our village") for t in emb.embedded) <= 2


def test_same_seed_same_output(answers):
    texts, _ = answers
    a = fit(texts, random_state=7).to_dict()
    b = fit(texts, random_state=7).to_dict()
    assert a == b


def test_save_load_round_trip(tmp_path, answers):
    texts, _ = answers
    pipe = fit(texts)
    pipe.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["centroids.npy", "model.json"]
    loaded = ThemePipeline.load(tmp_path / "m", embedder=FakeEmbedder())
    assert loaded.to_dict() == pipe.to_dict()
    new = [
        "bus route timetable fare",
        "rent homes affordable flats",
        "no",
        "zebra quantum xylophone",
    ]
    got = loaded.assign(new)
    assert got == pipe.assign(new)
    assert got[2] is None  # non-substantive
    assert got[0] is not None and got[1] is not None and got[0] != got[1]
    bus_theme = pipe.model_.top_of(got[0])
    bus_rows = [i for i, t in enumerate(texts) if "bus" in t and "fare" in t]
    assert pipe.model_.top_of(pipe.model_.assignments[bus_rows[0]]["theme"]) == bus_theme
    # re-assigning the fitted texts reproduces the fit (no refitting)
    refit = loaded.assign(texts)
    agree = np.mean([a == b["theme"] for a, b in zip(refit, pipe.to_dict()["assignments"], strict=True)])
    assert agree > 0.9
    np.load(tmp_path / "m" / "centroids.npy", allow_pickle=False)
    assert isinstance(ThemeModel.load(tmp_path / "m"), ThemeModel)


def test_assign_refuses_other_model(tmp_path, answers):
    texts, _ = answers
    pipe = fit(texts)
    with pytest.raises(ValueError, match="embedding model"):
        pipe.model_.assign(["bus"], FakeEmbedder(dim=32))


@pytest.mark.parametrize("n", [0, 1, 5, 20])
def test_tiny_inputs_give_a_result_and_a_message(n, make_answers):
    texts, _ = make_answers(per_topic=4, seed=1)
    texts = texts[:n]
    pipe = fit(texts)
    d = pipe.to_dict()
    assert len(d["assignments"]) == n
    if n < 20:
        assert d.get("message")
    for t in d["themes"]:
        assert t["size"] >= 2


def test_all_non_substantive():
    d = fit(["no", "N/A", "none", ""]).to_dict()
    assert d["themes"] == [] and len(d["non_substantive"]) == 4
    assert "non-substantive" in d["message"]


def test_odd_texts_are_handled(answers):
    texts, _ = answers
    odd = [
        "Je ne suis pas d'accord avec ce projet 😠",
        "这个计划很好",
        "🌳🌳🌳",
        "<p>Keep the <b>park</b> &amp; trees</p>",
        "a " * 10_000,
        "x" * 10_000,
        None,
        12345,
    ]
    d = fit(texts + odd).to_dict()
    assert len(d["assignments"]) == len(texts) + len(odd)


def test_stance_keeps_sides_apart():
    # same topic words, but each side says different things
    import random

    rng = random.Random(3)
    texts, stances, truth = [], [], []
    for _ in range(40):
        texts.append(
            " ".join(
                rng.sample(
                    [
                        "flats",
                        "tower",
                        "height",
                        "skyline",
                        "density",
                        "block",
                        "storeys",
                        "shadow",
                        "overlooking",
                        "tall",
                    ],
                    5,
                )
            )
        )
        stances.append("oppose")
        truth.append("oppose-height")
        texts.append(
            " ".join(
                rng.sample(
                    [
                        "flats",
                        "homes",
                        "young",
                        "families",
                        "affordable",
                        "first",
                        "buyers",
                        "starter",
                        "local",
                        "key",
                    ],
                    5,
                )
            )
        )
        stances.append("support")
        truth.append("support-homes")
    for _ in range(40):
        texts.append(
            " ".join(
                rng.sample(
                    [
                        "bus",
                        "route",
                        "service",
                        "timetable",
                        "fare",
                        "stop",
                        "evening",
                        "late",
                        "reliable",
                        "driver",
                    ],
                    5,
                )
            )
        )
        stances.append("support" if rng.random() < 0.5 else "oppose")
        truth.append("bus")
    pipe = fit(texts, stances=stances)
    d = pipe.to_dict()
    for t in d["themes"]:
        assert set(t["stance_split"]) <= {"support", "oppose"}
        assert sum(t["stance_split"].values()) == t["size"]
    labels = pipe.model_.labels("top")
    ari = adjusted_rand_score(truth, [-1 if v is None else v for v in labels])
    assert ari > 0.8
    # where both sides say the same thing the theme stays whole and shows its split
    bus = {labels[i] for i, t in enumerate(truth) if t == "bus"}
    assert len(bus) == 1
    split = pipe.model_.theme(bus.pop()).stance_split
    assert split["support"] > 5 and split["oppose"] > 5
    height = {labels[i] for i, t in enumerate(truth) if t == "oppose-height"}
    homes = {labels[i] for i, t in enumerate(truth) if t == "support-homes"}
    assert not (height & homes)


def test_progress_is_reported(answers):
    texts, _ = answers
    seen = []
    ThemePipeline(embedder=FakeEmbedder()).fit(texts, progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert all(isinstance(m, str) and m for _, m in seen)


def test_hierarchy_when_data_supports_more(make_answers):
    texts, labels = make_answers(per_topic=6, seed=5)
    # 12 clear topics -> top-level at most 20, each theme's parent exists
    import random

    rng = random.Random(9)
    words = [f"w{i}" for i in range(120)]
    for k in range(12):
        vocab = words[k * 10 : k * 10 + 10]
        for _ in range(25):
            texts.append(" ".join(rng.sample(vocab, 5)))
    d = fit(texts).to_dict()
    tops = [t for t in d["themes"] if t["parent"] is None]
    assert 5 <= len(tops) <= 20
    ids = {t["id"] for t in d["themes"]}
    for t in d["themes"]:
        if t["parent"] is not None:
            assert t["parent"] in ids
            parent = next(p for p in d["themes"] if p["id"] == t["parent"])
            assert parent["parent"] is None


def test_unfitted_pipeline_errors():
    with pytest.raises(RuntimeError, match="not fitted"):
        ThemePipeline(embedder=FakeEmbedder()).to_dict()


def test_sibling_themes_are_told_apart_by_their_first_words():
    import random

    from nlp.label import ThemeLabel

    class SubjectFirst:
        """A labeller whose every theme's label starts with the consultation's subject."""

        def label(self, texts, emb, labels, n_themes, weights=None):
            out = []
            for t in range(n_themes):
                first = int(np.flatnonzero(labels == t)[0])
                words = texts[first].split()
                keywords = ["scheme", words[1], words[2]]
                out.append(ThemeLabel(", ".join(keywords).capitalize(), texts[first], keywords, [first]))
            return out

    rng = random.Random(5)
    words = [
        ["tower", "height", "skyline", "storeys", "shadow", "overlooking", "tall", "block"],
        ["homes", "young", "families", "affordable", "buyers", "starter", "local", "key"],
        ["parking", "cars", "spaces", "permits", "street", "visitors", "driveways", "congestion"],
    ]
    texts = [f"scheme {' '.join(rng.sample(w, 4))}" for _ in range(30) for w in words]
    pipe = ThemePipeline(embedder=FakeEmbedder(), labeller=SubjectFirst()).fit(texts)
    tops = [t for t in pipe.model_.themes if t.parent is None]
    assert len(tops) == 3
    assert tops[0].label == "Scheme, " + ", ".join(tops[0].keywords[1:])  # the largest keeps its label
    assert len({t.keywords[0] for t in tops}) == 3, [t.label for t in tops]
    assert all(t.label.split(", ")[0].lower() == t.keywords[0] for t in tops)
    assert all(sorted(t.keywords) == sorted(["scheme", *t.description.split()[1:3]]) for t in tops)


def test_sub_themes_are_not_labelled_like_their_parent():
    import random
    from collections import Counter

    from nlp.label import ThemeLabel

    class MostSaid:
        """A labeller whose key phrases are a theme's most frequent words: a sub-theme and its parent share them."""

        def label(self, texts, emb, labels, n_themes, weights=None):
            out = []
            for t in range(n_themes):
                members = np.flatnonzero(labels == t)
                said = Counter(w for i in members for w in set(texts[i].split()))
                keywords = [w for w, _ in sorted(said.items(), key=lambda kv: (-kv[1], kv[0]))[:6]]
                first = int(members[0])
                out.append(ThemeLabel(", ".join(keywords[:3]).capitalize(), texts[first], keywords, [first]))
            return out

    # six subjects, each with three sub-topics of 20, 30 and 40 answers sharing the subject's words
    rng = random.Random(3)
    texts = []
    for s in range(6):
        subject = [f"s{s}x{i}" for i in range(6)]
        for c in range(3):
            sub = [f"s{s}c{c}y{i}" for i in range(6)]
            for _ in range(20 + 10 * c):
                texts.append(f"subj{s} {' '.join(rng.sample(subject, 3))} {' '.join(rng.sample(sub, 3))}")
    themes = ThemePipeline(embedder=FakeEmbedder(), labeller=MostSaid()).fit(texts).model_.themes
    by_id = {t.id: t for t in themes}
    children = [t for t in themes if t.parent is not None]
    assert len(children) >= 6
    for t in children:
        parent = by_id[t.parent]
        shown = parent.label.lower().split(", ")
        assert t.label != parent.label
        assert t.keywords[0] not in shown, (t.label, parent.label)
        assert t.label.split(", ")[0].lower() == t.keywords[0]


def test_a_five_point_stance_counts_sides_not_strengths():
    import random

    rng = random.Random(4)
    words = {
        "Support": ["homes", "young", "families", "affordable", "buyers", "starter", "local", "key"],
        "Oppose": ["tower", "height", "skyline", "storeys", "shadow", "overlooking", "tall", "block"],
    }
    texts, stances = [], []
    for _ in range(40):
        for side, vocab in words.items():
            texts.append(" ".join(rng.sample(vocab, 5)))
            stances.append(rng.choice([side, f"Strongly {side.lower()}", f"Tend to {side.lower()}"]))
    pipe = fit(texts, stances=stances)
    splits = [t.stance_split for t in pipe.model_.themes]
    assert splits and all(set(s) <= {"Support", "Oppose"} for s in splits)
    assert sum(s.get("Support", 0) for s in splits if len(s) == 1) == 40  # each side's answers in its own theme
    # a new answer is placed among the themes of its side, however strongly it is put
    side = {t.id: t.stance for t in pipe.model_.themes}
    [given] = pipe.assign(["homes young families affordable buyers"], stances=["Strongly support"])
    assert side[given] == "Support"
    [against] = pipe.assign(["homes young families affordable buyers"], stances=["strongly oppose"])
    assert against is None or side[against] == "Oppose"
