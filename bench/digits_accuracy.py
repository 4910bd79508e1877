"""How well the shipped digit-box classifier reads real boxes it never saw, and how fast.

    .venv/bin/python bench/digits_accuracy.py [--model PATH] [--split test] [--json]

Reads the held-out split of ../shared/data/digits/c1-real (split by TPS code, exactly as
training/train_digits.py splits it) and prints accuracy overall and per class, the
confusion matrix, the confusions Sirekap was known for (1/7, 3/8, X read as 5 or 8, 4/9),
the expected calibration error with and without the model's temperature, and throughput
in crops per second on one core (preprocessing included, batches of 64).

    .venv/bin/python bench/digits_accuracy.py --sim var/sim/bench-3310-7.npz [--model PATH]

instead reads boxes cut by the page reader from simulated photos (an npz written by
training/sim_crops.py, labelled from the simulator's truth; harvest it from the sets that
bench/read_forms.py reports, never from training's): accuracy, calibration, the share of
boxes below confidence 0.99, the boxes misread at 0.99 or more, and the commonest misreads.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "training"))

from calibration import expected_calibration_error  # noqa: E402
from real_digits import REAL_DIGITS_RELATIVE, crops_in, load_real_crops, read_bgr  # noqa: E402
from rekap.reading.box_frame import framed_on_box  # noqa: E402
from rekap.reading.digits import DIGIT_LABELS, OnnxDigitClassifier, softmax  # noqa: E402

CONFUSION_GROUPS = (("1", "7"), ("3", "8"), ("X", "5", "8"), ("4", "9"))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=REPO_ROOT.parent / "shared")
    parser.add_argument("--model", type=Path, default=None, help="default: the packaged model")
    parser.add_argument("--split", choices=("test", "calibration", "train"), default="test")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of text")
    parser.add_argument("--sim", type=Path, nargs="*", default=[], help="npz of page-reader crops")
    parser.add_argument(
        "--mnist", action="store_true", help="instead: other handwriting, MNIST's test digits"
    )
    return parser.parse_args()


def _mnist_plain(digit: np.ndarray) -> np.ndarray:
    """Dark ink on white paper, 28 x 28, no printed box."""
    return (255 - digit).astype(np.uint8)


def _mnist_boxed(digit: np.ndarray) -> np.ndarray:
    """The digit in a printed box of a real crop's size (46 x 44, border 2 px)."""
    canvas = np.full((46, 44), 235, np.uint8)
    cv2.rectangle(canvas, (1, 1), (42, 44), 60, 2)
    ink = cv2.resize(255 - digit, (30, 30), interpolation=cv2.INTER_AREA)
    canvas[8:38, 7:37] = np.minimum(canvas[8:38, 7:37], ink)
    return canvas


def other_handwriting(shared: Path, model: Path | None) -> None:
    """How the model does on handwriting it never saw the like of: the 10,000 MNIST test
    digits (American writers, scanned forms), as they are and pasted into a printed box.
    What matters for the product is that its misreads there are doubtful ones."""
    from mnist import load_mnist

    digits, labels = load_mnist(shared)
    classifier = OnnxDigitClassifier(model, threads=1)
    print(f"MNIST test digits: {len(digits)}")
    for name, shape in (("as they are", _mnist_plain), ("in a printed box", _mnist_boxed)):
        readings = classifier.classify([shape(d) for d in digits])
        read = np.array([int(r.label) if r.label.isdigit() else -1 for r in readings])
        sure = np.array([r.confidence >= 0.99 for r in readings])
        right = read == labels
        print(
            f"  {name}: accuracy {right.mean():.2%}, {int(np.sum(~right & sure))} misread at "
            f"p >= 0.99, {np.mean(~sure):.1%} below p 0.99, {int(np.sum(read == -1))} read as "
            "X or blank"
        )


