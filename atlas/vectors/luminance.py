"""A network that sees each image's luminance only: grey in all three channels, whatever the image's colour.

The weights-free fallback's untrained network (atlas.vectors.network.Weights.network_part) told black-and-
white catalogue photographs from colour ones by their colour channels alone: on AIC a monochrome work's
nearest work by that part was monochrome 0.463 of the time against a base rate of 0.150. Seen as luminance,
a colour painting and a grey photograph of it look alike to the network (0.146). Tried and not kept
(benchmarks/README.md, issue 15): equalising the luminance histogram first (photographs of plates have a
compressed tonal range), and a small blur before the texture part (the plates' grain).

The conversion is a forward pre-hook on the network, applied to the batch the usual preprocessing made
(atlas.vectors.embed.preprocess): the same crop and normalisation everywhere (the embed stage, a Ray engine,
the heat maps), and the network's modules, state dict and activation grids stay as they were.
"""

from __future__ import annotations

from functools import partial

LUMINANCE_IDENTITY = "luminance"  # added to the network's identity, so its cached vectors are its own
# ITU-R BT.601 luma weights for R, G, B: what Pillow's convert("L") and torchvision's Grayscale use.
LUMA = (0.299, 0.587, 0.114)


def to_luminance(batch, mean: tuple[float, ...], std: tuple[float, ...]):
    """`batch` (N, 3, h, w), normalised with per-channel `mean` and `std`, as its luminance in all three
    channels, normalised the same way: what the network would get from the image converted to grey."""
    import torch

    shape = (1, 3, 1, 1)
    mean_t = torch.tensor(mean, dtype=batch.dtype, device=batch.device).view(shape)
    std_t = torch.tensor(std, dtype=batch.dtype, device=batch.device).view(shape)
    luma = torch.tensor(LUMA, dtype=batch.dtype, device=batch.device).view(shape)
    grey = ((batch * std_t + mean_t) * luma).sum(dim=1, keepdim=True)
    return (grey - mean_t) / std_t


def _luminance_hook(_module, args, mean: tuple[float, ...], std: tuple[float, ...]):
    return (to_luminance(args[0], mean, std), *args[1:])


def see_luminance_only(model, mean: tuple[float, ...], std: tuple[float, ...]) -> None:
    """Make `model`, fed batches normalised with `mean` and `std`, convert each to luminance first (a
    forward pre-hook)."""
    model.register_forward_pre_hook(partial(_luminance_hook, mean=mean, std=std))
