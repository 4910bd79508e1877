"""Quantise a digit model's convolutions and dense layers to 8-bit integers (ONNX QDQ).

    .venv-train/bin/python training/quantize.py var/training/digits-pair.onnx \
        --output src/rekap/reading/models/digits.onnx

Weights become signed 8-bit per output channel, activations unsigned 8-bit with ranges
calibrated on 600 real training boxes (split as `train_digits.py` splits them, chosen with
a fixed seed): ONNX Runtime then runs the convolutions as integer arithmetic, about twice
as fast on one core as in float. Everything after the last dense layer (each member's
temperature, softmax, the mean) stays in float, and the metadata is kept, so the runtime
reads the file exactly as it reads the float one. What quantising changes is measured
before a file ships (model card: the same misreads on real boxes, the same fields right,
wrong and abstained within a handful).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

from real_digits import crops_in, load_real_crops, read_bgr
from rekap.reading.digits import preprocess_crops
from rekap.reading.light import even_out_light

REPO_ROOT = Path(__file__).resolve().parent.parent
CALIBRATION_BOXES = 600
BATCH = 50


# onnxruntime ships no type information, so its base class is Any to mypy
class RealBoxes(CalibrationDataReader):  # type: ignore[misc]
    """Batches of real training boxes, (N, 1, 32, 32) as the runtime feeds the model."""

    def __init__(self, inputs: NDArray[np.float32]) -> None:
        batches = [inputs[i : i + BATCH] for i in range(0, len(inputs), BATCH)]
        self._batches = iter([{"crops": batch} for batch in batches])

    def get_next(self) -> dict[str, NDArray[np.float32]] | None:
        return next(self._batches, None)


def calibration_inputs(shared: Path, seed: int) -> NDArray[np.float32]:
    crops = list(crops_in(load_real_crops(shared), "train"))
    chosen = np.random.default_rng(seed).choice(len(crops), CALIBRATION_BOXES, replace=False)
    # exactly what the runtime hands the model: evened where unevenly lit, then preprocessed
    return preprocess_crops([even_out_light(read_bgr(crops[i].path)) for i in sorted(chosen)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--shared", type=Path, default=REPO_ROOT.parent / "shared")
    parser.add_argument("--seed", type=int, default=0, help="which training boxes calibrate")
    args = parser.parse_args()
    inputs = calibration_inputs(args.shared, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        prepared = Path(folder) / "prepared.onnx"
        quant_pre_process(str(args.model), str(prepared))
        quantize_static(
            str(prepared),
            str(args.output),
            RealBoxes(inputs),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=["Conv", "Gemm", "MatMul"],
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
    print(f"{args.model} quantised with {len(inputs)} real boxes into {args.output}")


if __name__ == "__main__":
    main()
