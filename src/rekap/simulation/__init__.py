"""Simulation: synthetic material drawn by the project itself (handwriting, later whole forms).

Everything here is deterministic from a `numpy.random.Generator`, so a seed reproduces a
training set or a simulated election exactly.
"""