def simulated_boxes(paths: list[Path], model: Path | None) -> None:
    """Boxes cut by the page reader from simulated photos, per npz file."""
    classifier = OnnxDigitClassifier(model, threads=1)
    for path in paths:
        with np.load(path) as data:
            crops, truth = list(data["crops"]), data["labels"]
        calibrated = softmax(classifier.logits(crops), classifier.temperature)
        predicted = calibrated.argmax(axis=1)
        confidence = calibrated.max(axis=1)
        wrong = predicted != truth
        matrix = confusion_matrix(truth, predicted)
        np.fill_diagonal(matrix, 0)
        common = sorted(
            (
                (int(matrix[i, j]), DIGIT_LABELS[i], DIGIT_LABELS[j])
                for i, j in zip(*matrix.nonzero(), strict=True)
            ),
            reverse=True,
        )[:8]
        print(
            f"{path.name}: {len(truth)} boxes, accuracy {1 - wrong.mean():.2%}, "
            f"ECE {expected_calibration_error(calibrated, truth):.4f}, "
            f"below p 0.99 {np.mean(confidence < 0.99):.1%}, "
            f"wrong at p >= 0.99: {int(np.sum(wrong & (confidence >= 0.99)))}"
        )
        print("  commonest misreads:", ", ".join(f"{t}->{r} {n}" for n, t, r in common))


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    matrix = np.zeros((len(DIGIT_LABELS), len(DIGIT_LABELS)), dtype=np.int64)
    np.add.at(matrix, (truth, predicted), 1)
    return matrix


def pair_confusions(matrix: np.ndarray) -> dict[str, int]:
    """For each known-troublesome group, how often one member was read as another."""
    counts = {}
    for group in CONFUSION_GROUPS:
        for true_label in group:
            for read_as in group:
                if true_label != read_as:
                    i, j = DIGIT_LABELS.index(true_label), DIGIT_LABELS.index(read_as)
                    counts[f"{true_label}->{read_as}"] = int(matrix[i, j])
    return counts


def _recut(image: np.ndarray, left: float, top: float, right: float, bottom: float) -> np.ndarray:
    """The crop re-cut by fractions of its size: positive trims that side, negative pads it
    with paper (the crop's 90th-percentile colour)."""
    height, width = image.shape[:2]
    pad_top, pad_bottom, pad_left, pad_right = (
        max(0, round(-f * n))
        for f, n in ((top, height), (bottom, height), (left, width), (right, width))
    )
    paper = [float(np.percentile(image[..., c], 90)) for c in range(image.shape[2])]
    padded = cv2.copyMakeBorder(
        image, pad_top, pad_bottom, pad_left, pad_right, cv2.BORDER_CONSTANT, value=paper
    )
    # the padded sides are kept whole; a positive fraction trims its side
    y0, x0 = max(0, round(top * height)), max(0, round(left * width))
    y1 = padded.shape[0] - max(0, round(bottom * height))
    x1 = padded.shape[1] - max(0, round(right * width))
    return np.ascontiguousarray(padded[y0:y1, x0:x1])


RECUTS = {
    "looser by 15% each side": (-0.15, -0.15, -0.15, -0.15),
    "tighter by 8% each side": (0.08, 0.08, 0.08, 0.08),
    "shifted 10% right and down": (-0.1, -0.1, 0.1, 0.1),
}


def recut_accuracy(
    classifier: OnnxDigitClassifier, images: list[np.ndarray], truth: np.ndarray
) -> dict[str, float]:
    """Accuracy when the page reader cuts boxes differently from the data set's crops."""
    results = {}
    for name, sides in RECUTS.items():
        readings = classifier.classify([_recut(image, *sides) for image in images])
        predicted = np.array([DIGIT_LABELS.index(r.label) for r in readings])
        results[name] = float(np.mean(predicted == truth))
    return results


def _rotated(image: np.ndarray, degrees: float) -> np.ndarray:
    height, width = image.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    paper = [float(np.percentile(image[..., c], 90)) for c in range(image.shape[2])]
    return np.asarray(cv2.warpAffine(image, turn, (width, height), borderValue=paper))


def _resized(image: np.ndarray, factor: float) -> np.ndarray:
    height, width = image.shape[:2]
    size = (max(4, round(width * factor)), max(4, round(height * factor)))
    method = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(image, size, interpolation=method))


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    _, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return np.asarray(cv2.imdecode(data, cv2.IMREAD_COLOR))


def _shadow(image: np.ndarray, darkest: float) -> np.ndarray:
    """Light falling from `darkest` (share of full) on the left to full on the right."""
    ramp = np.linspace(darkest, 1.0, image.shape[1])[None, :, None]
    return (image * ramp).astype(np.uint8)


