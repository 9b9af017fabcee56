"""Decoding uploaded images safely: format must match the extension, size checked from the
header before any pixel is decoded, Pillow limited to the five formats we accept."""

from __future__ import annotations

import base64
import io
import warnings

import numpy as np
from PIL import Image, ImageDraw

from .errors import IngestError, IngestLimits
from .sniff import IMAGE_KINDS, sniff

__all__ = ["FAMILIES", "decode", "image_family", "thumbnail_uri", "to_array"]

FAMILIES = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".jfif": "JPEG",
    ".gif": "GIF",
    ".bmp": "BMP",
    ".dib": "BMP",
    ".webp": "WEBP",
}
_EXT_FOR = {"PNG": ".png", "JPEG": ".jpg", "GIF": ".gif", "BMP": ".bmp", "WEBP": ".webp"}


def image_family(name: str) -> str | None:
    dot = name.rfind(".")
    return FAMILIES.get(name[dot:].lower()) if dot >= 0 else None


def check_head(head: bytes, name: str, limits: IngestLimits | None = None) -> str:
    """Refuse a file whose first bytes are not the image format its extension promises, or
    (given limits) whose header declares more pixels than allowed: found at upload time,
    without decoding anything."""
    family = image_family(name)
    kind = sniff(head)
    real = IMAGE_KINDS.get(kind or "")
    if real is None:
        what = f"a {kind}" if kind else "not an image we can read"
        raise IngestError(
            f"'{name}' in the zip is named like a {family} image but is {what}. Remove it or replace it with a real image.",
            where=f"file {name} in the zip",
        )
    if real != family:
        raise IngestError(
            f"'{name}' in the zip is really a {real} file, not {family}. Rename it to {_EXT_FOR[real]} or re-save it as {family}.",
            where=f"file {name} in the zip",
        )
    if limits is not None:
        size = _header_size(head, family)
        if size is not None and max(size) > limits.max_image_side:
            shown = "an enormous number of" if max(size) == 2**31 - 1 else f"{size[0]:,} x {size[1]:,}"
            raise IngestError(
                f"'{name}' in the zip declares {shown} pixels; images may be at most {limits.max_image_side:,} x "
                f"{limits.max_image_side:,}. Shrink it and zip again.",
                where=f"file {name} in the zip",
            )
    return family


def _header_size(head: bytes, family: str) -> tuple[int, int] | None:
    """Width and height from the first bytes, when the format keeps them there (JPEG may not)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(head), formats=[family]) as im:
                return im.size
    except Image.DecompressionBombError:
        return (2**31 - 1, 2**31 - 1)  # more pixels than Pillow itself will open
    except Exception:  # noqa: BLE001 - a header we cannot read here is checked again when decoded
        return None


def decode(data: bytes, name: str, limits: IngestLimits, draft_size: int | None = None) -> Image.Image:
    """Open, check and load the first frame of an image file from the zip."""
    family = check_head(data[:512], name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=[family])  # reads the header only
            w, h = im.size
            if w > limits.max_image_side or h > limits.max_image_side:
                raise IngestError(
                    f"'{name}' in the zip is {w:,} x {h:,} pixels; images may be at most {limits.max_image_side:,} x "
                    f"{limits.max_image_side:,}. Shrink it and zip again.",
                    where=f"file {name} in the zip",
                )
            if w < 1 or h < 1:
                raise IngestError(f"'{name}' in the zip has no pixels. Remove it.")
            if draft_size and family == "JPEG":
                im.draft("RGB", (draft_size, draft_size))
            im.load()
            return im
    except IngestError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise IngestError(
            f"'{name}' in the zip declares an enormous picture, too large to decode safely; images may be at most "
            f"{limits.max_image_side:,} x {limits.max_image_side:,} pixels. Shrink it and zip again.",
            where=f"file {name} in the zip",
        ) from None
    except MemoryError:
        raise IngestError(f"'{name}' in the zip is too large to decode. Shrink it and zip again.") from None
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds for damaged files
        raise IngestError(
            f"'{name}' in the zip could not be read as a {family} image ({type(exc).__name__}: {str(exc)[:120]}). "
            "It may be damaged; re-save it or remove it.",
            where=f"file {name} in the zip",
        ) from None


def flatten(im: Image.Image) -> Image.Image:
    """RGB (transparent parts on white)."""
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return im.convert("RGB") if im.mode != "RGB" else im


def to_array(im: Image.Image, size: int, color: str) -> np.ndarray:
    """uint8 C x size x size (C = 1 for grayscale, 3 for rgb); the image is stretched to a square."""
    rgb = flatten(im)
    out = rgb.convert("L") if color == "grayscale" else rgb
    out = out.resize((size, size), Image.BILINEAR, reducing_gap=2.0)
    a = np.asarray(out, dtype=np.uint8)
    return a[None, :, :] if a.ndim == 2 else a.transpose(2, 0, 1)


def thumbnail_uri(im: Image.Image, side: int = 48, boxes=None, mask: np.ndarray | None = None) -> str:
    """A small PNG as a data: URI; ``boxes`` (relative x, y, w, h) drawn in red, ``mask`` overlaid."""
    rgb = flatten(im).resize((side, side), Image.BILINEAR)
    if mask is not None:
        m = Image.fromarray(mask).resize((side, side), Image.NEAREST)
        colours = np.array(
            [
                [0, 0, 0],
                [230, 25, 75],
                [60, 180, 75],
                [255, 225, 25],
                [0, 130, 200],
                [245, 130, 48],
                [145, 30, 180],
                [70, 240, 240],
            ],
            dtype=np.uint8,
        )
        ma = np.asarray(m)
        overlay = colours[ma % len(colours)]
        base = np.asarray(rgb).astype(np.float32)
        blend = np.where((ma > 0)[..., None], 0.5 * base + 0.5 * overlay, base)
        rgb = Image.fromarray(blend.astype(np.uint8))
    if boxes:
        draw = ImageDraw.Draw(rgb)
        for x, y, w, h in boxes:
            draw.rectangle([x * side, y * side, (x + w) * side - 1, (y + h) * side - 1], outline=(255, 0, 0))
    buf = io.BytesIO()
    rgb.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
