"""Uploaded images: the pixel count is checked from the header, before anything is decoded."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import pytest
from PIL import Image, ImageFile, PngImagePlugin

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from careplus.accounts.models import User
from careplus.cases import uploads
from careplus.cases.models import CaseAttachment
from tests import factories

SignedIn = Callable[[User], Client]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _big_png(width: int = 6300, height: int = 6300) -> bytes:
    """A real, complete RGB PNG of width x height: a few hundred KB on disk, about 120 MB decoded."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + 3 * width)
    idat = b"".join(compressor.compress(row) for _unused in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def _jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header says width x height."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="JPEG")
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Image.Image) -> None:
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.mark.usefixtures("no_decoding")
@pytest.mark.parametrize(
    ("name", "data"),
    [("scan.png", _big_png()), ("photo.jpg", _jpeg_claiming(6300, 6300)), ("photo.jpeg", _jpeg_claiming(5001, 5000))],
)
def test_p22_an_image_over_25_megapixels_is_refused_from_its_header(name: str, data: bytes) -> None:
    assert len(data) < 400_000
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        uploads.check_upload(name, data)
    assert refused.value.messages == ["This image is too large: at most 25 megapixels are accepted."]


def test_p22_an_image_at_the_limit_is_accepted_and_loses_its_metadata() -> None:
    image = Image.new("P", (64, 48))
    image.putpalette([10, 20, 30] * 256)
    out = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Fictive Person")
    image.save(out, format="PNG", pnginfo=info)
    clean = uploads.check_upload("scan.png", out.getvalue())
    stored = Image.open(io.BytesIO(clean.content))
    assert stored.size == (64, 48)
    assert stored.getpalette()[:3] == [10, 20, 30]  # type: ignore[index]  # a palette image has one
    assert b"Fictive Person" not in clean.content


@pytest.mark.django_db
def test_p22_the_6300_pixel_png_of_the_review_is_refused_on_the_page_and_nothing_is_stored(
    coordinator: User, signed_in: SignedIn
) -> None:
    case = factories.make_case()
    upload = SimpleUploadedFile("scan.png", _big_png(), content_type="image/png")
    response = signed_in(coordinator).post(
        reverse("cases:attachment_add", kwargs={"case_id": case.pk}), {"document": upload}
    )
    assert response.status_code == 400
    assert "Cette image est trop grande : 25 mégapixels au plus sont acceptés." in response.content.decode()
    assert not CaseAttachment.objects.filter(case=case).exists()
