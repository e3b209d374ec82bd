"""Embeddings for the web app: the database cache (nlp's EmbeddingCache protocol) and the embedder to use.

The embedder is chosen by the NLP_EMBEDDER setting (app config or environment): `sentence` (default, the verified
all-MiniLM-L6-v2 model) or `fake` (deterministic word vectors, for tests and demos without the model). One embedder
is kept per process, so the model loads once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from engage.models.analysis import EmbeddingVector

CHUNK = 500
_embedders: dict[str, Any] = {}
_embedders_lock = threading.Lock()


def setting(name: str, default: Any) -> Any:
    """A setting from the app config, else the environment, else `default` (converted to default's type)."""
    value = current_app.config.get(name)
    if value is None or value == "":
        value = os.environ.get(name)
    if value is None or value == "":
        return default
    if isinstance(default, bool):
        return str(value).strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int | float):
        return type(default)(value)
    return value


class DatabaseEmbeddingCache:
    """Embeddings kept in the `embedding_cache` table, keyed by (model sha, text hash).

    Uses its own short transactions on the engine, so it never interferes with the caller's session.
    """

    # What this thread looked up and stored (for a run's figures: how much was embedded, how much came cached).
    counts = threading.local()

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def reset_counts(cls) -> None:
        cls.counts.found = 0
        cls.counts.stored = 0

    @classmethod
    def read_counts(cls) -> tuple[int, int]:
        return getattr(cls.counts, "found", 0), getattr(cls.counts, "stored", 0)

    def _fetch(self, model_sha: str, text_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        hashes = list(dict.fromkeys(text_hashes))
        with self.engine.connect() as connection:
            for start in range(0, len(hashes), CHUNK):
                part = hashes[start : start + CHUNK]
                rows = connection.execute(
                    select(EmbeddingVector.text_hash, EmbeddingVector.vector).where(
                        EmbeddingVector.model_sha == model_sha, EmbeddingVector.text_hash.in_(part)
                    )
                )
                for text_hash, blob in rows:
                    found[text_hash] = np.frombuffer(blob, dtype="<f4").copy()
        return found

    def get_many(self, model_sha: str, text_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found = self._fetch(model_sha, text_hashes)
        self.counts.found = getattr(self.counts, "found", 0) + len(found)
        return found

    def put_many(self, model_sha: str, vectors: dict[str, np.ndarray]) -> None:
        if not vectors:
            return
        self.counts.stored = getattr(self.counts, "stored", 0) + len(vectors)
        existing = set(self._fetch(model_sha, list(vectors)))
        rows = [
            {
                "model_sha": model_sha,
                "text_hash": h,
                "dim": int(np.asarray(v).shape[-1]),
                "vector": np.asarray(v, dtype="<f4").tobytes(),
            }
            for h, v in vectors.items()
            if h not in existing
        ]
        if not rows:
            return
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:  # pragma: no cover - Engage supports SQLite and PostgreSQL
            dialect_insert = None
        with self.engine.begin() as connection:
            for start in range(0, len(rows), CHUNK):
                part = rows[start : start + CHUNK]
                if dialect_insert is not None:
                    statement = dialect_insert(EmbeddingVector).on_conflict_do_nothing()
                else:  # pragma: no cover
                    statement = insert(EmbeddingVector)
                connection.execute(statement, part)


def embedder_kind() -> str:
    kind = str(setting("NLP_EMBEDDER", "sentence")).lower()
    if kind not in {"sentence", "fake"}:
        raise ValueError(f"NLP_EMBEDDER must be sentence or fake, not {kind!r}")
    return kind


def get_embedder(engine: Engine | None = None) -> Any:
    """The process's embedder, caching in this app's database."""
    from engage.db import db

    engine = engine or db.engine
    kind = embedder_kind()
    key = f"{kind}:{engine.url}"
    with _embedders_lock:
        embedder = _embedders.get(key)
        if embedder is None:
            cache = DatabaseEmbeddingCache(engine)
            if kind == "fake":
                from nlp import FakeEmbedder

                embedder = FakeEmbedder(cache=cache)
            else:
                from nlp import SentenceEmbedder

                embedder = SentenceEmbedder(cache=cache)
            _embedders[key] = embedder
        else:
            embedder.cache = DatabaseEmbeddingCache(engine)
        return embedder


def vector_of(blob: bytes | None) -> np.ndarray | None:
    if blob is None:
        return None
    return np.frombuffer(blob, dtype="<f4").copy()


def blob_of(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()
