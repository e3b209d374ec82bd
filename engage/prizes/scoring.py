"""Fair results from judges' scores: pure statistics, no Flask, no database.

Input is a list of `Rating(entry, judge, criterion, value)`. Only a judge's complete set of scores for an entry
(every criterion) counts. For each entry we compute

- the weighted raw score: each judge's weighted mean over criteria, averaged over the entry's judges;
- the normalised score: each judge's weighted scores turned into z-scores against that judge's own mean and
  standard deviation (so a harsh judge and a lenient one count alike), averaged per entry, and shown back on the
  score scale as grand mean + z * grand standard deviation;
- its rank by normalised score with a bootstrap interval: judges' z-scores are resampled with replacement per
  entry (numpy, fixed seed), every resample is ranked, and the 2.5th-97.5th percentiles give the interval.

Per criterion: Krippendorff's alpha (interval level, the `krippendorff` package) over the judge x entry grid.
Flags: judges whose scores differ on average from the panel's mean on the same entries (the judge included) by
more than LENIENCY_THRESHOLD panel standard deviations (lenient or harsh); entries whose judges' weighted scores
have a standard deviation of at least DISAGREEMENT_FRACTION of the scale's range; entries whose rank interval
straddles the shortlist line (the moderation band).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import krippendorff
import numpy as np
from scipy.stats import rankdata

LENIENCY_THRESHOLD = 0.5  # panel standard deviations
DISAGREEMENT_FRACTION = 0.25  # of the scale's range, as a standard deviation between judges
BOOTSTRAP_SAMPLES = 1000
SEED = 20261128


class Rating(NamedTuple):
    entry: int
    judge: int
    criterion: int
    value: float


@dataclass
class EntryResult:
    entry: int
    judges: int
    raw: float
    z: float
    normalised: float
    spread: float  # standard deviation of the judges' weighted scores
    rank: int = 0
    rank_low: int = 0
    rank_high: int = 0
    raw_rank: int = 0
    disagreement: bool = False
    moderation: bool = False


@dataclass
class JudgeResult:
    judge: int
    entries: int
    mean: float
    sd: float
    offset: float | None  # mean difference from the panel's average on the same entries
    leniency: float | None  # offset in panel standard deviations
    flag: str = ""  # "lenient", "harsh" or ""


@dataclass
class Results:
    entries: list[EntryResult] = field(default_factory=list)
    judges: list[JudgeResult] = field(default_factory=list)
    alpha: dict[int, float | None] = field(default_factory=dict)  # per criterion
    alpha_overall: float | None = None  # on the weighted scores
    grand_mean: float = 0.0
    grand_sd: float = 0.0
    shortlist_size: int = 0

    def entry(self, entry_id: int) -> EntryResult | None:
        return next((r for r in self.entries if r.entry == entry_id), None)

    def judge(self, judge_id: int) -> JudgeResult | None:
        return next((r for r in self.judges if r.judge == judge_id), None)


def weighted_scores(ratings: Iterable[Rating], weights: Mapping[int, float]) -> dict[tuple[int, int], float]:
    """{(entry, judge): weighted mean over criteria}, for complete score sets only."""
    by_pair: dict[tuple[int, int], dict[int, float]] = defaultdict(dict)
    for r in ratings:
        if r.criterion in weights:
            by_pair[(r.entry, r.judge)][r.criterion] = float(r.value)
    total = sum(weights.values())
    out: dict[tuple[int, int], float] = {}
    if total <= 0:
        return out
    for pair, values in by_pair.items():
        if set(values) == set(weights):
            out[pair] = sum(weights[c] * v for c, v in values.items()) / total
    return out


def judge_z_scores(weighted: Mapping[tuple[int, int], float]) -> dict[tuple[int, int], float]:
    """Each judge's scores as z-scores against their own mean and (population) standard deviation.

    A judge who scored one entry, or gave every entry the same score, says nothing about order: z = 0.
    """
    by_judge: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for (entry, judge), value in weighted.items():
        by_judge[judge].append((entry, value))
    z: dict[tuple[int, int], float] = {}
    for judge, items in by_judge.items():
        values = np.array([v for _, v in items])
        mean, sd = float(values.mean()), float(values.std())
        for entry, value in items:
            z[(entry, judge)] = 0.0 if sd == 0 or len(values) < 2 else (value - mean) / sd
    return z


def krippendorff_alpha(matrix: np.ndarray) -> float | None:
    """Interval alpha for a judges x entries matrix with NaN where a judge did not score; None if undefined."""
    if matrix.size == 0 or matrix.shape[0] < 2:
        return None
    pairable = (~np.isnan(matrix)).sum(axis=0) >= 2
    if pairable.sum() < 1:
        return None
    values = matrix[:, pairable]
    if np.nanstd(values) == 0:
        return None
    try:
        alpha = float(krippendorff.alpha(reliability_data=values, level_of_measurement="interval"))
    except (ValueError, ZeroDivisionError):
        return None
    return None if math.isnan(alpha) else alpha


def _grid(
    cells: Mapping[tuple[int, int], float], judges: list[int], entries: list[int]
) -> np.ndarray:  # judges x entries
    jidx = {j: i for i, j in enumerate(judges)}
    eidx = {e: i for i, e in enumerate(entries)}
    matrix = np.full((len(judges), len(entries)), np.nan)
    for (entry, judge), value in cells.items():
        matrix[jidx[judge], eidx[entry]] = value
    return matrix


def compute(
    ratings: Iterable[Rating],
    weights: Mapping[int, float],
    scale: tuple[int, int] = (1, 5),
    shortlist_size: int = 0,
    samples: int = BOOTSTRAP_SAMPLES,
    seed: int = SEED,
    leniency_threshold: float = LENIENCY_THRESHOLD,
    disagreement_fraction: float = DISAGREEMENT_FRACTION,
) -> Results:
    ratings = list(ratings)
    weighted = weighted_scores(ratings, weights)
    results = Results(shortlist_size=shortlist_size)
    if not weighted:
        return results
    z = judge_z_scores(weighted)
    all_values = np.array(list(weighted.values()))
    results.grand_mean = float(all_values.mean())
    results.grand_sd = float(all_values.std())

    by_entry: dict[int, dict[int, float]] = defaultdict(dict)
    for (entry, judge), value in weighted.items():
        by_entry[entry][judge] = value
    entries = sorted(by_entry)
    judges = sorted({j for (_, j) in weighted})
    threshold = disagreement_fraction * (scale[1] - scale[0])

    for entry in entries:
        values = np.array(list(by_entry[entry].values()))
        zs = np.array([z[(entry, j)] for j in by_entry[entry]])
        spread = float(values.std())
        results.entries.append(
            EntryResult(
                entry=entry,
                judges=len(values),
                raw=float(values.mean()),
                z=float(zs.mean()),
                normalised=results.grand_mean + float(zs.mean()) * results.grand_sd,
                spread=spread,
                disagreement=len(values) >= 2 and spread >= threshold - 1e-12,
            )
        )

    # Ranks: by normalised score, ties by raw score, then by id (stable and reproducible).
    order = sorted(results.entries, key=lambda r: (-round(r.z, 12), -round(r.raw, 12), r.entry))
    for position, r in enumerate(order, start=1):
        r.rank = position
    for position, r in enumerate(sorted(results.entries, key=lambda r: (-round(r.raw, 12), r.entry)), start=1):
        r.raw_rank = position

    # Bootstrap rank intervals: resample each entry's judges' z-scores.
    rng = np.random.default_rng(seed)
    draws = np.empty((samples, len(entries)))
    for i, entry in enumerate(entries):
        zs = np.array([z[(entry, j)] for j in sorted(by_entry[entry])])
        picks = rng.integers(0, len(zs), size=(samples, len(zs)))
        draws[:, i] = zs[picks].mean(axis=1)
    ranks = rankdata(-np.round(draws, 12), axis=1, method="min")
    low = np.floor(np.percentile(ranks, 2.5, axis=0)).astype(int)
    high = np.ceil(np.percentile(ranks, 97.5, axis=0)).astype(int)
    for i, entry in enumerate(entries):
        r = results.entry(entry)
        assert r is not None
        r.rank_low, r.rank_high = int(min(low[i], r.rank)), int(max(high[i], r.rank))
        if 0 < shortlist_size < len(entries):
            r.moderation = r.rank_low <= shortlist_size < r.rank_high

    # Judges: leniency as the mean offset from the panel's mean on the same entries.
    for judge in judges:
        mine = [(e, v) for (e, j), v in weighted.items() if j == judge]
        values = np.array([v for _, v in mine])
        offsets = []
        for entry, value in mine:
            if len(by_entry[entry]) >= 2:  # an entry only this judge scored says nothing about leniency
                offsets.append(value - float(np.mean(list(by_entry[entry].values()))))
        offset = float(np.mean(offsets)) if offsets else None
        leniency = None
        if offset is not None and results.grand_sd > 0:
            leniency = offset / results.grand_sd
        flag = ""
        if leniency is not None and leniency > leniency_threshold:
            flag = "lenient"
        elif leniency is not None and leniency < -leniency_threshold:
            flag = "harsh"
        results.judges.append(
            JudgeResult(
                judge=judge,
                entries=len(values),
                mean=float(values.mean()),
                sd=float(values.std()),
                offset=offset,
                leniency=leniency,
                flag=flag,
            )
        )

    # Agreement per criterion (raw values, complete sets only) and overall (weighted scores).
    complete = set(weighted)
    for criterion in weights:
        cells = {(r.entry, r.judge): float(r.value) for r in ratings if r.criterion == criterion}
        cells = {k: v for k, v in cells.items() if k in complete}
        results.alpha[criterion] = krippendorff_alpha(_grid(cells, judges, entries))
    results.alpha_overall = krippendorff_alpha(_grid(weighted, judges, entries))
    return results


def agreement_label(alpha: float | None) -> str:
    """Plain words for alpha (Krippendorff's own guide: 0.8 reliable, 0.667 tentative)."""
    if alpha is None:
        return "Not enough overlapping scores"
    if alpha >= 0.8:
        return "Strong agreement"
    if alpha >= 0.667:
        return "Moderate agreement"
    if alpha >= 0.4:
        return "Weak agreement"
    return "Little or no agreement"
