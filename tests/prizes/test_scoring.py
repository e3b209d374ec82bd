"""The results maths on small numbers checked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engage.prizes import scoring
from engage.prizes.scoring import Rating


def grid(rows: dict[int, list[float]], criterion: int = 1) -> list[Rating]:
    """{judge: [score for entry 1, 2, ...]} on one criterion."""
    return [Rating(e, j, criterion, v) for j, values in rows.items() for e, v in enumerate(values, start=1)]


def test_weighted_score_uses_weights_and_ignores_incomplete_sets():
    ratings = [Rating(1, 10, 1, 4), Rating(1, 10, 2, 1), Rating(2, 10, 1, 5)]  # entry 2 lacks criterion 2
    weighted = scoring.weighted_scores(ratings, {1: 2.0, 2: 1.0})
    assert weighted == {(1, 10): pytest.approx(3.0)}  # (2*4 + 1*1) / 3


def test_z_scores_make_a_lenient_and_a_harsh_judge_agree():
    # Judge 1 scores 1, 2, 3; judge 2 scores the same entries 3, 4, 5: the same opinion, shifted.
    z = scoring.judge_z_scores({(1, 1): 1, (2, 1): 2, (3, 1): 3, (1, 2): 3, (2, 2): 4, (3, 2): 5})
    sd = math.sqrt(2 / 3)
    assert z[(1, 1)] == pytest.approx(-1 / sd)
    assert z[(2, 1)] == pytest.approx(0)
    assert z[(3, 2)] == pytest.approx(1 / sd)
    assert z[(1, 1)] == pytest.approx(z[(1, 2)])


def test_raw_and_normalised_scores_and_ranks():
    result = scoring.compute(grid({1: [1, 2, 3], 2: [3, 4, 5]}), {1: 1.0}, scale=(1, 5))
    by_entry = {r.entry: r for r in result.entries}
    assert by_entry[1].raw == pytest.approx(2.0)
    assert by_entry[3].raw == pytest.approx(4.0)
    assert result.grand_mean == pytest.approx(3.0)  # mean of 1,2,3,3,4,5
    assert by_entry[3].z == pytest.approx(1 / math.sqrt(2 / 3))
    assert by_entry[3].normalised == pytest.approx(3.0 + by_entry[3].z * np.std([1, 2, 3, 3, 4, 5]))
    assert [by_entry[e].rank for e in (1, 2, 3)] == [3, 2, 1]
    # Both judges put the entries in the same order, so the bootstrap cannot move any rank.
    assert all(r.rank_low == r.rank == r.rank_high for r in result.entries)


def test_normalising_corrects_for_who_happened_to_judge_what():
    # Harsh judge 1 scores entries 1 and 2 (3 and 2): entry 1 is better. Lenient judge 2 scores entries 2 and 3
    # (5 and 4): entry 2 is better. So the order is 1, 2, 3; raw means (3, 3.5, 4) get it backwards.
    ratings = [Rating(1, 1, 1, 3), Rating(2, 1, 1, 2), Rating(2, 2, 1, 5), Rating(3, 2, 1, 4)]
    result = scoring.compute(ratings, {1: 1.0})
    by_entry = {r.entry: r for r in result.entries}
    assert [by_entry[e].raw_rank for e in (1, 2, 3)] == [3, 2, 1]
    assert [by_entry[e].rank for e in (1, 2, 3)] == [1, 2, 3]
    assert [by_entry[e].z for e in (1, 2, 3)] == pytest.approx([1.0, 0.0, -1.0])


def test_krippendorff_alpha_interval_hand_checked():
    # Units (1,2), (2,3), (3,4): Do = 1, De = 66/30 = 2.2, alpha = 1 - 1/2.2 = 6/11.
    assert scoring.krippendorff_alpha(np.array([[1.0, 2, 3], [2.0, 3, 4]])) == pytest.approx(6 / 11)
    assert scoring.krippendorff_alpha(np.array([[1.0, 2, 3], [1.0, 2, 3]])) == pytest.approx(1.0)
    assert scoring.krippendorff_alpha(np.array([[1.0, np.nan], [np.nan, 2.0]])) is None  # nothing overlaps
    assert scoring.krippendorff_alpha(np.array([[3.0, 3.0], [3.0, 3.0]])) is None  # no variation at all


def test_alpha_is_reported_per_criterion():
    ratings = grid({1: [1, 2, 3], 2: [1, 2, 3]}, criterion=1) + grid({1: [1, 2, 3], 2: [2, 3, 4]}, criterion=2)
    result = scoring.compute(ratings, {1: 1.0, 2: 1.0}, scale=(1, 5))
    assert result.alpha[1] == pytest.approx(1.0)
    assert result.alpha[2] == pytest.approx(6 / 11)


def test_lenient_judge_flagged_and_the_others_not():
    # Judges 1 and 2 agree; judge 3 gives 2 more to every entry (scale 1 to 10).
    values = [1, 2, 3, 4]
    result = scoring.compute(grid({1: values, 2: values, 3: [v + 2 for v in values]}), {1: 1.0}, scale=(1, 10))
    sd = np.std(values + values + [v + 2 for v in values])
    judges = {j.judge: j for j in result.judges}
    # Panel mean on each entry is v + 2/3: judge 3 is 4/3 above it, judges 1 and 2 are 2/3 below.
    assert judges[3].offset == pytest.approx(4 / 3)
    assert judges[3].leniency == pytest.approx((4 / 3) / sd)
    assert judges[3].flag == "lenient"
    assert judges[1].offset == pytest.approx(-2 / 3)
    assert judges[1].flag == ""  # -0.46 panel standard deviations: within the threshold


def test_harsh_judge_flagged():
    # Judge 3 gives 3 less than judges 1 and 2 (scale 0 to 10). Panel sd is sqrt(72 / 9) = 2.83; judge 3 is
    # 2 below the panel mean (-0.71 sd), judges 1 and 2 are 1 above it (0.35 sd).
    result = scoring.compute(grid({1: [3, 6, 9], 2: [3, 6, 9], 3: [0, 3, 6]}), {1: 1.0}, scale=(0, 10))
    judges = {j.judge: j for j in result.judges}
    assert judges[3].leniency == pytest.approx(-2 / math.sqrt(8))
    assert {j: r.flag for j, r in judges.items()} == {1: "", 2: "", 3: "harsh"}


def test_disagreement_flag_uses_a_quarter_of_the_scale():
    # Scale 1-5: the threshold is a standard deviation of 1.0. Entry 1: scores 1 and 5 (sd 2). Entry 2: 3 and 4.
    result = scoring.compute(grid({1: [1, 3], 2: [5, 4]}), {1: 1.0}, scale=(1, 5))
    flags = {r.entry: r.disagreement for r in result.entries}
    assert flags == {1: True, 2: False}


def test_moderation_band_marks_entries_whose_rank_interval_crosses_the_line():
    # Entries 2 and 3 swap places between the judges; the shortlist line is after rank 2.
    result = scoring.compute(grid({1: [1, 2, 3, 5], 2: [1, 3, 2, 5]}), {1: 1.0}, scale=(1, 5), shortlist_size=2)
    by_entry = {r.entry: r for r in result.entries}
    assert by_entry[4].rank == 1 and not by_entry[4].moderation
    assert (by_entry[2].rank, by_entry[3].rank) == (2, 3)  # tied: the lower id first
    assert (by_entry[2].rank_low, by_entry[2].rank_high) == (2, 3)
    assert by_entry[2].moderation and by_entry[3].moderation
    assert not by_entry[1].moderation


def test_bootstrap_is_reproducible_with_a_seed():
    rng = np.random.default_rng(1)
    ratings = [Rating(e, j, 1, int(rng.integers(1, 6))) for e in range(1, 9) for j in range(1, 4)]
    first = scoring.compute(ratings, {1: 1.0}, seed=7)
    second = scoring.compute(ratings, {1: 1.0}, seed=7)
    assert [(r.rank_low, r.rank_high) for r in first.entries] == [(r.rank_low, r.rank_high) for r in second.entries]


def test_no_scores_gives_empty_results():
    result = scoring.compute([], {1: 1.0})
    assert result.entries == [] and result.judges == []
