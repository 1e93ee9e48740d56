"""Photo processing: validate, orient, downscale, hash and date a liaison's photo.

Pure functions over bytes (no I/O): the intake worker downloads a photo, calls
``process_photo`` and hands the result to ``storage.photo_store.PhotoStore``.

Speed: phone photos are ~12 MP JPEGs. For JPEG the decoder is told the target size up front
(``Image.draft``), so libjpeg scales by 1/2, 1/4 or 1/8 inside the IDCT instead of producing
every pixel; the web copy, the thumbnail and the hash all come from that one decode.
"""

from __future__ import annotations

import hashlib
import struct
import warnings
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import NamedTuple

from PIL import ExifTags, Image, ImageOps

from storage.types import to_local

# Formats a phone or chat client sends; anything else (HEIC, TIFF, PSD, ...) is refused
# up front rather than handed to a rarely used decoder. Value: file extension for the original.
FORMAT_EXTENSIONS: dict[str, str] = {
    "JPEG": "jpg",
    "PNG": "png",
    "GIF": "gif",
    "WEBP": "webp",
    "BMP": "bmp",
}

# Long edge of the web copy. 1000 px is what JPEG's 1/4-scale DCT decode yields for a 12 MP
# (4000x3000) phone photo, so the web copy needs no full-size decode at all (the bench's 3x goal);
# it fills a phone screen and prints at ~170 dpi across a 15 cm Word page. The original is kept.
WEB_EDGE = 1000
THUMB_EDGE = 320
WEB_QUALITY = 85
THUMB_QUALITY = 80
HASH_SIZE = 8  # dHash grid: 8 rows x 8 comparisons = 64 bits

# Largest Hamming distance between the dHashes of two copies of one photo. Measured on 150
# synthetic scenes: re-encoding at quality 25-90 and resizing to 25%-300% moved at most 4 bits,
# while the closest pair of different scenes was 9 bits apart (flat backgrounds make those
# scenes more alike than real photos, which typically differ by 20+). Kept low on purpose: a
# false "same photo" would hide a second, genuinely different shot of the same event.
SAME_PHOTO_DISTANCE = 6

MESSAGE_UNSUPPORTED = "不支持的图片格式，请发送 JPG 或 PNG 照片。"
MESSAGE_CORRUPT = "图片文件不完整或已损坏，请重新发送。"
MESSAGE_TOO_LARGE = "图片尺寸过大，请缩小后再发送。"

# What Pillow's decoders raise on malformed input (found by fuzzing in tests/test_imaging.py).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error)

_WHITE = (255, 255, 255)
_SIXTEEN_BIT_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})
# Orientations 5-8 turn the picture by 90 degrees: stored width is displayed height.
_QUARTER_TURNS = frozenset({5, 6, 7, 8})


class NotAnImage(Exception):
    """The bytes are not a photo we can use; ``message`` is a short Chinese sentence for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ProcessedPhoto:
    original: bytes  # exactly as received (still carries its EXIF, GPS included)
    web: bytes  # JPEG, no EXIF
    thumb: bytes  # JPEG, no EXIF
    width: int  # of the original as displayed (EXIF orientation applied)
    height: int
    format: str  # key of FORMAT_EXTENSIONS
    taken_at: datetime | None  # aware, Asia/Shanghai
    phash: int  # unsigned 64-bit dHash of the oriented picture
    sha256: str  # hex digest of original

    @property
    def extension(self) -> str:
        return FORMAT_EXTENSIONS[self.format]


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two hashes."""
    return (a ^ b).bit_count()


def process_photo(
    data: bytes, *, max_pixels: int = 40_000_000, web_edge: int = WEB_EDGE, thumb_edge: int = THUMB_EDGE
) -> ProcessedPhoto:
    """Check, orient, downscale and fingerprint one photo; raise NotAnImage if it is unusable."""
    try:
        # Pillow warns about huge images while opening (and while loading GIF frames) and raises
        # past twice its own limit; either way the answer is the same refusal. catch_warnings
        # swaps process-wide filters on Python 3.11: a concurrent swap can at worst leave this
        # "error" filter installed or drop it, and the explicit pixel check below still decides.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=tuple(FORMAT_EXTENSIONS)) as image:
                stored_width, stored_height = image.size
                if min(stored_width, stored_height) < 1:
                    raise NotAnImage(MESSAGE_CORRUPT)
                if stored_width * stored_height > max_pixels:
                    raise NotAnImage(MESSAGE_TOO_LARGE)  # judged on the header, before decoding
                # MPO (a phone's multi-picture JPEG) is a JPEG whose first frame is the photo.
                image_format = "JPEG" if image.format == "MPO" else str(image.format)
                rendered = _render(image, web_edge, thumb_edge)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise NotAnImage(MESSAGE_TOO_LARGE) from None
    except Image.UnidentifiedImageError:
        raise NotAnImage(MESSAGE_UNSUPPORTED) from None
    except _DECODE_ERRORS:
        raise NotAnImage(MESSAGE_CORRUPT) from None

    if rendered.orientation in _QUARTER_TURNS:
        stored_width, stored_height = stored_height, stored_width
    return ProcessedPhoto(
        original=data,
        web=rendered.web,
        thumb=rendered.thumb,
        width=stored_width,
        height=stored_height,
        format=image_format,
        taken_at=rendered.taken_at,
        phash=rendered.phash,
        sha256=hashlib.sha256(data).hexdigest(),
    )


