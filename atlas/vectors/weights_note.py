"""Missing weights, said in one plain sentence a visitor can read: what happened, what the analogies follow
instead, and how to fix it.

The raw reason ("URLError: <urlopen error [Errno -2] Name or service not known>") stays in the build
report and the log for whoever runs the build; the about and model pages lead with this sentence.
"""

from __future__ import annotations

from pathlib import Path

FOLLOWS = {
    "fallback": "colour, texture and layout measured directly from the pixels (and an untrained network)",
    "untrained": "colour and layout as a randomly initialised network responds to them",
}


def what_happened(model: str, weights: str) -> str:
    """The cause, from the configured weights alone (never the exception text)."""
    if weights == "imagenet":
        return f"The pretrained {model} weights could not be downloaded when this atlas was built"
    return f"The weights file {Path(weights).name} named in the configuration could not be read"


def how_to_fix(weights: str) -> str:
    if weights == "imagenet":
        return ("build once on a machine with internet access (torchvision keeps the weights in its cache), "
                "or set embedding.weights to a local weights file, and build again")
    return "check that embedding.weights names a readable weights file for this network, and build again"


def plain_explanation(model: str, weights: str, instead: str) -> str:
    """One sentence: what happened, what the analogies follow instead (`instead`: a key of FOLLOWS), how to fix."""
    return (f"{what_happened(model, weights)}, so the analogies follow {FOLLOWS[instead]}, not what the works "
            f"depict; to fix this, {how_to_fix(weights)}.")