def _blue_ink(image: np.ndarray) -> np.ndarray:
    """The crop redrawn as blue ballpoint on white: ink where the grey crop is dark."""
    ink = 1.0 - cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255.0
    blue = np.stack([255 - ink * 60, 255 - ink * 200, 255 - ink * 230], axis=-1)
    return np.clip(blue, 0, 255).astype(np.uint8)


Change = Callable[[np.ndarray], np.ndarray]
"""A crop (BGR) in, the crop as another collection might hold it out."""

CONDITIONS: dict[str, Change] = {
    "a third of the size": lambda image: _resized(image, 1 / 3),
    "three times the size": lambda image: _resized(image, 3.0),
    "JPEG quality 15": lambda image: _jpeg(image, 15),
    "turned 7 degrees": lambda image: _rotated(image, 7.0),
    "blurred (sigma 1.2)": lambda image: cv2.GaussianBlur(image, (0, 0), 1.2),
    "dark (x0.45)": lambda image: (image * 0.45).astype(np.uint8),
    "low contrast (x0.35)": lambda image: (128 + (image.astype(np.float32) - 128) * 0.35).astype(
        np.uint8
    ),
    "blue ink": _blue_ink,
    "a shadow across, 65 % to full light": lambda image: _shadow(image, 0.65),
    "a shadow across, 35 % to full light": lambda image: _shadow(image, 0.35),
}
"""Photo conditions another collection of boxes may bring, applied to each held-out crop."""


def condition_accuracy(
    classifier: OnnxDigitClassifier, images: list[np.ndarray], truth: np.ndarray
) -> dict[str, dict[str, float]]:
    """Accuracy, misreads at p >= 0.99 and the share below p 0.99, per photo condition."""
    results = {}
    for name, change in CONDITIONS.items():
        readings = classifier.classify([change(image) for image in images])
        predicted = np.array([DIGIT_LABELS.index(r.label) for r in readings])
        sure = np.array([r.confidence >= 0.99 for r in readings])
        wrong = predicted != truth
        results[name] = {
            "accuracy": float(np.mean(~wrong)),
            "wrong_at_p99": int(np.sum(wrong & sure)),
            "below_p99": float(np.mean(~sure)),
        }
    return results


def _white_margin(image: np.ndarray, share: float) -> np.ndarray:
    pad = round(share * max(image.shape[:2]))
    return np.asarray(
        cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    )


LOOSE_CUTS: dict[str, Change] = {
    "as they are": lambda image: image,
    "on their own paper, 30% margin": lambda image: _recut(image, -0.3, -0.3, -0.3, -0.3),
    "on white, 15% margin": lambda image: _white_margin(image, 0.15),
    "on white, 30% margin": lambda image: _white_margin(image, 0.3),
}
"""Boxes another collection may cut with a wide margin around the printed border."""


def loose_accuracy(
    classifier: OnnxDigitClassifier, images: list[np.ndarray], truth: np.ndarray
) -> dict[str, dict[str, float]]:
    """Per way of cutting: accuracy and misreads at p >= 0.99 of the crops as cut, and of
    the same crops cut again to their border as `rekap digits classify` does
    (``framed_on_box``), with how many it cut again."""
    results = {}
    for name, cut in LOOSE_CUTS.items():
        loose = [cut(image) for image in images]
        framed = [framed_on_box(image) for image in loose]
        found: dict[str, float] = {
            "cut again": sum(f is not c for f, c in zip(framed, loose, strict=True))
        }
        for way, batch in (("as cut", loose), ("framed", framed)):
            readings = classifier.classify(batch)
            predicted = np.array([DIGIT_LABELS.index(r.label) for r in readings])
            sure = np.array([r.confidence >= 0.99 for r in readings])
            found[f"{way} accuracy"] = float(np.mean(predicted == truth))
            found[f"{way} wrong at p99"] = int(np.sum((predicted != truth) & sure))
        results[name] = found
    return results


def throughput(model: Path | None, crops: list[np.ndarray], batch: int = 64) -> float:
    classifier = OnnxDigitClassifier(model, threads=1)
    classifier.classify(crops[:batch])  # warm up
    started = time.perf_counter()
    for start in range(0, len(crops), batch):
        classifier.classify(crops[start : start + batch])
    return len(crops) / (time.perf_counter() - started)


