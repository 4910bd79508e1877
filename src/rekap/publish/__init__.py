"""Publication: the documents of a snapshot (Sirekap-compatible tree, rekap's own JSON, bulk
open data, manifest, diff), built as bytes by pure functions and handed to a writer port."""
