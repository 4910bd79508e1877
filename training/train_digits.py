"""Train the digit-box classifier and export it to ONNX for the product.

    .venv-train/bin/python training/train_digits.py            # ~15 min on 2 CPU cores

Data: the real crops of ../shared (label 0 split into 0 / X / blank by `zero_classes`),
split by TPS code into train / calibration / test (`real_digits`), plus synthetic boxes
drawn by `rekap.simulation.handwriting` and, with --mnist N, MNIST digits pasted into boxes.
The network sees the train split and the synthetic boxes; the calibration split picks the
temperature; the test split is never touched here (bench/digits_accuracy.py reports it).
Writes the model to src/rekap/reading/models/digits.onnx and a metrics JSON beside it
under var/.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn.functional as functional
from numpy.typing import NDArray

from augment import augment_batch
from calibration import expected_calibration_error, fit_temperature
from mnist import mnist_inputs
from model import digit_box_net
from real_digits import SPLIT_SEED, RealCrop, crops_in, load_real_crops, read_bgr
from rekap.reading.digits import (
    DIGIT_LABELS,
    INPUT_SIZE,
    PREPROCESSING_VERSION,
    preprocess_crop,
    softmax,
)
from sim_inputs import sim_arrays
from synthetic import synthesize

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "src/rekap/reading/models/digits.onnx"
DEFAULT_METRICS = REPO_ROOT / "var/training/digits-metrics.json"


def training_parser(description: str | None = __doc__) -> argparse.ArgumentParser:
    """The options every training script shares (data, schedule, device, network)."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=REPO_ROOT.parent / "shared")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--metrics", type=Path, default=DEFAULT_METRICS)
    parser.add_argument("--seed", type=int, default=7, help="weights, sampling and synthesis")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--synthetic", type=int, default=24_000, help="synthetic boxes drawn")
    parser.add_argument("--synthetic-per-epoch", type=int, default=6_000)
    parser.add_argument("--real-repeats", type=int, default=1, help="real passes per epoch")
    parser.add_argument("--mnist", type=int, default=0, help="MNIST boxes to add (0: none)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--device", default="cpu", help="torch device to train on (cpu, or cuda on a GPU machine)"
    )
    parser.add_argument(
        "--sim",
        type=Path,
        nargs="*",
        default=[],
        help="npz files of page-reader crops of simulated photos (training/sim_crops.py)",
    )
    parser.add_argument("--sim-per-epoch", type=int, default=5_000)
    parser.add_argument(
        "--widths",
        type=int,
        nargs=3,
        default=[24, 48, 96],
        help="channels of the three conv blocks (smaller is faster at run time)",
    )
    parser.add_argument(
        "--sim-check",
        type=Path,
        default=None,
        help="npz of held-out simulated crops (other seeds and regions): logged, and the "
        "calibration ECE is reported on it too",
    )
    return parser


def parse_args() -> argparse.Namespace:
    return training_parser().parse_args()


def label_index(crop: RealCrop) -> int:
    return DIGIT_LABELS.index(crop.label)


def real_arrays(crops: list[RealCrop]) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    inputs = (
        np.stack([preprocess_crop(read_bgr(c.path)) for c in crops])
        if crops
        else np.zeros((0, INPUT_SIZE, INPUT_SIZE), np.float32)
    )
    labels = np.array([label_index(c) for c in crops], dtype=np.int64)
    return inputs.astype(np.float32), labels


def predict_logits(model: torch.nn.Module, inputs: NDArray[np.float32]) -> NDArray[np.float32]:
    model.eval()
    device = next(model.parameters()).device
    outputs = []
    with torch.no_grad():
        for start in range(0, len(inputs), 1024):
            batch = torch.from_numpy(inputs[start : start + 1024]).unsqueeze(1).to(device)
            outputs.append(model(batch).cpu().numpy())
    return np.concatenate(outputs).astype(np.float32)


