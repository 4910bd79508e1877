"""Files of page-reader crops as the model's inputs: read them, or pack them to travel.

`training/sim_crops.py` keeps each crop as cut (about 1.6 kB a box, compressed); training
only needs the 32 x 32 input `preprocess_crop` makes of it. `pack` stores those inputs in
8 bits (steps of 1/255, far below the noise the training's augmentation adds), about half
the size, small enough to travel with the repository to a GPU machine (`pack_inputs.py`);
`sim_arrays` reads either kind. No PyTorch here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from rekap.reading.digits import preprocess_crop


def sim_arrays(*paths: Path) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """The inputs and label indices of npz files of crops or of packed inputs, joined."""
    inputs_list, labels_list = [], []
    for path in paths:
        with np.load(path) as data:
            if "inputs_u8" in data:
                inputs_list.append(data["inputs_u8"].astype(np.float32) / 255)
            else:
                inputs_list.append(np.stack([preprocess_crop(c) for c in data["crops"]]))
            labels_list.append(data["labels"])
    inputs = np.concatenate(inputs_list).astype(np.float32)
    return inputs, np.concatenate(labels_list).astype(np.int64)


def pack(source: Path, target: Path) -> int:
    """Write `source`'s crops as 8-bit inputs to `target`; return how many."""
    inputs, labels = sim_arrays(source)
    levels = np.rint(np.clip(inputs, 0.0, 1.0) * 255).astype(np.uint8)
    target.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(target, inputs_u8=levels, labels=labels)
    return len(labels)
