"""Temperature scaling and expected calibration error (ECE), in numpy.

A network trained with cross-entropy is usually over-confident. Dividing its logits by one
temperature T, chosen to minimise the negative log-likelihood on data it was not trained
on, fixes most of that without changing any prediction (Guo et al., "On Calibration of
Modern Neural Networks", ICML 2017). ECE is the gap between confidence and accuracy,
averaged over equal-width confidence bins and weighted by how many predictions each holds.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rekap.reading.digits import softmax


def negative_log_likelihood(
    logits: NDArray[np.float32], labels: NDArray[np.int64], temperature: float
) -> float:
    probabilities = softmax(logits, temperature)
    picked = probabilities[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.clip(picked, 1e-12, 1.0))))


def fit_temperature(logits: NDArray[np.float32], labels: NDArray[np.int64]) -> float:
    """The temperature minimising NLL: a coarse log-spaced grid, then a finer one around it."""
    grid = np.exp(np.linspace(np.log(0.2), np.log(10.0), 121))
    best = min(grid, key=lambda t: negative_log_likelihood(logits, labels, float(t)))
    fine = np.linspace(best * 0.95, best * 1.05, 41)
    return float(min(fine, key=lambda t: negative_log_likelihood(logits, labels, float(t))))


def cross_fitted(
    logits: NDArray[np.float32], labels: NDArray[np.int64], halves: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Calibrated probabilities of boxes the network never saw, none of them scaled by a
    temperature fitted on itself: ``halves`` (0 or 1 a box; whole TPS together) splits them,
    and each half is scaled by the temperature the other half gives. A temperature fitted on
    the boxes it is then measured on makes their NLL, ECE and confident misreads a little
    better than a new box would see. With one half empty (a tiny fold), all of them are scaled
    by the temperature fitted on all, as before."""
    probabilities = np.zeros(logits.shape, np.float64)
    if len(set(halves.tolist())) < 2:
        return softmax(logits, fit_temperature(logits, labels)).astype(np.float64)
    for half in (0, 1):
        mine, other = halves == half, halves != half
        temperature = fit_temperature(logits[other], labels[other])
        probabilities[mine] = softmax(logits[mine], temperature)
    return probabilities


def expected_calibration_error(
    probabilities: NDArray[np.float64], labels: NDArray[np.int64], bins: int = 15
) -> float:
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            error += inside.mean() * abs(
                float(confidence[inside].mean()) - float(correct[inside].mean())
            )
    return float(error)


def measured(
    probabilities: NDArray[np.float64], labels: NDArray[np.int64]
) -> dict[str, float | int]:
    """Accuracy, misreads (all and at p >= 0.99), NLL and ECE of calibrated probabilities.

    The figures the training scripts compare networks by: a misread at p >= 0.99 is one
    the page reader would act on, a misread below it one it may abstain on.
    """
    chosen = probabilities.argmax(axis=1)
    wrong = chosen != labels
    confident = probabilities.max(axis=1) >= 0.99
    picked = np.clip(probabilities[np.arange(len(labels)), labels], 1e-12, 1.0)
    return {
        "accuracy": float(np.mean(~wrong)),
        "misread": int(wrong.sum()),
        "misread_at_099": int((wrong & confident).sum()),
        "nll": float(-np.mean(np.log(picked))),
        "ece": expected_calibration_error(probabilities, labels),
    }