def _draw(size: int, count: int, generator: torch.Generator) -> torch.Tensor:
    """`count` indices into a pool of `size`: whole shuffled passes, then a random remainder."""
    device = generator.device
    passes = [
        torch.randperm(size, generator=generator, device=device) for _ in range(count // size)
    ]
    remainder = torch.randperm(size, generator=generator, device=device)[: count % size]
    return torch.cat([*passes, remainder])


Loss = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def hard_label_loss(
    logits: torch.Tensor, labels: torch.Tensor, inputs: torch.Tensor
) -> torch.Tensor:
    """Cross-entropy against the data set's labels, lightly smoothed."""
    del inputs
    return functional.cross_entropy(logits, labels, label_smoothing=0.05)


Arrays = tuple[NDArray[np.float32], NDArray[np.int64]]
Pool = tuple[torch.Tensor, torch.Tensor, int]


def pools_of(
    real: Arrays, synthetic: Arrays, sim: Arrays | None, args: argparse.Namespace
) -> list[Pool]:
    """Each source as (inputs, labels, samples drawn per epoch), as `train` takes them."""

    def pool(arrays: Arrays, per_epoch: int) -> Pool:
        return torch.from_numpy(arrays[0]).unsqueeze(1), torch.from_numpy(arrays[1]), per_epoch

    pools = [
        pool(real, args.real_repeats * len(real[0])),
        pool(synthetic, args.synthetic_per_epoch),
    ]
    if sim is not None:
        pools.append(pool(sim, args.sim_per_epoch))
    if args.mnist:
        mnist = mnist_inputs(args.shared, args.mnist, args.seed)
        pools.append(pool(mnist, len(mnist[0]) // 2))
    return pools


def train(
    model: torch.nn.Module,
    pools: list[Pool],
    check: tuple[NDArray[np.float32], NDArray[np.int64]],
    args: argparse.Namespace,
    loss_of: Loss = hard_label_loss,
) -> list[dict[str, float]]:
    """Train on `pools` of (inputs, labels, samples per epoch); log accuracy on `check`.

    Trains on `args.device`: the model and pools are moved there, and the sampling and
    augmentation draw from a generator on that device (on the CPU, exactly as before).
    """
    device = torch.device(args.device)
    model.to(device)
    pools = [(inputs.to(device), labels.to(device), count) for inputs, labels, count in pools]
    generator = torch.Generator(device=device).manual_seed(args.seed)
    per_epoch = sum(count for _, _, count in pools)
    steps = args.epochs * ((per_epoch + args.batch_size - 1) // args.batch_size)
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.learning_rate, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=args.learning_rate, total_steps=steps
    )
    history = []
    for epoch in range(args.epochs):
        started = time.monotonic()
        chosen_inputs, chosen_labels = [], []
        for inputs, labels, count in pools:
            picks = _draw(len(inputs), count, generator)
            chosen_inputs.append(inputs[picks])
            chosen_labels.append(labels[picks])
        epoch_inputs, epoch_labels = torch.cat(chosen_inputs), torch.cat(chosen_labels)
        order = torch.randperm(len(epoch_inputs), generator=generator, device=device)
        model.train()
        total_loss = 0.0
        for start in range(0, len(order), args.batch_size):
            batch = order[start : start + args.batch_size]
            inputs = augment_batch(epoch_inputs[batch], generator)
            loss = loss_of(model(inputs), epoch_labels[batch], inputs)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total_loss += loss.item() * len(batch)
        accuracy = float(np.mean(predict_logits(model, check[0]).argmax(axis=1) == check[1]))
        record = {
            "epoch": epoch + 1,
            "loss": total_loss / len(order),
            "calibration_accuracy": accuracy,
            "seconds": time.monotonic() - started,
        }
        history.append(record)
        print(json.dumps(record), flush=True)
    return history


def export_onnx(model: torch.nn.Module, path: Path, metadata: dict[str, str]) -> None:
    """Export with a dynamic batch axis, then write the metadata the runtime checks."""
    model.eval()
    model.cpu()
    path.parent.mkdir(parents=True, exist_ok=True)
    example = torch.zeros(2, 1, INPUT_SIZE, INPUT_SIZE)
    torch.onnx.export(
        model,
        (example,),
        str(path),
        input_names=["crops"],
        output_names=["logits"],
        dynamic_axes={"crops": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    proto = onnx.load(str(path))
    onnx.helper.set_model_props(proto, metadata)
    onnx.save(proto, str(path))


def model_metadata(
    temperature: float, widths: list[int], seed: int, trained_by: str, simulated: int
) -> dict[str, str]:
    """What the runtime checks (labels, preprocessing) and what the model card cites."""
    return {
        "labels": ",".join(DIGIT_LABELS),
        "temperature": f"{temperature:.4f}",
        "preprocessing": PREPROCESSING_VERSION,
        "input_size": str(INPUT_SIZE),
        "widths": ",".join(str(w) for w in widths),
        "split_seed": str(SPLIT_SEED),
        "training_seed": str(seed),
        "trained_by": trained_by,
        "simulated_crops": str(simulated),
    }


def onnx_logits(path: Path, inputs: NDArray[np.float32]) -> NDArray[np.float32]:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, {"crops": inputs[:, None]})[0], dtype=np.float32)


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    started = time.monotonic()
    crops = load_real_crops(args.shared)
    train_inputs, train_labels = real_arrays(list(crops_in(crops, "train")))
    check_inputs, check_labels = real_arrays(list(crops_in(crops, "calibration")))
    synthetic_inputs, synthetic_labels = synthesize(args.synthetic, args.seed, workers=args.threads)
    seconds = time.monotonic() - started
    print(f"data ready in {seconds:.0f} s: {len(train_inputs)} real, {len(synthetic_inputs)} drawn")
    sim_pool = sim_arrays(*args.sim) if args.sim else None
    if sim_pool is not None:
        print(f"{len(sim_pool[0])} page-reader crops of simulated photos", flush=True)
    pools = pools_of(
        (train_inputs, train_labels), (synthetic_inputs, synthetic_labels), sim_pool, args
    )
    model = digit_box_net(tuple(args.widths))
    history = train(model, pools, (check_inputs, check_labels), args)
    training_seconds = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime

    logits = predict_logits(model, check_inputs)
    temperature = fit_temperature(logits, check_labels)
    ece_before = expected_calibration_error(softmax(logits), check_labels)
    ece_after = expected_calibration_error(softmax(logits, temperature), check_labels)
    export_onnx(
        model,
        args.output,
        model_metadata(
            temperature,
            args.widths,
            args.seed,
            "training/train_digits.py",
            len(sim_pool[0]) if sim_pool is not None else 0,
        ),
    )
    exported = onnx_logits(args.output, check_inputs)
    metrics = {
        "training_seconds": round(training_seconds, 1),
        "cpu_seconds": round(cpu_seconds, 1),
        "threads": args.threads,
        "real_train_crops": len(train_inputs),
        "calibration_crops": len(check_inputs),
        "synthetic_boxes": len(synthetic_inputs),
        "mnist_boxes": args.mnist,
        "simulated_crops": len(sim_pool[0]) if sim_pool is not None else 0,
        "simulated_per_epoch": args.sim_per_epoch if sim_pool is not None else 0,
        "epochs": args.epochs,
        "calibration_accuracy": float(np.mean(logits.argmax(axis=1) == check_labels)),
        "temperature": temperature,
        "calibration_ece_before": ece_before,
        "calibration_ece_after": ece_after,
        "onnx_max_abs_logit_difference": float(np.abs(exported - logits).max()),
        "onnx_bytes": args.output.stat().st_size,
        "history": history,
    }
    if args.sim_check:
        sim_x, sim_y = sim_arrays(args.sim_check)
        sim_logits = predict_logits(model, sim_x)
        sim_probabilities = softmax(sim_logits, temperature)
        metrics["sim_check_crops"] = len(sim_x)
        metrics["sim_check_accuracy"] = float(np.mean(sim_logits.argmax(axis=1) == sim_y))
        metrics["sim_check_ece_after"] = expected_calibration_error(sim_probabilities, sim_y)
        metrics["sim_check_temperature"] = fit_temperature(sim_logits, sim_y)
    args.metrics.parent.mkdir(parents=True, exist_ok=True)
    args.metrics.write_text(json.dumps(metrics, indent=2))
    print(json.dumps({k: v for k, v in metrics.items() if k != "history"}, indent=2))


if __name__ == "__main__":
    main()
