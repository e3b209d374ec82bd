"""Answers left in Other join their nearest theme until the coverage target is met, but never unrelated ones."""

import numpy as np

from nlp import refine


def _unit(rows):
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _case():
    cents = _unit([[1, 0, 0], [0, 1, 0]])
    # six answers in themes, four left in Other: two fairly close to theme 0, one further, one unrelated to both
    emb = _unit(
        [[1, 0, 0], [1, 0.1, 0], [1, 0, 0.1], [0, 1, 0], [0.1, 1, 0], [0, 1, 0.1]]
        + [[1, 0, 0.9], [1, 0, 1.1], [0.4, 0, 1], [0, 0, 1]]
    )
    labels = np.array([0, 0, 0, 1, 1, 1, -1, -1, -1, -1])
    return emb, labels, cents


def test_the_closest_outliers_join_until_the_target_is_reached():
    emb, labels, cents = _case()
    weights = np.ones(len(labels))
    threshold = refine.threshold_for_coverage(emb, labels, cents, weights, target=0.8)
    out = refine.reassign_outliers(emb, labels, cents, threshold)
    assert out[6] == out[7] == 0  # the two closest Other answers now belong to theme 0
    assert out[8] == out[9] == -1
    assert np.mean(out >= 0) == 0.8


def test_a_campaign_counts_in_full_towards_coverage():
    emb, labels, cents = _case()
    weights = np.ones(len(labels))
    weights[6] = 10  # the closest Other answer stands for ten identical responses
    threshold = refine.threshold_for_coverage(emb, labels, cents, weights, target=0.8)
    out = refine.reassign_outliers(emb, labels, cents, threshold)
    assert out[6] == 0 and out[7] == -1


def test_unrelated_answers_stay_in_other_and_a_met_target_changes_nothing():
    emb, labels, cents = _case()
    weights = np.ones(len(labels))
    threshold = refine.threshold_for_coverage(emb, labels, cents, weights, target=1.0)
    out = refine.reassign_outliers(emb, labels, cents, threshold)
    assert out[9] == -1  # orthogonal to every theme: below the floor, whatever the target
    assert threshold == refine.MIN_JOIN_SIMILARITY
    assert refine.threshold_for_coverage(emb, labels, cents, weights, target=0.6) == 1.0
