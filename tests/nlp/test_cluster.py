"""The reduce step's exact neighbour search, which replaces UMAP's approximate one for up to 20k answers, and the
clustering of small sets."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import adjusted_rand_score

from nlp.cluster import UmapReducer, WardSmall, exact_cosine_neighbours


def test_exact_neighbours_match_brute_force_and_put_each_row_first():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((300, 12)).astype(np.float32)
    x[7] = x[8]  # a duplicate must not push row 7 out of its own first place
    idx, dist = exact_cosine_neighbours(x, 6, chunk_bytes=4 * 300 * 17)  # several chunks
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    sims = unit @ unit.T
    assert (idx[:, 0] == np.arange(300)).all() and (dist[:, 0] == 0).all()
    for i in (0, 7, 150, 299):
        expected = [j for j in np.argsort(-sims[i], kind="stable") if j != i][:5]
        assert set(idx[i, 1:]) == set(expected)
        assert np.allclose(dist[i, 1:], 1 - sims[i, idx[i, 1:]], atol=1e-5)
        assert (np.diff(dist[i]) >= -1e-6).all()  # nearest first
    assert 8 in idx[7, :2]


def test_umap_gives_the_same_layout_with_exact_neighbours_every_time():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((4, 32))
    x = np.vstack([c + 0.1 * rng.standard_normal((60, 32)) for c in centres]).astype(np.float32)
    a = UmapReducer(random_state=1, n_epochs=30).fit_transform(x)
    b = UmapReducer(random_state=1, n_epochs=30).fit_transform(x)
    assert a.shape == (240, 5) and np.array_equal(a, b)


def _groups(sizes, dim=32, spread=0.15, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((len(sizes), dim))
    x = np.vstack([c + spread * rng.standard_normal((m, dim)) for c, m in zip(centres, sizes, strict=True)])
    truth = np.repeat(np.arange(len(sizes)), sizes)
    return x.astype(np.float32), truth


def test_a_small_set_gets_one_cluster_per_group_and_a_lone_answer_is_left_out():
    x, truth = _groups([7, 6, 5, 4])
    lone = np.random.default_rng(5).standard_normal((1, 32)).astype(np.float32) * 3
    x = np.vstack([x, lone])
    labels = WardSmall().fit_predict(x, x)
    assert labels[-1] == -1
    assert adjusted_rand_score(truth, labels[:-1]) == 1.0
    assert list(np.bincount(labels[:-1])) == [7, 6, 5, 4]  # numbered by size
    assert np.array_equal(labels, WardSmall().fit_predict(x, x))


def test_a_small_set_is_not_cut_into_more_clusters_than_about_the_square_root_of_its_size():
    x, _ = _groups([2] * 12)  # 12 tight pairs in 24 answers: at most 6 clusters
    labels = WardSmall().fit_predict(x, x)
    assert 2 <= labels.max() + 1 <= 6
    assert (labels >= 0).all()


def test_a_small_set_on_one_subject_is_split_into_what_is_said_about_it():
    # four points made about one subject, and a few answers about something else entirely: the
    # clearest cut is in two, but a councillor is given the four points and the other group
    rng = np.random.default_rng(2)
    subject, other = rng.standard_normal((2, 32))
    points = [subject + 0.15 * rng.standard_normal(32) for _ in range(4)]
    x = np.vstack(
        [p + 0.03 * rng.standard_normal((8, 32)) for p in points] + [other + 0.03 * rng.standard_normal((5, 32))]
    ).astype(np.float32)
    truth = np.repeat(np.arange(5), [8, 8, 8, 8, 5])
    labels = WardSmall().fit_predict(x, x)
    assert adjusted_rand_score(truth, labels) == 1.0
    assert WardSmall(min_clusters=2).fit_predict(x, x).max() + 1 == 2  # what the silhouette alone picks


def test_too_few_answers_to_cluster_are_all_left_out():
    x, _ = _groups([2])
    assert list(WardSmall().fit_predict(x, x)) == [-1, -1]
