"""rekap: verifiable recapitulation of C.Hasil tally forms."""

__version__ = "0.1.0"
