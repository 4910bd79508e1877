"""The training scripts' torch-free parts: cross-validation folds, packed inputs, figures.

PyTorch is not in the product's environment, so these test what the training scripts
share without it: the folds never split a TPS and never take a test box, packed inputs
read back as the crops' own inputs to within one 8-bit step, and the comparison figures
count what they say.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from rekap.reading.digits import INPUT_SIZE, preprocess_crop, softmax
from rekap.simulation.handwriting import WriterStyle, render_digit_box

TRAINING = Path(__file__).resolve().parents[2] / "training"


@pytest.fixture(scope="module")
def training() -> Iterator[dict[str, ModuleType]]:
    sys.path.insert(0, str(TRAINING))
    try:
        import calibration
        import real_digits
        import sim_inputs

        yield {"calibration": calibration, "real_digits": real_digits, "sim_inputs": sim_inputs}
    finally:
        sys.path.remove(str(TRAINING))


def test_folds_are_stable_and_spread(training: dict[str, ModuleType]) -> None:
    fold_of = training["real_digits"].fold_of
    codes = [f"74711110050{i:02d}" for i in range(100)] + [f"3310{i:09d}" for i in range(400)]
    folds = [fold_of(code, 5) for code in codes]
    assert folds == [fold_of(code, 5) for code in codes]
    counts = np.bincount(folds, minlength=5)
    assert counts.min() >= 60, counts  # 100 each expected; no fold starved
    # the salt is the folds' own: another salt deals the same codes otherwise
    assert folds != [fold_of(code, 5, salt="other") for code in codes]


@pytest.mark.shared
def test_folds_keep_a_tps_together_and_never_hold_a_test_box(
    training: dict[str, ModuleType], shared_dir: Path
) -> None:
    real_digits = training["real_digits"]
    crops = real_digits.load_real_crops(shared_dir, splits=("train", "calibration"))
    assert crops and {c.split for c in crops} == {"train", "calibration"}
    fold_of_tps: dict[str, int] = {}
    for crop in crops:
        fold = real_digits.fold_of(crop.tps_code, 5)
        assert fold_of_tps.setdefault(crop.tps_code, fold) == fold
    test_tps = {c.tps_code for c in real_digits.load_real_crops(shared_dir, splits=("test",))}
    assert not test_tps & set(fold_of_tps)


def test_packed_inputs_read_back_within_one_step(
    training: dict[str, ModuleType], tmp_path: Path
) -> None:
    rng = np.random.default_rng(3)
    labels = np.array([1, 7, 10, 0], np.int64)
    crops = np.stack([render_digit_box(c, WriterStyle.sample(rng), rng, (48, 44)) for c in "17X0"])
    source, target = tmp_path / "crops.npz", tmp_path / "packed.npz"
    np.savez_compressed(source, crops=crops, labels=labels)
    sim_inputs = training["sim_inputs"]
    assert sim_inputs.pack(source, target) == 4
    packed, packed_labels = sim_inputs.sim_arrays(target)
    direct, _ = sim_inputs.sim_arrays(source)
    assert packed.shape == (4, INPUT_SIZE, INPUT_SIZE) and packed.dtype == np.float32
    assert np.array_equal(packed_labels, labels)
    assert np.allclose(direct, np.stack([preprocess_crop(c) for c in crops]))
    assert np.abs(packed - direct).max() <= 0.5 / 255 + 1e-6
    both, both_labels = sim_inputs.sim_arrays(source, target)
    assert len(both) == 8 and np.array_equal(both_labels, np.concatenate([labels, labels]))


def test_figures_count_misreads_and_confident_ones(training: dict[str, ModuleType]) -> None:
    probabilities = np.full((4, 12), 0.001, np.float64)
    probabilities[0, 3] = 0.989  # right
    probabilities[1, 5] = 0.995  # wrong (label 6), sure of it
    probabilities[2, 7] = 0.6  # wrong (label 1), doubtful
    probabilities[2, 1] = 0.389
    probabilities[3, 2] = 0.989  # right
    labels = np.array([3, 6, 1, 2], np.int64)
    figures = training["calibration"].measured(probabilities, labels)
    assert figures["misread"] == 2 and figures["misread_at_099"] == 1
    assert figures["accuracy"] == pytest.approx(0.5)
    expected_nll = -np.mean(np.log([0.989, 0.001, 0.389, 0.989]))
    assert figures["nll"] == pytest.approx(expected_nll)


def test_each_half_is_calibrated_by_the_other_halfs_temperature(
    training: dict[str, ModuleType],
) -> None:
    calibration = training["calibration"]
    draw = np.random.default_rng(7)
    labels = draw.integers(0, 12, 400).astype(np.int64)
    logits = draw.normal(0.0, 1.0, (400, 12)).astype(np.float32)
    logits[np.arange(400), labels] += 3.0
    halves = np.repeat(np.array([0, 1], np.int64), 200)
    logits[halves == 1] *= 4.0  # the second half four times as sure of itself: another T
    got = calibration.cross_fitted(logits, labels, halves)
    for half in (0, 1):
        mine, other = halves == half, halves != half
        t_other = calibration.fit_temperature(logits[other], labels[other])
        t_own = calibration.fit_temperature(logits[mine], labels[mine])
        assert abs(t_other - t_own) > 0.5  # the halves would not be scaled alike
        assert np.allclose(got[mine], softmax(logits[mine], t_other))
    one_half = calibration.cross_fitted(logits, labels, np.zeros(400, np.int64))
    whole = calibration.fit_temperature(logits, labels)
    assert np.allclose(one_half, softmax(logits, whole))
