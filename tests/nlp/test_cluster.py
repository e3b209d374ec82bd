"""The reduce step's exact neighbour search, which replaces UMAP's approximate one for up to 20k answers."""

from __future__ import annotations

import numpy as np

from nlp.cluster import UmapReducer, exact_cosine_neighbours


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
