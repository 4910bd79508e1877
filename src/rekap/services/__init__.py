"""Use cases that compose the pure core: validating imported data, and more as rekap grows."""
