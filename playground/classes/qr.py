"""The join link as a QR code to put on the projector: an inline SVG drawn on the server
(no script, no image request), scaled by CSS."""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(url: str, *, title: str) -> SafeString:
    """``url`` as an SVG QR code with medium error correction (readable from the back of a room
    even when the projector is blurry); ``title`` is what a screen reader says."""
    code = segno.make(url, error="m", micro=False)
    # segno escapes the title; the rest is numbers and path data of its own.
    return mark_safe(code.svg_inline(omitsize=True, border=2, title=title, dark="#111", light="#fff"))
