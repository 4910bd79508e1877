"""Synthetic training boxes: the project's own handwriting renderer, then a phone camera.

Each box gets a fresh writer and a fresh printed box, so the set spans many styles; the
rare real shapes (empty boxes, odd Xs, small round zeros) come in the same numbers as the
digits. Generation is split into chunks seeded from one `SeedSequence`, so the result is
the same for any number of worker processes.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import numpy as np
from numpy.typing import NDArray

from photo_effects import photograph
from rekap.reading.digits import DIGIT_LABELS, INPUT_SIZE, preprocess_crop
from rekap.simulation.handwriting import WriterStyle, render_digit_box_bgr

_CHUNK = 500


def synthetic_box(label: str, rng: np.random.Generator) -> NDArray[np.uint8]:
    """One rendered, photographed BGR crop with a real crop's typical size."""
    size = (int(rng.integers(38, 59)), int(rng.integers(36, 51)))
    clean = render_digit_box_bgr(label, WriterStyle.sample(rng), rng, size)
    return photograph(clean, rng)


def _render_chunk(
    job: tuple[np.random.SeedSequence, int],
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    seed, count = job
    rng = np.random.default_rng(seed)
    labels = np.arange(count, dtype=np.int64) % len(DIGIT_LABELS)
    rng.shuffle(labels)
    inputs = np.empty((count, INPUT_SIZE, INPUT_SIZE), dtype=np.float32)
    for index, label in enumerate(labels):
        inputs[index] = preprocess_crop(synthetic_box(DIGIT_LABELS[label], rng))
    return inputs, labels


def synthesize(
    count: int, seed: int, workers: int = 2
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """`count` preprocessed synthetic inputs (N, 32, 32) and their label indices, balanced."""
    chunks = [min(_CHUNK, count - start) for start in range(0, count, _CHUNK)]
    seeds = np.random.SeedSequence(seed).spawn(len(chunks))
    jobs = list(zip(seeds, chunks, strict=True))
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(_render_chunk, jobs))
    else:
        parts = [_render_chunk(job) for job in jobs]
    inputs = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return inputs, labels
