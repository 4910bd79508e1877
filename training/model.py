"""The digit-box CNN: three conv stages on the whole 32x32 crop, border included.

Small on purpose: ~260k weights (about 1 MB as ONNX) reads a box in well under a
millisecond on one CPU core, and the border and guide are context, not noise, so the
network sees the crop whole rather than a cut-out digit.
"""

from __future__ import annotations

from torch import nn

from rekap.reading.digits import DIGIT_LABELS, INPUT_SIZE


def _conv(inputs: int, outputs: int) -> list[nn.Module]:
    return [
        nn.Conv2d(inputs, outputs, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(outputs),
        nn.ReLU(inplace=True),
    ]


def digit_box_net(widths: tuple[int, int, int] = (24, 48, 96), hidden: int = 64) -> nn.Sequential:
    """Conv-conv-pool x 3, then a small dense head to the 12 labels' logits."""
    first, second, third = widths
    side = INPUT_SIZE // 8
    return nn.Sequential(
        *_conv(1, first),
        *_conv(first, first),
        nn.MaxPool2d(2),
        *_conv(first, second),
        *_conv(second, second),
        nn.MaxPool2d(2),
        *_conv(second, third),
        *_conv(third, third),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.3),
        nn.Linear(third * side * side, hidden),
        nn.ReLU(inplace=True),
        nn.Dropout(0.3),
        nn.Linear(hidden, len(DIGIT_LABELS)),
    )
