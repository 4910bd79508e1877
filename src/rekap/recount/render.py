"""Each region document of the three trees written from the recount's own numbers, byte for
byte as the documented layout has it (docs/open-data.md: compact UTF-8 JSON, keys in the
order shown, the same inputs giving the same bytes).

A published document equal to its rendering agrees with the recount without being parsed:
every value in it is one the recount computed (numbers, names, codes) or one the documented
layout fixes (levels, ``psu``, the snapshot's time). Anything else, a document written by
another version of the layout included, is parsed and compared field by field
(``rekap.recount.compare``), which names what differs; so the rendering only makes agreement
cheaper to see, never a mismatch harder. Only snapshots that publish ``counted_unlisted`` and
``verified_by_people`` are rendered (older layouts go the field by field way).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from functools import cached_property

import orjson

from rekap.recount.aggregate import Aggregates, Vector
from rekap.recount.compare import getter

LEVELS = {0: "nasional", 2: "provinsi", 4: "kabupaten/kota", 6: "kecamatan", 10: "desa/kelurahan"}
TINGKAT = {2: 1, 4: 2, 6: 3, 10: 4, 13: 5}
CUTS = (2, 4, 6, 10)
PSU = "Reguler"
WIB = timezone(timedelta(hours=7))
TPS_LENGTH = 13


def _persen(listed: int, expected: int) -> str:
    """``persen`` as the document writes it (a float, 2 decimals; the shortest repr, which is
    what the JSON encoder writes too)."""
    return repr(round(100.0 * listed / expected, 2) if expected else 0.0)


def sirekap_ts(created_at: str) -> str | None:
    """The snapshot's time as Sirekap's ``ts``: WIB, ``YYYY-MM-DD HH:MM:SS``; None for a
    ``created_at`` that is not an ISO 8601 time with a zone."""
    try:
        at = datetime.fromisoformat(created_at)
    except (TypeError, ValueError):
        return None
    if at.tzinfo is None:
        return None
    return at.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S")


def _object(pairs: Sequence[str]) -> str:
    """``{"a":%d,"b":%d}`` for the keys ``pairs``."""
    return "{" + ",".join(f'"{key}":%d' for key in pairs) + "}"


class Renderer:
    """The expected bytes of a snapshot's region documents (``document``), from its
    aggregates, its Sirekap candidate ids (field -> id) and the manifest's ``created_at`` and
    ``scope``."""

    def __init__(
        self,
        aggregates: Aggregates,
        ids: Mapping[str, str],
        contest: str,
        created_at: str,
        scope: Sequence[str],
    ) -> None:
        self.aggregates = aggregates
        self.contest = contest
        self.ts = created_at
        self.ts_sirekap = sirekap_ts(created_at)
        self.scope = list(scope)
        position = aggregates.position
        self._counted_at = position["counted"]
        self._expected_at = position["tps_expected"]
        self._listed = aggregates.listed_counted()
        self._votes_of = getter([position[field] for field in ids])
        votes = ",".join(f'"{sid}":%d' for sid in ids.values())
        tail = f'"psu":"{PSU}","persen":%s,"status_progress":'
        self._row_counted = f'"%s":{{{votes},{tail}true}}' if votes else f'"%s":{{{tail}true}}'
        self._row_bare = f'"%s":{{{tail}false}}'
        self._chart = f'{{{votes},"persen":%s}}' if votes else '{"persen":%s}'
        fields = aggregates.fields
        numbers = (
            f'"coverage":{_object(aggregates.coverage_names)},'
            f'"counted":{_object(fields)},"held":{_object(fields)}}}'
        )
        self._numbers = numbers
        self._child = '{"kode":"%s","nama":%s,' + numbers
        self._tps_child = '{"kode":"%s","nama":"TPS %s",' + numbers

    @cached_property
    def usable(self) -> bool:
        """Whether this snapshot's documents are in the layout rendered here."""
        aggregates = self.aggregates
        return aggregates.unlisted and aggregates.by_people and self.ts_sirekap is not None

    @cached_property
    def _names(self) -> dict[str, str]:
        """Each region's ``nama`` encoded as the JSON string it is published as."""
        return {
            kode: orjson.dumps(nama).decode() for kode, nama in self.aggregates.region_names.items()
        }

    def document(self, family: str, kode: str) -> bytes | None:
        """The bytes region ``kode``'s document of ``family`` (rekap, hhcw or wilayah) should
        have, or None where this renderer cannot say (a name it does not know, another
        family or layout)."""
        if not self.usable or len(kode) not in LEVELS:
            return None
        try:
            if family == "rekap":
                text = self._rekap(kode)
            elif family == "hhcw":
                text = self._hhcw(kode)
            elif family == "wilayah":
                text = self._wilayah(kode)
            else:
                return None
        except KeyError:  # a region or child whose name the region table does not give
            return None
        return text.encode()

    def _rekap(self, kode: str) -> str:
        aggregates, names = self.aggregates, self._names
        path = [
            {"kode": kode[:cut], "nama": aggregates.region_names[kode[:cut]]}
            for cut in CUTS
            if cut < len(kode)
        ]
        heading = {
            "kode": kode,
            "nama": aggregates.region_names[kode],
            "level": LEVELS[len(kode)],
            "contest": self.contest,
            "ts": self.ts,
            "path": path,
        }
        if not kode:
            heading["scope"] = self.scope
        head = orjson.dumps(heading).decode()[:-1]
        own = self._numbers % aggregates.vector(kode)
        children = aggregates.children.get(kode, [])
        vectors = aggregates.child_vectors(kode)
        if children and len(children[0]) == TPS_LENGTH:
            child = self._tps_child
            items = [child % (c, c[10:], *v) for c, v in zip(children, vectors, strict=True)]
        else:
            child = self._child
            items = [child % (c, names[c], *v) for c, v in zip(children, vectors, strict=True)]
        return f'{head},{own[:-1]},"children":[{",".join(items)}]}}'

    def _row(self, code: str, vector: Vector) -> str:
        persen = _persen(self._listed(vector), vector[self._expected_at])
        if vector[self._counted_at] > 0:
            return self._row_counted % (code, *self._votes_of(vector), persen)
        return self._row_bare % (code, persen)

    def _tps_rows(self, codes: Sequence[str], vectors: Sequence[Vector]) -> list[str]:
        """A desa's table rows: a TPS's ``persen`` is 100 when it counts and the tree lists
        it, else 0 (each vector's ``counted`` and ``tps_expected`` are 0 or 1)."""
        votes, counted_at, expected_at = self._votes_of, self._counted_at, self._expected_at
        full, bare = self._row_counted, self._row_bare
        hundred, zero = _persen(1, 1), _persen(0, 1)
        rows = []
        for code, vector in zip(codes, vectors, strict=True):
            if vector[counted_at] == 1:
                persen = hundred if vector[expected_at] == 1 else zero
                rows.append(full % (code, *votes(vector), persen))
            elif vector[counted_at] == 0:
                rows.append(bare % (code, zero))
            else:  # not a TPS's vector: the general way
                rows.append(self._row(code, vector))
        return rows

    def _hhcw(self, kode: str) -> str:
        aggregates = self.aggregates
        own = aggregates.vector(kode)
        listed, expected = self._listed(own), own[self._expected_at]
        chart = self._chart % (*self._votes_of(own), _persen(listed, expected))
        children = aggregates.children.get(kode, [])
        vectors = aggregates.child_vectors(kode)
        if children and len(children[0]) == TPS_LENGTH:
            rows = self._tps_rows(children, vectors)
        else:
            row = self._row
            rows = [row(c, v) for c, v in zip(children, vectors, strict=True)]
        return (
            f'{{"mode":"hhcw","chart":{chart},"table":{{{",".join(rows)}}},'
            f'"progres":{{"total":{expected},"progres":{listed}}},'
            f'"ts":"{self.ts_sirekap}","psu":"{PSU}"}}'
        )

    def _wilayah(self, kode: str) -> str:
        children = self.aggregates.children.get(kode, [])
        if children and len(children[0]) == TPS_LENGTH:
            items = [
                f'{{"nama":"TPS {c[10:]}","id":{int(c)},"kode":"{c}","tingkat":5}}'
                for c in children
            ]
        else:
            names = self._names
            items = [
                f'{{"nama":{names[c]},"id":{int(c)},"kode":"{c}","tingkat":{TINGKAT[len(c)]}}}'
                for c in children
            ]
        return f"[{','.join(items)}]"
