"""The simulator's public API in one import (docs/simulator.md).

    from rekap.simulation.api import simulate_election, render_page, photograph, write_simulation

- `simulate_election(tree, election, root, seed, options)` → `SimulatedTps` per TPS, in code
  order: the form's values, the true counts, the marks, the injected mistakes;
  `simulate_region(code, seed, options)` the same over the shipped 2024 tree and election.
- `render_page(tps, page, writer=None, rng=None, px_per_mm=2.5)` → the filled page (BGR).
- `PhotoEffects.sample(rng, corner_cases, megapixels)` and `photograph(image, rng, effects)`
  → `Photo` (JPEG bytes, size, page-mm → photo-px homography).
- `photograph_tps(tps, seed, PhotoOptions(...))` → `SimulatedPhoto` per page slot, each with
  its manifest record (what the reader benchmark compares against).
- `write_simulation(out_dir, tree, election, root, seed, options, photos)` → the folder.
"""

from __future__ import annotations

from rekap.simulation.election_model import LevelSpread, ModelParams
from rekap.simulation.errors import EXPECTED_RULE, ErrorKind, InjectedError
from rekap.simulation.form_render import PAGES, RESOLUTIONS, render_page
from rekap.simulation.hand import Hand
from rekap.simulation.marks import FieldMarks
from rekap.simulation.output import SimulationSummary, write_simulation
from rekap.simulation.photo import CornerCase, Photo, PhotoEffects, photograph
from rekap.simulation.photo_set import PhotoOptions, SimulatedPhoto, photograph_tps
from rekap.simulation.scenario import SimulationOptions, simulate_election, simulate_region
from rekap.simulation.truth import SimulatedTps
from rekap.simulation.words import terbilang

__all__ = [
    "EXPECTED_RULE",
    "PAGES",
    "RESOLUTIONS",
    "CornerCase",
    "ErrorKind",
    "FieldMarks",
    "Hand",
    "InjectedError",
    "LevelSpread",
    "ModelParams",
    "Photo",
    "PhotoEffects",
    "PhotoOptions",
    "SimulatedPhoto",
    "SimulatedTps",
    "SimulationOptions",
    "SimulationSummary",
    "photograph",
    "photograph_tps",
    "render_page",
    "simulate_election",
    "simulate_region",
    "terbilang",
    "write_simulation",
]
