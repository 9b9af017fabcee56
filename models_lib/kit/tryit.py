"""What every architecture's "try it" shares: the limits on a visitor's input, the refusal that names the
field to fix, and the parsing of that input (numbers, rows named after columns, images sent as data URLs
or pixel lists, text) into tensors, checked like an upload before any work is done.

An architecture's ``tryit.py`` declares a :class:`~models_lib.registry.TryIt`: ``describe(module, data,
limits)`` says what the panel needs (the kind of input, its shape, class names, columns...) and
``run(module, data, inputs, limits)`` answers one input with JSON-able output (probabilities, numbers,
pictures as PNG data URLs). Both read the trained module (in eval mode) and never train it.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from models_lib.data.builtin_images import png_data_uri
from models_lib.kit.figures import rounded, tile_grid, upscale

__all__ = [
    "TryItError",
    "TryLimits",
    "class_probabilities",
    "image_input",
    "image_png",
    "integer",
    "maps_png",
    "number",
    "number_list",
    "percentile_of",
    "rounded",
    "row_input",
    "text_input",
]

IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")
SHOWN_SIDE = 96  # pictures sent back are scaled up (nearest) to at least this side


class TryItError(ValueError):
    """Input the visitor must fix: ``field`` names it (``image``, ``row.petal length``), ``message`` says how."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class TryLimits:
    """How much one try may ask for (the site reads them from its settings)."""

    max_image_bytes: int = 2 * 1024**2  # an image's encoded bytes
    max_image_side: int = 2000  # pixels per side of an uploaded image
    max_text_chars: int = 500  # seed text
    max_generate_chars: int = 400  # characters written after it
    max_series_values: int = 5000  # values of a pasted series
    max_samples: int = 64  # samples a generator makes in one try
    max_walk_steps: int = 16  # pictures along a walk between two seeds
    top_k: int = 5  # classes shown

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


# ------------------------------------------------------------------------------ numbers


