"""The live tally: every region's totals per contest, kept up to date TPS by TPS.

Pure core: plain values in, new values out; the in-memory ``TallyTable`` is the one mutable
accumulator, and it changes only through ``apply`` (a TPS's old and new contribution).
"""
