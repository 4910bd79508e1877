"""The public change log: one frozen class per event, hash-chained, with signed heads."""
