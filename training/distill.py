"""Train several teacher networks, then small students that learn from their averaged opinion.

    python training/distill.py --device cuda --teachers 8 --students 2 \\
        --sim var/sim/train.npz --sim-check var/sim/check.npz --out var/distill

An ensemble of many networks reads better than any one of them but costs as many networks
at run time. A student of the shipped size is trained on the same data and augmentation,
its loss a mix of the data set's labels and the teachers' mean probabilities on the very
same augmented batch (at a softening temperature `--tau`), so it learns where the teachers
hesitate between two readings, not only the label. Only the student ships; the teachers
are a means.

Every network is fitted a temperature on the calibration split and exported to ONNX with
the product's metadata. The test split is never read here (bench/digits_accuracy.py reads
it); `summary.json` gives, per network and for the teachers' ensemble, the calibration
split's and held-out simulated crops' accuracy, misreads at p >= 0.99, NLL and ECE, so a
candidate is chosen without looking at the test split.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as functional
from numpy.typing import NDArray

from calibration import fit_temperature, measured
from model import digit_box_net
from real_digits import crops_in, load_real_crops
from rekap.reading.digits import softmax
from sim_inputs import sim_arrays
from synthetic import synthesize
from train_digits import (
    Arrays,
    Loss,
    export_onnx,
    model_metadata,
    pools_of,
    predict_logits,
    real_arrays,
    train,
    training_parser,
)


def parse_args() -> argparse.Namespace:
    parser = training_parser(__doc__)
    parser.add_argument("--teachers", type=int, default=8)
    parser.add_argument("--teacher-seed", type=int, default=100, help="first teacher's seed")
    parser.add_argument("--teacher-widths", type=int, nargs=3, default=None)
    parser.add_argument("--teacher-epochs", type=int, default=None)
    parser.add_argument("--students", type=int, default=2)
    parser.add_argument("--student-seed", type=int, default=200, help="first student's seed")
    parser.add_argument("--tau", type=float, default=2.0, help="softening temperature")
    parser.add_argument("--alpha", type=float, default=0.7, help="weight of the teachers")
    parser.add_argument("--out", type=Path, required=True, help="folder for models and summary")
    return parser.parse_args()


def distillation_loss(teachers: list[torch.nn.Module], tau: float, alpha: float) -> Loss:
    """Labels (lightly smoothed) weighted 1 - alpha, the teachers' softened mean alpha."""

    def loss(logits: torch.Tensor, labels: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            mean = torch.stack(
                [functional.softmax(teacher(inputs) / tau, dim=1) for teacher in teachers]
            ).mean(dim=0)
        soft = functional.kl_div(
            functional.log_softmax(logits / tau, dim=1), mean, reduction="batchmean"
        )
        hard = functional.cross_entropy(logits, labels, label_smoothing=0.05)
        return alpha * tau * tau * soft + (1 - alpha) * hard

    return loss


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    crops = load_real_crops(args.shared)
    real = real_arrays(list(crops_in(crops, "train")))
    check = real_arrays(list(crops_in(crops, "calibration")))
    sim = sim_arrays(*args.sim) if args.sim else None
    sim_check = sim_arrays(args.sim_check) if args.sim_check else None
    simulated = len(sim[0]) if sim is not None else 0
    summary: dict[str, object] = {"args": {k: str(v) for k, v in vars(args).items()}}
    teacher_seeds = [args.teacher_seed + i for i in range(args.teachers)]
    student_seeds = [args.student_seed + i for i in range(args.students)]
    # Every network's drawn boxes first, in worker processes forked before any GPU work.
    drawn: dict[int, Arrays] = {
        seed: synthesize(args.synthetic, seed, workers=args.threads)
        for seed in teacher_seeds + student_seeds
    }
    print(f"data ready in {time.monotonic() - started:.0f} s", flush=True)

    def save() -> None:
        summary["seconds"] = round(time.monotonic() - started, 1)
        (args.out / "summary.json").write_text(json.dumps(summary, indent=2))

    def fit(
        name: str, seed: int, widths: list[int], epochs: int, loss: Loss | None
    ) -> tuple[torch.nn.Module, float, dict[str, object]]:
        run = copy.copy(args)
        run.seed, run.widths, run.epochs = seed, widths, epochs
        torch.manual_seed(seed)
        pools = pools_of(real, drawn[seed], sim, run)
        model = digit_box_net((widths[0], widths[1], widths[2]))
        clock = time.monotonic()
        if loss is None:
            history = train(model, pools, check, run)
        else:
            history = train(model, pools, check, run, loss)
        logits = predict_logits(model, check[0])
        temperature = fit_temperature(logits, check[1])
        record: dict[str, object] = {
            "seed": seed,
            "widths": widths,
            "epochs": epochs,
            "seconds": round(time.monotonic() - clock, 1),
            "temperature": temperature,
            "calibration": measured(softmax(logits, temperature), check[1]),
            "last_epoch": history[-1],
        }
        if sim_check is not None:
            sim_logits = predict_logits(model, sim_check[0])
            record["sim_check"] = measured(softmax(sim_logits, temperature), sim_check[1])
        trained_by = "training/distill.py" + (" (student)" if loss is not None else " (teacher)")
        export_onnx(
            model,
            args.out / f"{name}.onnx",
            model_metadata(temperature, widths, seed, trained_by, simulated),
        )
        model.to(torch.device(args.device))
        print(json.dumps({name: record}), flush=True)
        return model, temperature, record

    teachers: list[tuple[torch.nn.Module, float]] = []
    teacher_widths = args.teacher_widths or args.widths
    teacher_epochs = args.teacher_epochs or args.epochs
    for index, seed in enumerate(teacher_seeds):
        name = f"teacher-{index}"
        model, temperature, record = fit(name, seed, teacher_widths, teacher_epochs, None)
        model.eval()
        teachers.append((model, temperature))
        summary[name] = record
        save()

    def ensemble(inputs: NDArray[np.float32]) -> NDArray[np.float64]:
        return np.mean([softmax(predict_logits(model, inputs), t) for model, t in teachers], axis=0)

    if teachers:
        joined = {"calibration": measured(ensemble(check[0]), check[1])}
        if sim_check is not None:
            joined["sim_check"] = measured(ensemble(sim_check[0]), sim_check[1])
        summary["teachers"] = joined
        print(json.dumps({"teachers": joined}), flush=True)
    loss = distillation_loss([m for m, _ in teachers], args.tau, args.alpha) if teachers else None
    for index, seed in enumerate(student_seeds):
        name = f"student-{index}"
        _, _, record = fit(name, seed, args.widths, args.epochs, loss)
        summary[name] = record
        save()
    save()
    print(f"done in {summary['seconds']} s")


if __name__ == "__main__":
    main()
