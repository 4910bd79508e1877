"""An independent recount of a published snapshot.

It shares no code with publication: it reads the snapshot's files by their documented
paths, checks the signature and every hash, recomputes every aggregate from the per-TPS bulk
data with DuckDB, and compares them with every published aggregate; it verifies the change log
in the snapshot up to the manifest's head, and every TPS number against what the log replays to.
"""
