"""Refinement copes with clusters that lost every member (their centres are all zeros)."""

import numpy as np

from nlp import refine


def test_merge_similar_ignores_empty_clusters():
    labels = np.array([0, 0, 2, 2, 3, -1])
    cents = np.array(
        [
            [1.0, 0.0, 0.0],
            [0.0, 0.0, 0.0],  # cluster 1 has no members left
            [0.0, 1.0, 0.0],
            [0.0, 0.99, 0.1],  # nearly the same direction as cluster 2: merged with it
        ]
    )
    cents[3] /= np.linalg.norm(cents[3])
    out = refine.merge_similar(labels, cents, min_similarity=0.9)
    assert out[0] == out[1]
    assert out[2] == out[3] == out[4]
    assert out[0] != out[2]
    assert out[5] == -1
    assert sorted(set(out[out >= 0].tolist())) == [0, 1]


def test_top_level_choice_with_as_many_themes_as_answers():
    """k = number of answers has no silhouette (it used to raise); the choice falls back to smaller k."""
    rng = np.random.default_rng(0)
    cents = rng.standard_normal((6, 5))
    labels = np.arange(6)  # one answer per leaf theme
    groups = refine.choose_top_level(cents.copy(), labels, cents, min_top=5, max_top=20)
    assert len(groups) == 6
    assert len(set(groups.tolist())) == 5
