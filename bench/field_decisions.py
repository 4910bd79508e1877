"""Field decisions on simulated photos, fast to repeat: cut once, classify and decide often.

    .venv/bin/python bench/field_decisions.py harvest --sets 3310:7 747101:2024 --tps 1000
    .venv/bin/python bench/field_decisions.py evaluate [--model other.onnx]

`harvest` photographs simulated TPS (`rekap.simulation`, default options, all three pages),
runs the product's decode, locate and cut stages and the bubble reader on each photo, and
keeps every field's digit-box crops, bubble reading and written value in
`var/bench/fields-<region>-<seed>-<tps>.pkl`. `evaluate` classifies those crops with a digit
model (the shipped one by default) and decides every field three ways: on its own marks,
with its page's identities, and with its TPS's three pages together; each way it counts
fields read right, read wrong (silent errors) and abstained, and lists every silent error.
The same cut and bubbles then measure any model or decision policy in a minute instead of
simulating and locating thousands of photos again. Keep the sets disjoint from those that
train the digit model (training/sim_crops.py).
"""

from __future__ import annotations

import argparse
import math
import os
import pickle
import platform
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from read_forms import NoDigitEvidence
from rekap.reading.bubbles import BubbleGridReading
from rekap.reading.cells import PageCells, cut_cells
from rekap.reading.classifier import DigitBoxClassifier
from rekap.reading.decide import DecisionPolicy, decide_fields, field_evidence
from rekap.reading.decode import GrayImage
from rekap.reading.evidence import FieldEvidence
from rekap.reading.identities import C_HASIL_PPWP_IDENTITIES
from rekap.reading.locate import PageLocation
from rekap.reading.pipeline import PageReader, read_bubble_crop
from rekap.reading.result import FieldReading
from rekap.reading.template import Box, load_form_templates

CACHE = Path(__file__).resolve().parents[1] / "var" / "bench"
BATCH = 256
"""Crops per classifier call (one call for all would hold gigabytes of activations)."""


@dataclass(frozen=True)
class CutField:
    field_id: str
    box: Box
    crops: tuple[np.ndarray, ...]
    bubbles: BubbleGridReading | None
    written: int | None


@dataclass(frozen=True)
class CutPage:
    tps: str
    page: int
    fields: tuple[CutField, ...]
    """The fields inside the photo (those outside abstain and are counted as such)."""
    outside: tuple[tuple[str, int | None], ...]
    """The fields outside the photo, or every field of a page that could not be located."""


def _harvest_set(region: str, seed: int, tps_count: int, mistake_rate: float) -> list[CutPage]:
    from rekap.simulation.api import (
        PhotoOptions,
        SimulationOptions,
        photograph_tps,
        simulate_region,
    )
    from rekap.simulation.errors import EXPECTED_RULE

    arithmetic = tuple(kind for kind, rule in EXPECTED_RULE.items() if rule is not None)
    options = SimulationOptions(error_rate=mistake_rate, error_kinds=arithmetic)
    election = simulate_region(region, seed, options)
    templates = {t.page: t for t in load_form_templates()}
    pages: list[CutPage] = []
    for _, tps in zip(range(tps_count), election, strict=False):
        for shot in photograph_tps(tps, seed, PhotoOptions()):
            cut: list[PageCells] = []

            def cutter(
                gray: GrayImage, location: PageLocation, cut: list[PageCells] = cut
            ) -> PageCells:
                cells = cut_cells(gray, location)
                cut.append(cells)
                return cells

            reading = PageReader(NoDigitEvidence(), cut=cutter).read(
                shot.photo.jpeg, expected_page=shot.page
            )
            if reading.status not in ("ok", "page_incomplete") or not cut:
                print(f"  {tps.kode.value} page {shot.page}: {reading.status} {reading.reason}")
                unread = tuple((f.id, tps.values[f.id]) for f in templates[shot.page].fields)
                pages.append(CutPage(tps.kode.value, shot.page, (), unread))
                continue
            visible, outside = [], []
            for cell in cut[0].fields:
                written = tps.values[cell.field.id]
                if not cell.visible:
                    outside.append((cell.field.id, written))
                    continue
                bubbles = read_bubble_crop(cell.bubbles) if cell.bubbles is not None else None
                crops = tuple(np.asarray(c, np.uint8) for c in cell.digit_crops)
                visible.append(CutField(cell.field.id, cell.box, crops, bubbles, written))
            pages.append(CutPage(tps.kode.value, shot.page, tuple(visible), tuple(outside)))
    return pages


@dataclass
class Count:
    right: int = 0
    wrong: int = 0
    abstained: int = 0
    empty_read: int = 0

    @property
    def numbers(self) -> int:
        return self.right + self.wrong + self.abstained

    def add(self, reading: FieldReading, written: int | None) -> str | None:
        if written is None:
            self.empty_read += reading.status == "read"
            return None if reading.status != "read" else f"empty read {reading.value}"
        if reading.status != "read":
            self.abstained += 1
            return None
        if reading.value == written:
            self.right += 1
            return None
        self.wrong += 1
        return f"written {written} read {reading.value}"

    def line(self, name: str) -> str:
        silent = self.wrong + self.empty_read
        per_10k = 1e4 * silent / max(self.numbers, 1)
        upper = 1e4 * _poisson_upper(silent) / max(self.numbers, 1)
        return (
            f"  {name:<28} {self.numbers} numbers: right {self.right}, wrong {self.wrong}, "
            f"abstained {self.abstained} ({self.abstained / max(self.numbers, 1):.1%}); "
            f"empty read {self.empty_read}; silent {per_10k:.2f}/10k (95% upper {upper:.2f})"
        )


