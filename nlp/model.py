"""A fitted theme model: plain data (JSON + NumPy), assignment of new answers, save/load."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .embed import Embedder
from .preprocess import dedupe_key, is_non_substantive, normalise, stance_side

FORMAT_VERSION = 1


@dataclass
class Theme:
    id: int
    parent: int | None
    label: str
    description: str
    keywords: list[str]
    size: int
    share: float
    stance_split: dict[str, int]
    quotes: list[Any]
    stance: str | None = None  # set when the theme holds one side of a stance only

    def to_dict(self) -> dict[str, Any]:
        d = {
            "id": self.id,
            "parent": self.parent,
            "label": self.label,
            "description": self.description,
            "keywords": list(self.keywords),
            "size": self.size,
            "share": self.share,
            "stance_split": dict(self.stance_split),
            "quotes": list(self.quotes),
        }
        if self.stance is not None:
            d["stance"] = self.stance
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Theme:
        return cls(
            id=int(d["id"]),
            parent=None if d["parent"] is None else int(d["parent"]),
            label=d["label"],
            description=d["description"],
            keywords=list(d["keywords"]),
            size=int(d["size"]),
            share=float(d["share"]),
            stance_split=dict(d["stance_split"]),
            quotes=list(d["quotes"]),
            stance=d.get("stance"),
        )


@dataclass
class ThemeModel:
    """Themes for one group of answers, with what is needed to place new answers.

    ``centroids[i]`` is the centre of theme ``themes[i]`` (same order as ``themes``);
    ``assign_threshold`` is the cosine similarity a new answer needs to join a theme.
    """

    themes: list[Theme]
    assignments: list[dict[str, Any]]
    campaigns: list[dict[str, Any]]
    non_substantive: list[Any]
    centroids: np.ndarray
    assign_threshold: float
    meta: dict[str, Any] = field(default_factory=dict)
    group: str = ""
    message: str = ""
    campaign_keys: dict[str, int | None] = field(default_factory=dict)

    # ------------------------------------------------------------------ queries
    @property
    def leaf_ids(self) -> list[int]:
        parents = {t.parent for t in self.themes if t.parent is not None}
        return [t.id for t in self.themes if t.id not in parents]

    @property
    def top_level(self) -> list[Theme]:
        return [t for t in self.themes if t.parent is None]

    def theme(self, theme_id: int) -> Theme:
        for t in self.themes:
            if t.id == theme_id:
                return t
        raise KeyError(theme_id)

    def top_of(self, theme_id: int | None) -> int | None:
        if theme_id is None:
            return None
        t = self.theme(theme_id)
        while t.parent is not None:
            t = self.theme(t.parent)
        return t.id

    def labels(self, level: str = "leaf") -> list[int | None]:
        """Theme of every fitted row in input order; ``level`` "leaf" (most specific) or "top"."""
        out = [a["theme"] for a in self.assignments]
        if level == "top":
            return [self.top_of(t) for t in out]
        return out

    # ------------------------------------------------------------------ assign
    def assign(
        self,
        texts: Sequence[object],
        embedder: Embedder,
        stances: Sequence[object] | None = None,
    ) -> list[int | None]:
        """Most specific theme for each new answer (None for "Other" or non-substantive),
        without refitting. ``embedder`` must be the model the themes were fitted with."""
        sha = self.meta.get("model_sha")
        if sha and getattr(embedder, "model_sha", sha) != sha:
            raise ValueError(
                f"These themes were fitted with embedding model {sha}; the embedder given is {embedder.model_sha}."
            )
        norm = [normalise(t) for t in texts]
        out: list[int | None] = [None] * len(norm)
        todo = [i for i, t in enumerate(norm) if not is_non_substantive(t)]
        if not todo or not self.themes:
            return out
        leaves = self.leaf_ids
        pos = {t.id: i for i, t in enumerate(self.themes)}
        leaf_rows = np.array([pos[i] for i in leaves])
        cents = self.centroids[leaf_rows]
        leaf_stance = [self.themes[pos[i]].stance for i in leaves]
        emb = embedder.encode([norm[i] for i in todo])
        sims = emb @ cents.T
        for j, i in enumerate(todo):
            key = dedupe_key(norm[i])
            if key in self.campaign_keys:
                out[i] = self.campaign_keys[key]
                continue
            row = sims[j].copy()
            s = stance_side(stances[i]) if stances is not None else None
            if s is not None:
                for k, ls in enumerate(leaf_stance):
                    if ls is not None and ls != s:
                        row[k] = -np.inf
            b = int(np.argmax(row))
            if row[b] >= self.assign_threshold:
                out[i] = int(leaves[b])
        return out

    # ------------------------------------------------------------------ export
    def to_dict(self) -> dict[str, Any]:
        """The per-group dict of the CLI's JSON output."""
        d: dict[str, Any] = {
            "group": self.group,
            "themes": [t.to_dict() for t in self.themes],
            "assignments": list(self.assignments),
            "campaigns": list(self.campaigns),
            "non_substantive": list(self.non_substantive),
        }
        if self.message:
            d["message"] = self.message
        return d

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write ``model.json`` and ``centroids.npy`` (no pickle) into ``directory``."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        doc = {
            "format_version": FORMAT_VERSION,
            "meta": self.meta,
            "assign_threshold": self.assign_threshold,
            "message": self.message,
            "campaign_keys": self.campaign_keys,
            **self.to_dict(),
        }
        (path / "model.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        np.save(path / "centroids.npy", np.asarray(self.centroids, np.float32), allow_pickle=False)
        return path

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> ThemeModel:
        path = Path(directory)
        doc = json.loads((path / "model.json").read_text(encoding="utf-8"))
        if doc.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"Unsupported theme model format: {doc.get('format_version')}")
        cents = np.load(path / "centroids.npy", allow_pickle=False)
        return cls(
            themes=[Theme.from_dict(t) for t in doc["themes"]],
            assignments=doc["assignments"],
            campaigns=doc["campaigns"],
            non_substantive=doc["non_substantive"],
            centroids=cents,
            assign_threshold=float(doc["assign_threshold"]),
            meta=doc["meta"],
            group=doc.get("group", ""),
            message=doc.get("message", ""),
            campaign_keys=doc.get("campaign_keys", {}),
        )