def number(value: Any, field: str, *, low: float | None = None, high: float | None = None) -> float:
    """A finite number (a numeric string is taken), within ``low``..``high`` when given."""
    if isinstance(value, bool) or value is None:
        raise TryItError(field, f"must be a number, not {json_repr(value)}")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise TryItError(field, f"must be a number, not the text {json_repr(value)}") from None
    if not isinstance(value, int | float):
        raise TryItError(field, f"must be a number, not {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise TryItError(field, "must be a finite number")
    if low is not None and value < low:
        raise TryItError(field, f"must be at least {low:g}")
    if high is not None and value > high:
        raise TryItError(field, f"must be at most {high:g}")
    return value


def integer(value: Any, field: str, *, low: int, high: int, default: int | None = None) -> int:
    """A whole number in ``low``..``high`` (``default`` when missing)."""
    if value is None and default is not None:
        return default
    x = number(value, field, low=low, high=high)
    if x != int(x):
        raise TryItError(field, f"must be a whole number, not {x:g}")
    return int(x)


def number_list(value: Any, field: str, *, length: int | None = None, most: int, least: int = 1) -> list[float]:
    """A list of numbers; a string of numbers separated by commas, spaces or new lines is taken too."""
    if isinstance(value, str):
        parts = [p for p in value.replace(",", " ").replace(";", " ").split() if p]
        value = parts
    if not isinstance(value, list | tuple):
        raise TryItError(field, f"must be a list of numbers, not {json_repr(value)}")
    if len(value) > most:
        raise TryItError(field, f"has {len(value):,} values; send at most {most:,}")
    if length is not None and len(value) != length:
        raise TryItError(field, f"must have exactly {length} numbers, not {len(value)}")
    if len(value) < least:
        raise TryItError(field, f"needs at least {least} numbers, not {len(value)}")
    return [number(v, f"{field}[{i}]") for i, v in enumerate(value)]


def row_input(value: Any, columns: Sequence[str], field: str = "row") -> list[float]:
    """One value per column: a mapping keyed by the columns' names, or a list in their order."""
    if isinstance(value, Mapping):
        missing = [c for c in columns if c not in value]
        if missing:
            shown = ", ".join(repr(c) for c in missing[:5]) + (" ..." if len(missing) > 5 else "")
            raise TryItError(field, f"has no value for {shown}; give one number per column")
        unknown = [str(k) for k in value if k not in set(columns)]
        if unknown:
            raise TryItError(
                field, f"names {unknown[0]!r}, not a column of this data; the columns are {', '.join(columns)}"
            )
        return [number(value[c], f"{field}.{c}") for c in columns]
    return number_list(value, field, length=len(columns), most=len(columns))


def byte_size(n: int) -> str:
    """ "900 bytes", "4.1 KB", "2 MB" """
    if n < 1024:
        return f"{n:,} bytes"
    if n < 1024**2:
        return f"{n / 1024:.3g} KB"
    return f"{n / 1024**2:.3g} MB"


def json_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# ------------------------------------------------------------------------------ text


def text_input(value: Any, field: str, *, most: int, least: int = 1) -> str:
    if not isinstance(value, str):
        raise TryItError(field, f"must be text, not {json_repr(value)}")
    if len(value) > most:
        raise TryItError(field, f"has {len(value):,} characters; send at most {most:,}")
    if len(value) < least:
        raise TryItError(field, f"needs at least {least} character{'s' if least > 1 else ''}")
    return value


# ------------------------------------------------------------------------------ images


def _decode_image(text: str, field: str, limits: TryLimits):
    """A Pillow image from a ``data:image/...;base64,`` URL (or bare base64), checked before decoding:
    its byte size, its format and its pixel count from the header."""
    from PIL import Image

    if text.startswith("data:"):
        head, _, text = text.partition(",")
        if ";base64" not in head:
            raise TryItError(field, "must be a base64 data URL (data:image/png;base64,...)")
    size = len(text) * 3 // 4
    if size > limits.max_image_bytes:
        raise TryItError(field, f"is {byte_size(size)}; send an image of at most {byte_size(limits.max_image_bytes)}")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise TryItError(
            field, "is not valid base64: send the picture as a data URL (data:image/png;base64,...)"
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(raw), formats=list(IMAGE_FORMATS))  # reads the header only
            w, h = im.size
            side = limits.max_image_side
            if w > side or h > side:
                raise TryItError(
                    field,
                    f"is {w:,} x {h:,} pixels; images may be at most {side:,} x {side:,}. Shrink it and try again",
                )
            if w < 1 or h < 1:
                raise TryItError(field, "has no pixels")
            im.load()
            return im
    except TryItError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TryItError(
            field,
            f"declares an enormous picture; images may be at most {limits.max_image_side:,} x "
            f"{limits.max_image_side:,} pixels",
        ) from None
    except Exception:  # noqa: BLE001 - Pillow raises many kinds for what is not a picture
        raise TryItError(field, "is not a picture we can read (PNG, JPEG, GIF, BMP or WebP)") from None


def image_input(inputs: Mapping[str, Any], *, channels: int, side: int, limits: TryLimits) -> torch.Tensor:
    """``[1, channels, side, side]`` in 0..1 from ``inputs["image"]`` (a data URL of any size: stretched
    to the square, grey or colour as the data is) or ``inputs["pixels"]`` (numbers 0..1 shaped
    ``[side, side]`` or ``[channels, side, side]``)."""
    if inputs.get("image") is not None:
        if not isinstance(inputs["image"], str):
            raise TryItError("image", "must be a data URL string (data:image/png;base64,...)")
        from models_lib.data.ingest.imaging import to_array

        im = _decode_image(inputs["image"], "image", limits)
        a = to_array(im, side, "grayscale" if channels == 1 else "rgb").astype(np.float32) / 255.0
        return torch.from_numpy(a[:channels])[None]
    if inputs.get("pixels") is not None:
        try:
            a = np.asarray(inputs["pixels"], dtype=np.float32)
        except (TypeError, ValueError):
            raise TryItError("pixels", f"must be numbers 0..1 in a {side} x {side} grid") from None
        given = a.shape
        if a.ndim == 2 and channels == 1:
            a = a[None]
        want = (channels, side, side)
        if a.shape != want:
            shape = " x ".join(str(s) for s in given) or "one number"
            need = f"{side} x {side}" if channels == 1 else f"{channels} x {side} x {side}"
            raise TryItError("pixels", f"must be {need} numbers (got {shape})")
        if not np.isfinite(a).all() or a.min() < 0 or a.max() > 1:
            raise TryItError("pixels", "must hold numbers from 0 to 1")
        return torch.from_numpy(a)[None]
    raise TryItError("image", "send a picture: 'image' as a data URL, or 'pixels' as a grid of numbers 0..1")


def image_png(image: torch.Tensor, side: int = SHOWN_SIDE) -> str:
    """One ``[C, S, S]`` picture in 0..1 as a PNG data URL, scaled up (nearest) to ``side``."""
    a = (image.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()
    a = a[0] if a.shape[0] == 1 else np.moveaxis(a[:3], 0, -1)
    return png_data_uri(upscale(np.ascontiguousarray(a), side))


def images_png(images: torch.Tensor, cols: int, side: int = 48) -> str:
    """``[N, C, S, S]`` pictures in 0..1 in a grid of ``cols``, as one PNG data URL."""
    from models_lib.kit.figures import image_tiles

    grid, _ = tile_grid(image_tiles(images, side=side), cols=cols, gap=2)
    return png_data_uri(grid)


def maps_png(maps: torch.Tensor, most: int = 8, side: int = 40) -> str:
    """The first ``most`` channels of ``[C, H, W]`` activations side by side, each scaled to its own 0..1."""
    m = maps[:most].detach().float()
    low = m.flatten(1).min(1).values[:, None, None]
    high = m.flatten(1).max(1).values[:, None, None]
    m = (m - low) / (high - low).clamp_min(1e-8)
    return images_png(m[:, None], cols=len(m), side=side)


# ------------------------------------------------------------------------------ answers


def class_probabilities(logits: torch.Tensor, class_names: Sequence[str], top_k: int | None = None) -> list[dict]:
    """``[K]`` logits as ``[{"class", "index", "p"}]``, most likely first (the first ``top_k``)."""
    p = torch.softmax(logits.detach().float(), -1).cpu().numpy()
    order = np.argsort(-p, kind="stable")[: top_k or len(p)]
    return [{"class": str(class_names[i]), "index": int(i), "p": float(p[i])} for i in order]


def percentile_of(value: float, reference: np.ndarray) -> float:
    """Where ``value`` falls among ``reference`` values, 0..100 (the share below it, ties counted half)."""
    ref = np.asarray(reference, dtype=np.float64)
    if not len(ref):
        return 50.0
    below = float((ref < value).sum()) + 0.5 * float((ref == value).sum())
    return 100.0 * below / len(ref)
