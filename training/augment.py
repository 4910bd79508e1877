"""Batch augmentation on preprocessed inputs, in torch: where and how the box was cut.

The page reader will cut boxes from aligned photos a little differently from the crops in
the data set (looser, tighter, shifted, tilted), and lighting varies, so every training
batch is randomly shifted, scaled, rotated and re-contrasted. Done on whole batches with
`affine_grid`/`grid_sample` because per-image OpenCV work would cost more CPU than the net.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as functional


def augment_batch(inputs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """(N, 1, H, W) inputs in 0..1 (ink high) -> randomly moved and re-contrasted copies.

    Runs where `inputs` are (CPU or GPU); `generator` must live on the same device.
    """
    count = inputs.shape[0]

    device = inputs.device

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.rand(count, generator=generator, device=device) * (high - low) + low

    angle = uniform(-6.0, 6.0) * math.pi / 180
    scale = uniform(0.88, 1.12)
    aspect = uniform(0.92, 1.08)
    shear = uniform(-0.08, 0.08)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.zeros(count, 2, 3, device=device)
    theta[:, 0, 0] = cos / (scale * aspect)
    theta[:, 0, 1] = (-sin + shear) / (scale * aspect)
    theta[:, 1, 0] = sin * aspect / scale
    theta[:, 1, 1] = cos * aspect / scale
    theta[:, 0, 2] = uniform(-0.1, 0.1)
    theta[:, 1, 2] = uniform(-0.1, 0.1)
    grid = functional.affine_grid(theta, list(inputs.shape), align_corners=False)
    moved = functional.grid_sample(inputs, grid, padding_mode="zeros", align_corners=False)
    gain = uniform(0.7, 1.25).view(count, 1, 1, 1)
    noise = torch.randn(inputs.shape, generator=generator, device=device) * uniform(0.0, 0.05).view(
        count, 1, 1, 1
    )
    return torch.clamp(moved * gain + noise, 0.0, 1.0)