class _Rendered(NamedTuple):
    web: bytes
    thumb: bytes
    phash: int
    orientation: int  # EXIF Orientation as found (1-8)
    taken_at: datetime | None


def _render(image: Image.Image, web_edge: int, thumb_edge: int) -> _Rendered:
    """Decode once (scaled while decoding for JPEG), then derive web, thumb and hash."""
    web_size = fit_within(image.size, web_edge)
    # draft() picks the smallest 1/n scale that still covers web_size; non-JPEGs ignore it.
    image.draft("RGB", web_size)
    image.load()
    exif = _read_exif(image)  # after load(): PNG may keep its eXIf chunk after the pixels
    orientation = exif.get(ExifTags.Base.Orientation, 1)
    if not isinstance(orientation, int):
        orientation = 1  # a malformed tag (text, several values): exif_transpose ignores it too
    taken_at = exif_taken_at(exif)
    if orientation != 1:
        ImageOps.exif_transpose(image, in_place=True)  # also drops the tag from exif
    web = _shrink(_flatten(image), web_edge)
    thumb = _shrink(web, thumb_edge)
    return _Rendered(_jpeg(web, WEB_QUALITY), _jpeg(thumb, THUMB_QUALITY), dhash(thumb), orientation, taken_at)


def _shrink(image: Image.Image, edge: int) -> Image.Image:
    # reducing_gap=1.0: whole factors go through reduce() (an exact area average, the cheapest
    # correct downscale) and only the remaining < 2x step is resampled. Bilinear suffices for
    # that step (Pillow widens it into an antialiasing filter when shrinking) and costs about
    # 40% less than bicubic on the web copy, the largest resample here.
    return image.resize(fit_within(image.size, edge), Image.Resampling.BILINEAR, reducing_gap=1.0)


def fit_within(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """Size scaled so the long side is at most ``edge``; never enlarged, never below 1 px."""
    width, height = size
    scale = edge / max(width, height)
    if scale >= 1:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def _read_exif(image: Image.Image) -> Image.Exif:
    # Phones and editing apps write malformed EXIF often enough; a broken tag block must cost
    # the date and orientation, not the photo. Pillow caches the (partial) result, so
    # exif_transpose later reads the same tags without re-parsing.
    try:
        return image.getexif()
    except Exception:
        return Image.Exif()


def _flatten(image: Image.Image) -> Image.Image:
    """An RGB or L image: transparency composited on white, 16-bit scaled down to 8-bit."""
    if image.mode in _SIXTEEN_BIT_MODES:
        # convert("L") clips 16-bit samples at 255 (a white picture); scale them instead.
        return image.point(lambda value: value / 256).convert("L")
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, _WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("RGB", "L"):
        return image
    return image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    # No exif= argument: the copies carry no EXIF at all, so no GPS position leaks. The ICC
    # profile stays when it still describes the pixels (wide-gamut phone photos would look
    # dull without it; a CMYK profile on converted RGB pixels would be wrong).
    out = BytesIO()
    image.save(out, "JPEG", quality=quality, icc_profile=_matching_icc(image))
    return out.getvalue()


def _matching_icc(image: Image.Image) -> bytes | None:
    profile = image.info.get("icc_profile")
    if not isinstance(profile, bytes) or len(profile) < 20:
        return None
    colour_space = profile[16:20]  # ICC header: data colour space signature
    expected = b"RGB " if image.mode == "RGB" else b"GRAY"
    return profile if colour_space == expected else None


def dhash(image: Image.Image) -> int:
    """64-bit difference hash: does each cell of a 9x8 grey grid outshine its right neighbour?

    Built from coarse brightness gradients, so resizing and JPEG re-encoding barely move it.
    """
    grid = image.convert("L").resize((HASH_SIZE + 1, HASH_SIZE), Image.Resampling.BOX).tobytes()
    bits = 0
    for row in range(HASH_SIZE):
        for col in range(HASH_SIZE):
            cell = row * (HASH_SIZE + 1) + col
            bits = (bits << 1) | (grid[cell] > grid[cell + 1])
    return bits


def exif_taken_at(exif: Image.Exif) -> datetime | None:
    """When the photo was taken: DateTimeOriginal, else DateTime, in Asia/Shanghai.

    EXIF times are local wall-clock times without a zone; a matching OffsetTime* tag says
    which zone, otherwise the campaign's own zone is assumed.
    """
    try:
        details = exif.get_ifd(ExifTags.IFD.Exif)
    except Exception:  # a corrupt sub-IFD pointer: fall back to the main IFD's DateTime
        details = {}
    candidates = (
        (details.get(ExifTags.Base.DateTimeOriginal), details.get(ExifTags.Base.OffsetTimeOriginal)),
        (exif.get(ExifTags.Base.DateTime), details.get(ExifTags.Base.OffsetTime)),
    )
    for stamp, offset in candidates:
        moment = _parse_exif_time(stamp, offset)
        if moment is not None:
            return moment
    return None


def _parse_exif_time(stamp: object, offset: object) -> datetime | None:
    if not isinstance(stamp, str):
        return None
    text = stamp.strip("\x00 ")
    zone = offset.strip("\x00 ") if isinstance(offset, str) else ""
    if zone:
        try:
            return to_local(datetime.strptime(f"{text} {zone}", "%Y:%m:%d %H:%M:%S %z"))
        except ValueError:
            pass  # a malformed offset: the time alone is still worth having
    try:
        naive = datetime.strptime(text, "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007 (zone applied below)
    except ValueError:
        return None  # blank, "0000:00:00 00:00:00" or garbage
    return to_local(naive)
