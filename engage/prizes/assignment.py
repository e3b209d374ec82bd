"""Balanced judge assignment: pure, deterministic for a seed, no Flask.

Each entry gets up to `k` judges; no judge gets more than `cap` entries; a judge never gets an entry they are
conflicted on. Assignments already made (manual ones included) are kept and count towards `k` and `cap`.

The design must be connected for per-judge normalisation to compare like with like: two judges are linked when
they scored a common entry, and every judge should be reachable from every other. Greedy choice, per entry in a
seeded order: the least-loaded eligible judge first, then, among equally loaded judges, one from a different
linked group than the judges already chosen (which joins the groups), then a seeded random tie-break.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Plan:
    new: list[tuple[int, int]] = field(default_factory=list)  # (entry, judge) to add
    short: dict[int, int] = field(default_factory=dict)  # entry -> judges still missing
    connected: bool = True
    load: dict[int, int] = field(default_factory=dict)  # judge -> entries in total


class _Groups:
    """Union-find over judges."""

    def __init__(self, items: Iterable[int]) -> None:
        self.parent = {i: i for i in items}

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def plan(
    entries: list[int],
    judges: list[int],
    k: int,
    cap: int,
    conflicts: set[tuple[int, int]] | None = None,  # (entry, judge)
    existing: set[tuple[int, int]] | None = None,  # (entry, judge)
    seed: int = 0,
) -> Plan:
    conflicts = conflicts or set()
    existing = {pair for pair in (existing or set()) if pair[0] in entries and pair[1] in judges}
    rng = random.Random(seed)
    load = {j: 0 for j in judges}
    chosen: dict[int, set[int]] = {e: set() for e in entries}
    for entry, judge in existing:
        load[judge] += 1
        chosen[entry].add(judge)
    groups = _Groups(judges)
    for entry in entries:
        members = sorted(chosen[entry])
        for other in members[1:]:
            groups.union(members[0], other)

    tiebreak = {j: rng.random() for j in judges}
    order = list(entries)
    rng.shuffle(order)
    result = Plan()
    for entry in order:
        while len(chosen[entry]) < k:
            eligible = [j for j in judges if j not in chosen[entry] and (entry, j) not in conflicts and load[j] < cap]
            if not eligible:
                result.short[entry] = k - len(chosen[entry])
                break
            present = {groups.find(j) for j in chosen[entry]}

            def key(j: int, present: set[int] = present) -> tuple[int, int, float]:
                return (load[j], 0 if present and groups.find(j) not in present else 1, tiebreak[j])

            judge = min(eligible, key=key)
            for other in chosen[entry]:
                groups.union(judge, other)
            chosen[entry].add(judge)
            load[judge] += 1
            result.new.append((entry, judge))
            tiebreak[judge] = rng.random()
    used = [j for j in judges if load[j] > 0]
    result.connected = len({groups.find(j) for j in used}) <= 1
    result.load = load
    return result


def is_connected(pairs: Iterable[tuple[int, int]]) -> bool:
    """Whether the judges in these (entry, judge) pairs form one linked group."""
    pairs = list(pairs)
    judges = {j for _, j in pairs}
    if not judges:
        return True
    groups = _Groups(judges)
    by_entry: dict[int, list[int]] = {}
    for entry, judge in pairs:
        by_entry.setdefault(entry, []).append(judge)
    for members in by_entry.values():
        for other in members[1:]:
            groups.union(members[0], other)
    return len({groups.find(j) for j in judges}) == 1
