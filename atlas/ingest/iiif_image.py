"""Which image to ask a IIIF Image API service for: the smallest it offers that covers what the build needs.

The build needs an image whose longest side is at least `need` pixels (the largest thumbnail, or the
network's input when larger). An Image API service describes itself in `info.json` (version 2: `@id`,
`profile` "…/level0.json" with further `formats`/`supports` objects; version 3: `id`, `type`
ImageService3, `profile` "level0"…"level2"). What may be asked for depends on its level:

- level 0 serves only its full image at full size and the sizes it lists in `sizes` (a static site of
  tiles, often): never an arbitrary size. The smallest listed size covering `need` is taken, else the
  full image (`full` in version 2, `max` in version 3), which may be large (the size check applies).
  Tiles are not stitched together.
- levels 1 and 2 scale to any width or height (sizeByW / sizeByH, both level 1 in versions 2 and 3): the
  longest side is asked for at exactly `need`, never enlarged (version 3 forbids upscaling without `^`),
  and within the service's maxWidth / maxHeight / maxArea; the full image when it is smaller than that.

Pure functions of the parsed JSON: no network here (atlas.ingest.remote_images does the fetching).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ImageService:
    """The parts of an info.json that decide the request."""

    id: str
    version: int  # 2 or 3
    level: int  # 0, 1 or 2
    width: int = 0
    height: int = 0
    sizes: tuple[tuple[int, int], ...] = ()
    max_width: int = 0
    max_height: int = 0
    max_area: int = 0


class NotAService(ValueError):
    """The JSON is not an Image API info.json this reader can use."""


def parse_info(info: object, url: str) -> ImageService:
    """An info.json as an ImageService; NotAService saying why when it is unusable."""
    if not isinstance(info, dict):
        raise NotAService(f"info.json is a JSON {type(info).__name__}, not an object")
    service_id = info.get("id") or info.get("@id")
    if not isinstance(service_id, str) or not service_id:
        raise NotAService("info.json has no id")
    version = 3 if _is_v3(info) else 2
    sizes = tuple(sorted((_int(s.get("width")), _int(s.get("height"))) for s in info.get("sizes") or []
                         if isinstance(s, dict) and _int(s.get("width")) > 0 and _int(s.get("height")) > 0))
    extras = [p for p in _as_list(info.get("profile")) if isinstance(p, dict)]
    limit = lambda key: _int(info.get(key)) or next((_int(p.get(key)) for p in extras if p.get(key)), 0)  # noqa: E731
    return ImageService(service_id.rstrip("/"), version, _level(info), _int(info.get("width")),
                        _int(info.get("height")), sizes, limit("maxWidth"), limit("maxHeight"), limit("maxArea"))


def image_request(service: ImageService, need: int) -> str:
    """The Image API URL of the smallest image the service offers whose longest side covers `need`."""
    full = "max" if service.version >= 3 else "full"
    if service.level == 0:
        covering = [s for s in service.sizes if max(s) >= need]
        if covering:
            width, height = min(covering, key=lambda s: s[0] * s[1])
            return _url(service, f"{width},{height}")
        return _url(service, full)
    if not service.width or not service.height or max(service.width, service.height) <= need:
        return _url(service, full)
    scale = need / max(service.width, service.height)
    width, height = math.ceil(service.width * scale), math.ceil(service.height * scale)
    if _too_big(service, width, height):
        return _url(service, full)  # "max" honours the limits; "full" (v2) is the service's own business
    return _url(service, f"{need}," if service.width >= service.height else f",{need}")


def _url(service: ImageService, size: str) -> str:
    return f"{service.id}/full/{size}/0/default.jpg"


def _too_big(service: ImageService, width: int, height: int) -> bool:
    return bool((service.max_width and width > service.max_width)
                or (service.max_height and height > service.max_height)
                or (service.max_area and width * height > service.max_area))


def _is_v3(info: dict) -> bool:
    context = " ".join(str(c) for c in _as_list(info.get("@context")))
    return "image/3" in context or info.get("type") == "ImageService3" or ("id" in info and "@id" not in info)


def _level(info: dict) -> int:
    for profile in _as_list(info.get("profile")):
        if isinstance(profile, str):
            for level in (0, 1, 2):
                if profile.endswith((f"level{level}", f"level{level}.json")):
                    return level
    return 0  # unknown profile: ask only what level 0 allows


def _as_list(value) -> list:
    return value if isinstance(value, list) else ([] if value is None else [value])


def _int(value) -> int:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else 0
    except (TypeError, ValueError):
        return 0