def main() -> int:
    args = parse_args()
    if args.sim:
        simulated_boxes(args.sim, args.model)
        return 0
    if args.mnist:
        other_handwriting(args.shared, args.model)
        return 0
    if not (args.shared / REAL_DIGITS_RELATIVE / "labels.csv").is_file():
        print(
            f"../shared is absent ({args.shared}); this benchmark reads real digit crops there.",
            file=sys.stderr,
        )
        return 2
    crops = list(crops_in(load_real_crops(args.shared, splits=(args.split,)), args.split))
    images = [read_bgr(c.path) for c in crops]
    truth = np.array([DIGIT_LABELS.index(c.label) for c in crops])
    classifier = OnnxDigitClassifier(args.model, threads=1)
    logits = classifier.logits(images)
    calibrated = softmax(logits, classifier.temperature)
    predicted = calibrated.argmax(axis=1)
    matrix = confusion_matrix(truth, predicted)
    per_class = {
        label: {
            "n": int(matrix[i].sum()),
            "accuracy": float(matrix[i, i] / matrix[i].sum()) if matrix[i].sum() else None,
        }
        for i, label in enumerate(DIGIT_LABELS)
    }
    errors = [
        {
            "file": c.path.name,
            "label": c.label,
            "read": DIGIT_LABELS[p],
            "confidence": float(calibrated[k, p]),
        }
        for k, (c, p) in enumerate(zip(crops, predicted, strict=True))
        if DIGIT_LABELS[p] != c.label
    ]
    report = {
        "split": args.split,
        "crops": len(crops),
        "tps": len({c.tps_code for c in crops}),
        "accuracy": float(np.mean(predicted == truth)),
        "errors": len(errors),
        "per_class": per_class,
        "confusions": pair_confusions(matrix),
        "temperature": classifier.temperature,
        "ece_uncalibrated": expected_calibration_error(softmax(logits), truth),
        "ece_calibrated": expected_calibration_error(calibrated, truth),
        "crops_per_second_one_core": throughput(args.model, images),
        "recut_accuracy": recut_accuracy(classifier, images, truth),
        "condition_accuracy": condition_accuracy(classifier, images, truth),
        "loose_accuracy": loose_accuracy(classifier, images, truth),
        "confusion_matrix": matrix.tolist(),
        "misread": errors,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


def print_report(report: dict) -> None:  # type: ignore[type-arg]
    print(f"split {report['split']}: {report['crops']} crops from {report['tps']} TPS")
    print(f"accuracy {report['accuracy']:.4%} ({report['errors']} misread)")
    for label, stats in report["per_class"].items():
        accuracy = "-" if stats["accuracy"] is None else f"{stats['accuracy']:.2%}"
        print(f"  {label:>5}: {accuracy:>8} of {stats['n']}")
    print(
        "known confusions (true->read):",
        ", ".join(f"{k} {v}" for k, v in report["confusions"].items()),
    )
    before, after = report["ece_uncalibrated"], report["ece_calibrated"]
    print(f"ECE {before:.4f} uncalibrated, {after:.4f} at T={report['temperature']:.3f}")
    print(
        f"throughput {report['crops_per_second_one_core']:.0f} crops/s on one core (batches of 64)"
    )
    for name, accuracy in report["recut_accuracy"].items():
        print(f"accuracy with crops {name}: {accuracy:.2%}")
    for name, found in report["condition_accuracy"].items():
        print(
            f"accuracy {name}: {found['accuracy']:.2%}, {found['wrong_at_p99']} misread at "
            f"p >= 0.99, {found['below_p99']:.1%} below p 0.99"
        )
    for name, found in report["loose_accuracy"].items():
        print(
            f"boxes {name}: {found['as cut accuracy']:.2%} ({found['as cut wrong at p99']} "
            f"misread at p >= 0.99); cut to the border: {found['framed accuracy']:.2%} "
            f"({found['framed wrong at p99']}), {found['cut again']:.0f} cut again"
        )
    header = "true\\read " + " ".join(f"{label[:5]:>5}" for label in DIGIT_LABELS)
    print(header)
    for label, row in zip(DIGIT_LABELS, report["confusion_matrix"], strict=True):
        print(f"{label[:9]:>9} " + " ".join(f"{v:>5}" for v in row))
    for error in report["misread"]:
        read = f"{error['label']} read as {error['read']} ({error['confidence']:.2f})"
        print(f"  misread {error['file']}: {read}")


if __name__ == "__main__":
    sys.exit(main())
