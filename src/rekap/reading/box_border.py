"""Digit boxes partly hidden on the photo: a finger, a pen or a white patch over part of a
box, or glare on it.

A box wholly covered is found by `rekap.reading.box_seen` (no contrast left). A box only
partly covered keeps contrast where it is seen, and the digit model reads what is left,
often sure of it: a `9` with a finger over its top-right quarter read `5`, a `4` whose
left half lay under glare or a white patch `1` (98 read as 58 and 18, 204 as 201, 427 as
127 with its total 430 as 130). What such a cover always does is break the box's printed
border: where it lies, the border line is gone (under a white patch or glare) or lost in the
cover (a finger, a pen). So the border of each box is looked at all the way round, in short
segments, and a box whose border is missing along a stretch of its edge (not one short gap:
a stroke of handwriting or a speck of dust breaks less) is *partly hidden*. Its reading is
then given no weight (`rekap.reading.box_seen.HiddenBox`), and its field is read only if its
bubbles and the form's arithmetic settle it.

Each segment's border is judged against the segments of the page's other boxes, as a share
of its own paper's level (a shadow dims paper and border alike and keeps the share; a page
photographed small or a little blurred softens every border alike). Measured figures:
docs/reader.md, "A box partly covered"; `bench/box_covers.py` and the `part` condition of
`bench/photo_conditions.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

SEGMENTS_PER_SIDE = 4
"""Each side of a box is looked at in this many segments (12 px of a 48 px crop): a
finger over a corner of the box hides two segments of each of two sides; a stroke of
handwriting touching the border darkens part of one segment only, which its median
ignores."""
STRIP_SHARE = 0.22
"""The border is looked for in a strip this share of the crop's side in from each edge
(11 px of 48): the reader cuts a box with a 5 % margin around its printed border, so the
border lies 2-4 px in, and the strip reaches a few pixels into the box's paper as well,
whatever the registration's last pixel."""
MIN_SEGMENT_SHARE = 0.3
"""A segment's border is unseen when its contrast (the strip's darkest less its lightest
level, across the border, each the median along the segment; as a share of the lightest)
is below this share of the page's median segment. A cover leaves a segment flat: with half
or a quarter of a box under a finger, a pen or a white patch (the reader's crops of 64
simulated pages, one box covered on each), nearly every covered segment is under 0.2 of
the median; of the same pages' clean boxes, 4 segments of 28,368 fall under 0.3."""
MIN_UNSEEN_RUN = 3
"""A box is partly hidden when this many segments in a row around it (across a corner
too) have their border unseen: a finger over a quarter of the box hides 4, over half of
it 8; a crossed-out or empty box's border is seen all the way round (the 1,773 clean boxes
above: at most 1 in a row). Of the data set's 8,550 real boxes (grouped by TPS, brought to
48 px) 26 reach 3, every one cut unlike the reader's crops: inside its printed border, or
wider than the box, or without one of its sides."""
CLIPPED = 250.0
"""A segment whose lightest level (its paper, or what lies on it) reaches this grey level is
washed out. If the box is lit unevenly, it is glare: glare fading from its centre leaves a
ramp that a border's contrast measure takes for a line, and washes the ink under it away.
If the box is clipped alike all round and so is most of the page's paper, the page is
overexposed: its light grey border is lost to white on whole sides while the handwriting
stays dark (the kawalc1 photos at +2 EV), and a segment so clipped says nothing either
way (nor can a white patch or glare be told from such paper)."""
GLARE_PAPER_SHARE = 0.9
"""A box is lit unevenly when its dimmest segment's paper is below this share of its
brightest: glare is a blob smaller than a box; a page lit brightly, even clipped, lights a
whole box alike."""
WASHED_SHARE = 0.8
"""A washed-out segment is unseen when its contrast is below this share of the page's
median too: a box's border seen clearly beside a white margin outside it is no glare."""
MIN_BOXES = 3
"""With fewer boxes on the page there is no border to compare with: none is marked."""


@dataclass(frozen=True)
class BorderSight:
    """How much of one box's printed border is seen: the longest stretch of segments, one
    after another around the box, whose border is not seen."""

    unseen_run: int
    segments: int = 4 * SEGMENTS_PER_SIDE

    @property
    def partly_hidden(self) -> bool:
        return self.unseen_run >= MIN_UNSEEN_RUN


