"""A store of captured TPS for the portal's benchmarks: every TPS of a region photographed,
read and published through rekap's own write paths, with no reader run.

Usage: .venv/bin/python bench/captured_store.py DATABASE_URL [--region 3310] [--seed 7]
           [--early 0.05] [--errors 0.1]

The simulator draws the region's election (``simulate_election``; a share ``--errors`` of
the KPPS make one mistake). Each TPS's three pages are received as uploads are
(``PhotoStore.receive_many``, an officer and a phone for each TPS; small distinct PNGs stand
in for the photos, taken 10–70 minutes after the polls closed, or, for a share ``--early``
of TPS, an hour before, which ``W-FOTO-DINI`` notes). Then each form is assessed as the
reader's pages would be (``assess_form`` over the numbers written on it) and stored
(``save_form``): a form the machine accepts is published as read (``publish_values``,
``photo``), any other as verified by people (``entry``), its numbers those written on the
form, so a KPPS mistake stays as a blocking finding; every event is logged, as the workflow
logs it. Then, e.g.:

    .venv/bin/python bench/portal_figures.py DATABASE_URL
"""

from __future__ import annotations

import argparse
import io
import random
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from PIL import Image

from rekap.adapters.keys import unsaved_key
from rekap.adapters.storage.accounts import AccountStore
from rekap.adapters.storage.event_store import EventLog, lock_writers
from rekap.adapters.storage.forms import move_photos, publish_values, save_form
from rekap.adapters.storage.photos import Arrival, PhotoStore, Upload
from rekap.capture.access import Role
from rekap.capture.assess import FormState, PageValues, assess_form
from rekap.capture.photo_check import CheckedPhoto, check_photo
from rekap.capture.states import PhotoState
from rekap.cli.db import open_store
from rekap.data import election_2024, region_tree
from rekap.domain.form import c_hasil_ppwp
from rekap.domain.wilayah import KodeWilayah
from rekap.simulation.scenario import SimulationOptions, simulate_election

POLLS_CLOSED = datetime(2024, 2, 14, 6, 0, tzinfo=UTC)  # 13:00 WIB


def png(seed: int) -> bytes:
    """A small PNG of its own for each photo (distinct bytes, so a distinct SHA-256)."""
    picture = Image.new("L", (420, 420), color=seed % 251)
    picture.putpixel((seed % 420, seed // 420 % 420), 255 - seed % 251)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("--region", default="3310")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--early", type=float, default=0.05)
    parser.add_argument("--errors", type=float, default=0.1)
    args = parser.parse_args()
    started = time.perf_counter()
    tree, election = region_tree(), election_2024()
    form = c_hasil_ppwp(election.contest("ppwp").dapil[0])
    store = open_store(args.database_url)
    if store.region_count() == 0:
        store.load_regions(tree)
    engine, log = store.engine, EventLog(store.engine)
    accounts = AccountStore(engine, log)
    photos = PhotoStore(engine, log, unsaved_key())
    simulated = list(
        simulate_election(
            tree,
            election,
            KodeWilayah(args.region),
            args.seed,
            SimulationOptions(error_rate=args.errors),
        )
    )
    wanted = [(f"KPPS {t.kode.value}", Role.OFFICER, t.kode.value) for t in simulated]
    officers, _ = accounts.enrol_many(wanted, POLLS_CLOSED, "bench", lambda _made: None)
    officer_of = {o.scope: o for o in officers}
    device_of = {
        kode: accounts.register_device(o, i.to_bytes(32, "big"), POLLS_CLOSED)
        for i, (kode, o) in enumerate(officer_of.items(), start=1)
    }
    rng = random.Random(args.seed)
    seed = 0
    for start in range(0, len(simulated), 200):
        arrivals = []
        for tps in simulated[start : start + 200]:
            early = rng.random() < args.early
            taken = POLLS_CLOSED + timedelta(minutes=-60 if early else rng.randint(10, 70))
            for page in (1, 2, 3):
                seed += 1
                checked = check_photo(png(seed))
                assert isinstance(checked, CheckedPhoto)
                kode = tps.kode.value
                upload = Upload(kode, "ppwp", page, taken, device_of[kode], b"\0" * 64, checked)
                arrivals.append(Arrival(officer_of[kode], upload, taken + timedelta(minutes=2)))
        photos.receive_many(arrivals)
    states: dict[str, int] = {}
    for tps in simulated:
        kode, at = tps.kode.value, POLLS_CLOSED + timedelta(hours=3)
        pages = {
            page: PageValues(page, {f.id: tps.values[f.id] for f in form.page(page)}, ())
            for page in (1, 2, 3)
        }
        jenis = tree.jenis_of(tps.kode)
        assessment = assess_form(tps.kode, "ppwp", pages, form, election, jenis)
        accepted = assessment.state is FormState.ACCEPTED
        if not accepted:  # as if two verifiers entered what the form says
            assessment = replace(assessment, state=FormState.VERIFIED)
        with engine.begin() as connection:
            lock_writers(connection)
            events = save_form(connection, kode, "ppwp", assessment, at)
            events += publish_values(
                connection,
                kode,
                "ppwp",
                jenis.value,
                assessment.values,
                "photo" if accepted else "entry",
                "bench",
                (),
            )
            target = PhotoState.ACCEPTED if accepted else PhotoState.VERIFIED
            events += move_photos(connection, kode, "ppwp", target, "bench")
            log.append(connection, events, at, "bench", "bench")
        states[assessment.state.value] = states.get(assessment.state.value, 0) + 1
    print(
        f"{len(simulated):,} TPS of {args.region} photographed and published "
        f"({', '.join(f'{n:,} {s}' for s, n in sorted(states.items()))}) "
        f"in {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
