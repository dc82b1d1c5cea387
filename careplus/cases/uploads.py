"""Checks on uploaded documents: allow-listed types by content, size, metadata stripped."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_BYTES = 5 * 1024 * 1024
# A decoded image takes up to 4 bytes a pixel, twice while it is copied without its metadata:
# 25 megapixels (a 5000 x 5000 photo, more than any document scan needs) bounds that to 200 MB.
MAX_PIXELS = 25_000_000

SIGNATURES = {
    "application/pdf": (b"%PDF-", (".pdf",)),
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
}


@dataclass(frozen=True)
class CleanUpload:
    filename: str
    content: bytes
    content_type: str


def _safe_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    cleaned = "".join(ch for ch in base if ch.isalnum() or ch in "._- ")[:120]
    return cleaned or "document"


def _too_large() -> ValidationError:
    return ValidationError(
        _("This image is too large: at most %(limit)s megapixels are accepted.") % {"limit": MAX_PIXELS // 1_000_000},
        code="too_large",
    )


def _reencode(data: bytes, kind: str) -> bytes:
    """Decode and re-encode an image so no metadata (EXIF, GPS) survives.

    The size is read from the header (Image.open decodes no pixel) and checked before any
    decoding, so an image small on disk but huge once decoded is refused without using memory.
    """
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as image:
            if image.width * image.height > MAX_PIXELS:
                raise _too_large()
            image.load()
            pixels = image.convert("RGB") if kind == "JPEG" and image.mode != "RGB" else image
            # Only the pixels (and a palette) are copied: metadata, comments and profiles are left behind.
            clean = Image.new(pixels.mode, pixels.size)
            clean.paste(pixels)
            palette = pixels.getpalette() if pixels.mode == "P" else None
            if palette is not None:
                clean.putpalette(palette)
            del pixels
            out = io.BytesIO()
            clean.save(out, format=kind, quality=90) if kind == "JPEG" else clean.save(out, format=kind)
            return out.getvalue()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Pillow's own, higher limit (warning, then error): refused here as well.
        raise _too_large() from error
    except (UnidentifiedImageError, OSError) as error:
        raise ValidationError(_("This image cannot be read."), code="bad_image") from error


def check_upload(name: str, data: bytes) -> CleanUpload:
    """Accept a PDF, JPEG or PNG whose content matches its extension; strip image metadata."""
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    if len(data) > MAX_BYTES:
        raise ValidationError(_("The file is larger than 5 MB."), code="too_large")
    filename = _safe_name(name)
    lower = filename.lower()
    for content_type, (signature, extensions) in SIGNATURES.items():
        if data.startswith(signature):
            if not lower.endswith(extensions):
                raise ValidationError(_("The file's content does not match its extension."), code="mismatch")
            if content_type == "image/jpeg":
                data = _reencode(data, "JPEG")
            elif content_type == "image/png":
                data = _reencode(data, "PNG")
            return CleanUpload(filename=filename, content=data, content_type=content_type)
    raise ValidationError(_("Only PDF, JPEG and PNG documents are accepted."), code="type")