def _segment_shares(
    stack: NDArray[np.float32],
) -> tuple[NDArray[np.float32], NDArray[np.bool_], NDArray[np.bool_]]:
    """(N, 4 * SEGMENTS_PER_SIDE) contrast shares of each box's border segments, in order
    round the box (the top side left to right, the right side downwards, the bottom side
    right to left, the left side upwards); which of them glare has washed out; and which
    are clipped white in a box clipped alike all round on a page whose paper is clipped
    (overexposed)."""
    count, side, _ = stack.shape
    depth = max(3, round(STRIP_SHARE * side))
    length = side - side % SEGMENTS_PER_SIDE
    # every side as a strip (N, depth from the edge inwards, along the side in ring order)
    top = stack[:, :depth, :length]
    right = np.transpose(stack[:, :length, side - depth :][:, :, ::-1], (0, 2, 1))
    bottom = stack[:, side - depth :, side - length :][:, ::-1, ::-1]
    left = np.transpose(stack[:, side - length :, :depth], (0, 2, 1))[:, :, ::-1]
    strips = np.stack([top, right, bottom, left], axis=1)  # (N, 4, depth, length)
    piece = length // SEGMENTS_PER_SIDE
    ordered = np.sort(strips.reshape(count, 4, depth, SEGMENTS_PER_SIDE, piece), axis=4)
    # the median along each segment (a sort is quicker than np.median on rows this short):
    # (N, 4, depth, segments), a profile across the border
    middle = piece // 2
    profiles = ordered[..., middle]
    if piece % 2 == 0:
        profiles = (ordered[..., middle - 1] + profiles) * np.float32(0.5)
    lightest = profiles.max(axis=2)
    darkest = profiles.min(axis=2)
    shares = (lightest - darkest) / np.maximum(lightest, np.float32(1.0))
    # glare: a segment washed out to white where the box's paper elsewhere is not (a box
    # lit evenly, however brightly, has its segments' paper alike)
    box_paper = lightest.reshape(count, -1)
    uneven = (box_paper.min(axis=1) < GLARE_PAPER_SHARE * box_paper.max(axis=1))[:, None]
    clipped = box_paper >= CLIPPED
    page_clipped = float(np.median(box_paper)) >= CLIPPED
    return (
        np.asarray(shares.reshape(count, -1), dtype=np.float32),
        clipped & uneven,
        clipped & ~uneven & page_clipped,
    )


def _longest_runs(unseen: NDArray[np.bool_]) -> NDArray[np.int64]:
    """The longest run of True in each row, the row read as a ring."""
    count, length = unseen.shape
    longest = np.zeros(count, dtype=np.int64)
    current = np.zeros(count, dtype=np.int64)
    for column in np.concatenate([unseen, unseen], axis=1).T:
        current = np.where(column, current + 1, 0)
        np.maximum(longest, current, out=longest)
    return np.minimum(longest, length)


def border_sights(crops: Sequence[NDArray[np.uint8]]) -> tuple[BorderSight, ...]:
    """For each crop of one page's digit boxes (grey, square, all of one size), how much of
    its printed border is seen."""
    seen_whole = tuple(BorderSight(0) for _ in crops)
    if len(crops) < MIN_BOXES or len({c.shape for c in crops}) != 1:
        return seen_whole
    height, width = crops[0].shape[:2]
    if crops[0].ndim != 2 or height != width or height < 4 * SEGMENTS_PER_SIDE:
        return seen_whole
    shares, washed, overexposed = _segment_shares(np.stack(crops).astype(np.float32))
    typical = float(np.median(shares))
    if typical <= 0.0:
        return seen_whole
    flat = (shares < MIN_SEGMENT_SHARE * typical) & ~overexposed
    unseen = flat | (washed & (shares < WASHED_SHARE * typical))
    runs = _longest_runs(unseen)
    return tuple(BorderSight(int(run)) for run in runs)


def partly_hidden_boxes(crops: Sequence[NDArray[np.uint8]]) -> tuple[bool, ...]:
    """For each crop of one page's digit boxes, whether part of it is hidden."""
    return tuple(sight.partly_hidden for sight in border_sights(crops))
