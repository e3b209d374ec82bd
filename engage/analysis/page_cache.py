"""A small per-process store of rendered page bodies, each kept with the data version it was made from.

One slot per page variant (consultation, page, audience): a newer version replaces the older one, so a slot never
holds more than one body, and the least recently read slots go first once `size` are in use. Safe to share between
the threads of a gunicorn gthread worker. It only stores and compares: what a version is, and when a body may be
kept, `engage.analysis.summary` decides."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

DEFAULT_SIZE = 64


@dataclass(frozen=True)
class CachedBody:
    html: str
    # (theme set id, question id, answers waiting to be placed) for each question whose answers were not all placed
    waiting: tuple[tuple[int, int, int], ...] = ()


class PageCache:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._slots: OrderedDict[Hashable, tuple[Hashable, CachedBody]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, slot: Hashable, version: Hashable) -> CachedBody | None:
        """The body kept for `slot` if it was made from exactly `version`, else None."""
        with self._lock:
            found = self._slots.get(slot)
            if found is None or found[0] != version:
                return None
            self._slots.move_to_end(slot)
            return found[1]

    def put(self, slot: Hashable, version: Hashable, body: CachedBody) -> None:
        with self._lock:
            self._slots[slot] = (version, body)
            self._slots.move_to_end(slot)
            while len(self._slots) > self.size:
                self._slots.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._slots.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._slots)
