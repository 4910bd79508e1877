"""Pack page-reader crops as the model's inputs, to carry them to a training machine.

    .venv/bin/python training/pack_inputs.py var/sim/train.npz var/carry/sim-train.npz

See `sim_inputs.py`: 8-bit inputs instead of crops, about half the size.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim_inputs import pack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="npz of crops (training/sim_crops.py)")
    parser.add_argument("target", type=Path, help="npz of 8-bit inputs to write")
    args = parser.parse_args()
    count = pack(args.source, args.target)
    print(f"{count} inputs, {args.target.stat().st_size / 1e6:.1f} MB: {args.target}")


if __name__ == "__main__":
    main()
