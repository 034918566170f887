"""Building the torchvision backbone and getting its weights, loudly.

Weights come from torchvision's own weight API (`imagenet`: it downloads once and caches under
TORCH_HOME for users), from a local state-dict file, or not at all (`none`). When the asked-for weights
cannot be had, `embedding.on_missing_weights` decides: `fail` stops the build with the reason, `untrained`
goes on with a seeded random network and says so in `ModelInfo.warning`, which the build log, the
report and the about page all show. An untrained network is never passed off as a trained one.
"""

from __future__ import annotations

import dataclasses
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from atlas.core.cache import file_digest

log = logging.getLogger(__name__)

INIT_SEED = 0  # an untrained network is seeded, so its features (and the site) are reproducible


class WeightsUnavailable(RuntimeError):
    """The config asked for weights that cannot be loaded, and did not allow a fallback."""


@dataclass(frozen=True)
class ModelInfo:
    """What embedded the collection: shown on the about page and part of every cache key."""

    name: str
    weights_requested: str
    weights_used: str  # e.g. "IMAGENET1K_V2 (torchvision)", "local file w.pth", "none (untrained, seed 0)"
    pretrained: bool
    identity: str  # stable string naming exactly these weights (goes into cache keys)
    warning: str = ""  # non-empty when the features come from an untrained network
    features: str = ""  # what the vectors are, when not the network's pooled features (weights-free fallback)

    def as_dict(self) -> dict:
        """What the about page and the report show (the cache identity is internal)."""
        shown = dataclasses.asdict(self)
        del shown["identity"]
        return shown


def network_policy(on_missing: str) -> str:
    """on_missing_weights for code that needs the network itself (heat maps, fine-tuning).

    The weights-free fallback (atlas/vectors/fallback.py) is handled by the embed stage; its network part is the
    seeded untrained backbone, so everything else that runs the network uses that one too."""
    return "untrained" if on_missing == "fallback" else on_missing


def load_backbone(name: str, weights: str, on_missing: str, root: Path):
    """Return (feature-extractor module in eval mode, ModelInfo). May raise WeightsUnavailable."""
    import torch
    import torchvision

    if name not in torchvision.models.list_models(module=torchvision.models):
        raise ValueError(f"unknown torchvision model '{name}' (embedding.model)")
    torch.manual_seed(INIT_SEED)
    model = torchvision.models.get_model(name, weights=None)
    try:
        info = _load_weights(model, name, weights, root)
    except WeightsUnavailable as exc:
        if on_missing != "untrained":
            raise WeightsUnavailable(
                f"{exc}. Set embedding.on_missing_weights: fallback to build with the best weights-free "
                f"features measured (atlas/vectors/descriptors.py), or untrained for an untrained network alone "
                f"(analogies will be much weaker either way), or give a local weights file."
            ) from exc
        info = ModelInfo(
            name=name,
            weights_requested=weights,
            weights_used=f"none (untrained, seed {INIT_SEED})",
            pretrained=False,
            identity=f"untrained-seed{INIT_SEED}",
            warning=f"UNTRAINED NETWORK: {exc}. Features come from a randomly initialised {name}; "
            f"analogies reflect colour and layout more than meaning.",
        )
    _strip_head(model)
    model.eval()
    return model, info


def _load_weights(model, name: str, weights: str, root: Path) -> ModelInfo:
    import torch
    import torchvision

    if weights == "none":
        return ModelInfo(
            name=name,
            weights_requested="none",
            weights_used=f"none (untrained, seed {INIT_SEED}, as configured)",
            pretrained=False,
            identity=f"untrained-seed{INIT_SEED}",
            warning=f"UNTRAINED NETWORK: embedding.weights is 'none', so features come from a randomly "
            f"initialised {name}; analogies reflect colour and layout more than meaning.",
        )
    if weights == "imagenet":
        enum = torchvision.models.get_model_weights(name).DEFAULT
        try:
            state = enum.get_state_dict(progress=False, check_hash=True)
        except Exception as exc:  # no network, proxy refusal, bad hash: all mean "not available"
            raise WeightsUnavailable(
                f"pretrained weights {name}/{enum.name} could not be loaded from torchvision's cache "
                f"or downloaded ({type(exc).__name__}: {exc})"
            ) from exc
        model.load_state_dict(state)
        return ModelInfo(name, weights, f"{enum.name} (torchvision)", True, f"torchvision-{enum.name}")
    path = Path(weights).expanduser()
    path = path if path.is_absolute() else root / path
    if not path.is_file():
        raise WeightsUnavailable(f"weights file not found: {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        state = state.get("state_dict", state) if isinstance(state, dict) else state
        model.load_state_dict(state)
    except Exception as exc:
        raise WeightsUnavailable(f"weights file {path} could not be loaded into {name}: {exc}") from exc
    digest = file_digest(path)
    return ModelInfo(name, weights, f"local file {path.name}", True, f"file-{digest}")


@contextmanager
def last_grid(model):
    """While the block runs, the list it yields holds the latest output of the model's top-level modules
    that still has a spatial grid (N, C, h, w with h, w > 1): after a forward pass, the last convolutional
    feature map (a ResNet's layer4), which the heat maps draw. Lets the embed stage keep it from the
    same forward pass that makes the vectors. Earlier grids are let go as soon as a later one comes."""
    import torch

    grids: list = []

    def keep(_module, _inputs, output):
        if isinstance(output, torch.Tensor) and output.dim() == 4 and output.shape[2] > 1 and output.shape[3] > 1:
            grids[:] = [output]

    hooks = [child.register_forward_hook(keep) for child in model.children()]
    try:
        yield grids
    finally:
        for hook in hooks:
            hook.remove()


def grid_sums(grids: list, model):
    """The heat map's raw values from what last_grid collected: (N, h, w) channel sums of the last grid,
    negatives clipped, as a float32 numpy array."""
    if not grids:
        raise ValueError(f"{type(model).__name__} has no convolutional feature map to draw a heat map from")
    return grids[-1].float().clamp(min=0).sum(dim=1).cpu().numpy()


def _strip_head(model) -> None:
    """Replace the classifier with Identity so the model returns pooled penultimate features."""
    from torch import nn

    if isinstance(getattr(model, "fc", None), nn.Linear):
        model.fc = nn.Identity()
    elif isinstance(getattr(model, "classifier", None), nn.Sequential):
        layers = model.classifier
        last = max(i for i, layer in enumerate(layers) if isinstance(layer, nn.Linear))
        layers[last] = nn.Identity()
    elif isinstance(getattr(model, "classifier", None), nn.Linear):
        model.classifier = nn.Identity()
    elif hasattr(model, "heads"):
        model.heads = nn.Identity()
    else:
        raise ValueError(f"cannot find the classification head of {type(model).__name__}")
