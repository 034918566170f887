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
from atlas.vectors.luminance import LUMINANCE_IDENTITY, see_luminance_only
from atlas.vectors.weights_note import plain_explanation

log = logging.getLogger(__name__)

INIT_SEED = 0  # an untrained network is seeded, so its features (and the site) are reproducible
# The per-channel normalisation ImageNet-trained networks expect (atlas.vectors.embed.preprocess applies it).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class WeightsUnavailable(RuntimeError):
    """The config asked for weights that cannot be had. `reason` is the short cause, without advice."""

    def __init__(self, reason: str, advice: str = ""):
        self.reason = reason
        super().__init__(f"{reason}. {advice}" if advice else reason)


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
    explanation: str = ""  # missing weights in one plain sentence for visitors (atlas.vectors.weights_note)

    def as_dict(self) -> dict:
        """What the about page and the report show (the cache identity is internal)."""
        shown = dataclasses.asdict(self)
        del shown["identity"]
        return shown


@dataclass(frozen=True)
class Weights:
    """The weights a build runs its network with, resolved once per build (one download attempt at most).

    `state` is None for the seeded untrained network. `fallback_reason` is set when the asked-for weights
    could not be had and the config chose the weights-free fallback (atlas.vectors.fallback): the network
    part of that fallback, the heat maps and fine-tuning then use the seeded untrained network, which is
    what `state` and `info` describe."""

    model: str
    state: dict | None
    info: ModelInfo
    fallback_reason: str = ""
    luminance: bool = False  # the network sees each image's luminance only (atlas.vectors.luminance)

    def network_part(self) -> Weights:
        """The fallback's network part: the untrained network alone, seeing luminance only.

        An untrained network tells a grey photograph from a colour one by its colour channels alone, so
        catalogue photographs on black-and-white plates found each other first (AIC: a monochrome work's
        nearest work was monochrome 0.463 of the time by this part, 0.146 on luminance, base rate 0.150;
        benchmarks/README.md, issue 15). Colour is the colour parts' job, compared only between colour
        images (atlas.vectors.parts). The identity says so: cached vectors, kept activation grids and the
        stored mean of the RGB network are never mixed with these."""
        if self.luminance:
            return dataclasses.replace(self, fallback_reason="")
        info = dataclasses.replace(self.info, identity=f"{self.info.identity}-{LUMINANCE_IDENTITY}")
        return dataclasses.replace(self, info=info, fallback_reason="", luminance=True)


def resolve_weights(model: str, weights: str, on_missing: str, root: Path) -> Weights:
    """Find the weights `embedding.weights` names, or decide by `on_missing` what to use instead.

    Raises WeightsUnavailable (on_missing: fail) or ValueError (unknown model name)."""
    import torch
    import torchvision

    if model not in torchvision.models.list_models(module=torchvision.models):
        raise ValueError(f"unknown torchvision model '{model}' (embedding.model)")
    torch.manual_seed(INIT_SEED)
    # weights "none" load nothing to check: no network built to check it against (0.1 s of every build)
    probe = torchvision.models.get_model(model, weights=None) if weights != "none" else None
    try:
        state, info = _load_weights(probe, model, weights, root)
    except WeightsUnavailable as exc:
        if on_missing == "fail":
            raise WeightsUnavailable(
                exc.reason,
                "Set embedding.on_missing_weights: fallback to build with the best weights-free features measured "
                "(atlas/vectors/descriptors.py), or untrained for an untrained network alone (analogies will be "
                "much weaker either way), or give a local weights file.",
            ) from exc
        untrained = ModelInfo(model, weights, f"none (untrained, seed {INIT_SEED})", False, f"untrained-seed{INIT_SEED}")
        if on_missing == "fallback":
            return Weights(model, None, untrained, fallback_reason=exc.reason)
        warning = (f"UNTRAINED NETWORK: {exc.reason}. Features come from a randomly initialised {model}; "
                   f"analogies reflect colour and layout more than meaning.")
        return Weights(model, None, dataclasses.replace(
            untrained, warning=warning, explanation=plain_explanation(model, weights, "untrained")))
    return Weights(model, state, info)


def build_network(weights: Weights):
    """The feature extractor for `weights`: seeded, weights loaded, classifier removed, in eval mode."""
    import torch
    import torchvision

    torch.manual_seed(INIT_SEED)
    model = torchvision.models.get_model(weights.model, weights=None)
    if weights.state is not None:
        model.load_state_dict(weights.state)
    _strip_head(model)
    if weights.luminance:
        see_luminance_only(model, IMAGENET_MEAN, IMAGENET_STD)
    model.eval()
    return model


def load_backbone(name: str, weights: str, on_missing: str, root: Path):
    """(feature extractor, ModelInfo) in one call, for tools that run the network once (benchmarks, tests)."""
    resolved = resolve_weights(name, weights, on_missing, root)
    return build_network(resolved), resolved.info


def _load_weights(model, name: str, weights: str, root: Path) -> tuple[dict | None, ModelInfo]:
    """(state dict or None, ModelInfo) for `weights`, checked by loading it into `model`."""
    import torch
    import torchvision

    if weights == "none":
        return None, ModelInfo(
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
        return state, ModelInfo(name, weights, f"{enum.name} (torchvision)", True, f"torchvision-{enum.name}")
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
    return state, ModelInfo(name, weights, f"local file {path.name}", True, f"file-{digest}")


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