def _poisson_upper(k: int) -> float:
    """One-sided 95 % upper bound of a Poisson mean after k events (exact, by bisection)."""
    low, high = float(k), float(k) + 10 * math.sqrt(k + 1) + 10
    for _ in range(100):
        mid = (low + high) / 2
        cdf = sum(math.exp(-mid) * mid**i / math.factorial(i) for i in range(k + 1))
        low, high = (mid, high) if cdf > 0.05 else (low, mid)
    return high


def _evidence(
    pages: list[CutPage], classifier: DigitBoxClassifier, policy: DecisionPolicy
) -> list[list[FieldEvidence]]:
    crops = [c for page in pages for f in page.fields for c in f.crops]
    readings = [
        reading
        for start in range(0, len(crops), BATCH)
        for reading in classifier.classify(crops[start : start + BATCH])
    ]
    result, cursor = [], 0
    for page in pages:
        evidence = []
        for f in page.fields:
            boxes = readings[cursor : cursor + len(f.crops)]
            cursor += len(f.crops)
            evidence.append(field_evidence(f.field_id, f.box, boxes, f.bubbles, policy))
        result.append(evidence)
    return result


def evaluate(pages: list[CutPage], classifier: DigitBoxClassifier, policy: DecisionPolicy) -> None:
    started = time.process_time()
    evidence = _evidence(pages, classifier, policy)
    written = {(p.tps, f.field_id): f.written for p in pages for f in p.fields}
    counts = {way: Count() for way in ("own marks", "page identities", "TPS identities")}
    errors: list[str] = []
    by_tps: dict[str, list[FieldEvidence]] = {}
    for page, fields in zip(pages, evidence, strict=True):
        by_tps.setdefault(page.tps, []).extend(fields)
        for way, identities in (("own marks", ()), ("page identities", C_HASIL_PPWP_IDENTITIES)):
            for reading in decide_fields(fields, identities, policy):
                problem = counts[way].add(reading, written[(page.tps, reading.field_id)])
                if problem:
                    errors.append(f"{way}: {page.tps} p{page.page} {reading.field_id} {problem}")
        for _, value in page.outside:
            for count in counts.values():
                count.abstained += value is not None
    for tps, fields in by_tps.items():
        for reading in decide_fields(fields, C_HASIL_PPWP_IDENTITIES, policy):
            problem = counts["TPS identities"].add(reading, written[(tps, reading.field_id)])
            if problem:
                errors.append(
                    f"TPS identities: {tps} {reading.field_id} {problem}: {reading.reason}"
                )
    for way, count in counts.items():
        print(count.line(way))
    for line in errors:
        print(f"    silent: {line}")
    print(f"  classified and decided in {time.process_time() - started:.0f} s CPU")


def _cache_path(region: str, seed: int, tps: int, mistake_rate: float) -> Path:
    mistakes = f"-mistakes{mistake_rate:g}" if mistake_rate else ""
    return CACHE / f"fields-{region}-{seed}-{tps}{mistakes}.pkl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("harvest", "evaluate"))
    parser.add_argument("--sets", nargs="+", default=["3310:7", "747101:2024"])
    parser.add_argument("--tps", type=int, default=1000, help="TPS per set (at most)")
    parser.add_argument("--model", type=Path, nargs="*", default=[])
    parser.add_argument(
        "--mistake-rate",
        type=float,
        default=0.0,
        help="share of TPS whose KPPS writes one arithmetic mistake (the truth is then what "
        "was written: a mistake read as written is right, one 'corrected' is a silent error)",
    )
    parser.add_argument("--no-guard", action="store_true", help="without the shared-misread check")
    parser.add_argument(
        "--guard-support",
        type=float,
        default=DecisionPolicy().shared_misread_support,
        help="DecisionPolicy.shared_misread_support to measure",
    )
    args = parser.parse_args()
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs; load {os.getloadavg()}")
    for chosen in args.sets:
        region, seed = chosen.split(":")
        path = _cache_path(region, int(seed), args.tps, args.mistake_rate)
        if args.command == "harvest":
            started = time.monotonic()
            pages = _harvest_set(region, int(seed), args.tps, args.mistake_rate)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(pickle.dumps(pages))
            print(f"{chosen}: {len(pages)} pages in {time.monotonic() - started:.0f} s -> {path}")
            continue
        pages = pickle.loads(path.read_bytes())
        print(f"{chosen}: {len({p.tps for p in pages})} TPS, {len(pages)} photos")
        policy = DecisionPolicy(shared_misread_support=args.guard_support)
        if args.no_guard:
            policy = replace(policy, shared_misread_support=math.inf)
        evaluate(pages, _classifier(args.model), policy)


def _classifier(models: list[Path]) -> DigitBoxClassifier:
    from rekap.reading.digits import OnnxDigitClassifier

    return OnnxDigitClassifier(models[0] if models else None, threads=1)


if __name__ == "__main__":
    main()
