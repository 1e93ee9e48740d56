from __future__ import annotations

import hashlib
import random
import struct
import warnings
import zlib
from datetime import datetime, timedelta
from io import BytesIO

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageFilter

from scheduler.clock import TZ
from storage.imaging import (
    MESSAGE_CORRUPT,
    MESSAGE_TOO_LARGE,
    MESSAGE_UNSUPPORTED,
    SAME_PHOTO_DISTANCE,
    NotAnImage,
    ProcessedPhoto,
    exif_taken_at,
    fit_within,
    hamming,
    process_photo,
)

RED = (255, 0, 0)
BLUE = (0, 0, 255)
IMAGE_SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)


def scene(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A photo stand-in: random blurred shapes on a random background."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(width), rng.randrange(height)
        w, h = rng.randrange(20, width // 2), rng.randrange(20, height // 2)
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x, y, x + w, y + h), fill=tuple(rng.randrange(256) for _ in range(3)))
    return image.filter(ImageFilter.GaussianBlur(2))


def encode(image: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    out = BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    image.load()
    return image


def phone_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2026:04:21 10:30:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (41.0, 34.0, 12.5)
    return exif


def half_red(size: tuple[int, int]) -> Image.Image:
    """Top half red, bottom half blue, as stored (before any EXIF rotation)."""
    image = Image.new("RGB", size, BLUE)
    ImageDraw.Draw(image).rectangle((0, 0, size[0], size[1] // 2 - 1), fill=RED)
    return image


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height: costs nothing unless someone decodes it."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def reddest_side(image: Image.Image) -> str:
    rgb = image.convert("RGB")
    w, h = rgb.size
    probes = {"top": (w // 2, 0), "bottom": (w // 2, h - 1), "left": (0, h // 2), "right": (w - 1, h // 2)}
    return max(probes, key=lambda side: rgb.getpixel(probes[side])[0])


# ---- sizes and copies ----


def test_copies_are_bounded_exif_free_jpegs_of_the_untouched_original() -> None:
    data = encode(scene(1, (2400, 1800)), quality=90, exif=phone_exif())
    photo = process_photo(data)
    assert photo.original is data
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert (photo.width, photo.height, photo.format) == (2400, 1800, "JPEG")
    web, thumb = decode(photo.web), decode(photo.thumb)
    assert (web.format, web.size) == ("JPEG", (1000, 750))
    assert (thumb.format, thumb.size) == ("JPEG", (320, 240))
    assert 0 <= photo.phash < 2**64


def test_small_photos_are_not_enlarged_and_edges_are_configurable() -> None:
    data = encode(scene(2, (200, 100)))
    assert decode(process_photo(data).web).size == (200, 100)
    custom = process_photo(encode(scene(2, (1000, 500))), web_edge=500, thumb_edge=64)
    assert decode(custom.web).size == (500, 250)
    assert decode(custom.thumb).size == (64, 32)


def test_extreme_aspect_ratio_keeps_at_least_one_pixel() -> None:
    photo = process_photo(encode(Image.new("RGB", (4000, 2), RED), "PNG"))
    assert decode(photo.web).size == (1000, 1)
    assert decode(photo.thumb).size == (320, 1)


@given(width=st.integers(1, 20_000), height=st.integers(1, 20_000), edge=st.integers(1, 4000))
def test_fit_within_bounds_the_long_edge_and_keeps_the_shape(width: int, height: int, edge: int) -> None:
    fitted_w, fitted_h = fit_within((width, height), edge)
    assert 1 <= fitted_w <= width and 1 <= fitted_h <= height
    if max(width, height) <= edge:
        assert (fitted_w, fitted_h) == (width, height)
    else:
        assert max(fitted_w, fitted_h) == edge
        # Rounding moves the short side by at most half a pixel (plus the 1 px floor).
        assert abs(fitted_w * height - fitted_h * width) <= max(width, height)


# ---- orientation and privacy ----


@pytest.mark.parametrize(("orientation", "red_side"), [(1, "top"), (3, "bottom"), (6, "right"), (8, "left")])
def test_exif_orientation_is_applied_to_the_copies(orientation: int, red_side: str) -> None:
    photo = process_photo(encode(half_red((400, 300)), exif=phone_exif(orientation)))
    portrait = orientation in (6, 8)
    assert (photo.width, photo.height) == ((300, 400) if portrait else (400, 300))
    for copy in (photo.web, photo.thumb):
        image = decode(copy)
        assert (image.height > image.width) == portrait
        assert reddest_side(image) == red_side


def test_rotated_draft_decoded_phone_photo_comes_out_portrait() -> None:
    # Large enough that the JPEG decoder scales by 1/2 while decoding.
    photo = process_photo(encode(half_red((3400, 2550)), quality=85, exif=phone_exif(6)))
    assert (photo.width, photo.height) == (2550, 3400)
    assert decode(photo.web).size == (750, 1000)
    assert reddest_side(decode(photo.web)) == "right"


def test_gps_stays_in_the_original_only() -> None:
    photo = process_photo(encode(scene(3), exif=phone_exif(6)))
    assert decode(photo.original).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the input had GPS
    for copy in (photo.web, photo.thumb):
        image = decode(copy)
        assert "exif" not in image.info
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert b"Exif\x00\x00" not in copy


# ---- capture time ----


def exif_with(**tags: str) -> Image.Exif:
    exif = Image.Exif()
    details = exif.get_ifd(ExifTags.IFD.Exif)
    for name, value in tags.items():
        tag = ExifTags.Base[name]
        (exif if tag == ExifTags.Base.DateTime else details)[tag] = value
    return exif


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"DateTimeOriginal": "2026:04:21 10:30:00"}, datetime(2026, 4, 21, 10, 30, tzinfo=TZ)),
        (
            {"DateTimeOriginal": "2026:04:21 10:30:00", "OffsetTimeOriginal": "+00:00"},
            datetime(2026, 4, 21, 18, 30, tzinfo=TZ),
        ),
        (
            {"DateTimeOriginal": "2026:04:20 22:00:00", "OffsetTimeOriginal": "-05:00"},
            datetime(2026, 4, 21, 11, 0, tzinfo=TZ),
        ),
        ({"DateTime": "2026:04:22 08:15:30"}, datetime(2026, 4, 22, 8, 15, 30, tzinfo=TZ)),
        (
            {"DateTime": "2026:04:22 08:15:30", "OffsetTime": "+09:00"},
            datetime(2026, 4, 22, 7, 15, 30, tzinfo=TZ),
        ),
        (
            {"DateTimeOriginal": "2026:04:21 10:30:00", "DateTime": "2026:05:01 09:00:00"},
            datetime(2026, 4, 21, 10, 30, tzinfo=TZ),
        ),
        (
            {"DateTimeOriginal": "2026:04:21 10:30:00", "OffsetTimeOriginal": "garbage"},
            datetime(2026, 4, 21, 10, 30, tzinfo=TZ),
        ),
        (  # an unusable DateTimeOriginal falls back to DateTime
            {"DateTimeOriginal": "0000:00:00 00:00:00", "DateTime": "2026:04:23 12:00:00"},
            datetime(2026, 4, 23, 12, 0, tzinfo=TZ),
        ),
        ({"DateTimeOriginal": "0000:00:00 00:00:00"}, None),
        ({"DateTimeOriginal": "    :  :     :  :  "}, None),
        ({}, None),
    ],
)
def test_taken_at_from_exif(tags: dict[str, str], expected: datetime | None) -> None:
    moment = exif_taken_at(exif_with(**tags))
    assert moment == expected
    if moment is not None:
        assert moment.utcoffset() == timedelta(hours=8)


def test_taken_at_end_to_end_and_absent_without_exif() -> None:
    with_exif = process_photo(encode(scene(4), exif=exif_with(DateTimeOriginal="2026:04:24 16:45:00")))
    assert with_exif.taken_at == datetime(2026, 4, 24, 16, 45, tzinfo=TZ)
    assert process_photo(encode(scene(4))).taken_at is None
    assert process_photo(encode(scene(4), "PNG")).taken_at is None


# ---- rejections ----


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", MESSAGE_UNSUPPORTED),
        (b"not a picture at all", MESSAGE_UNSUPPORTED),
        ("你好".encode(), MESSAGE_UNSUPPORTED),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", MESSAGE_UNSUPPORTED),
        (encode(scene(5), "TIFF"), MESSAGE_UNSUPPORTED),
        (encode(scene(5))[:2000], MESSAGE_CORRUPT),
        (encode(scene(5), "PNG")[:5000], MESSAGE_CORRUPT),
        (png_header_only(0, 10), MESSAGE_UNSUPPORTED),
        (png_header_only(50_000, 50_000), MESSAGE_TOO_LARGE),
    ],
    ids=["empty", "text", "chinese", "heic", "tiff", "truncated-jpeg", "truncated-png", "zero", "bomb"],
)
def test_unusable_bytes_raise_not_an_image(data: bytes, message: str) -> None:
    with pytest.raises(NotAnImage) as caught:
        process_photo(data)
    assert caught.value.message == message == str(caught.value)


def test_size_limit_is_judged_on_the_header_before_decoding() -> None:
    # 48 MP: over our 40 MP default, under Pillow's own limit. The body is a few bytes, so
    # had it been decoded the answer would be "corrupt", not "too large".
    with pytest.raises(NotAnImage, match=MESSAGE_TOO_LARGE):
        process_photo(png_header_only(8000, 6000))
    small = encode(scene(6, (100, 100)))
    with pytest.raises(NotAnImage, match=MESSAGE_TOO_LARGE):
        process_photo(small, max_pixels=9_999)
    assert process_photo(small, max_pixels=10_000).width == 100


def test_pillow_bomb_warning_becomes_a_refusal_not_a_warning() -> None:
    # 100 MP is past Pillow's warning threshold (~89 MP) but below its hard error.
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(NotAnImage, match=MESSAGE_TOO_LARGE):
            process_photo(png_header_only(10_000, 10_000), max_pixels=10**9)
    assert not [w for w in seen if issubclass(w.category, Image.DecompressionBombWarning)]


_SAMPLES = (encode(scene(7, (160, 120)), quality=80), encode(scene(7, (160, 120)), "PNG"))


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    sample=st.sampled_from(_SAMPLES),
    cut=st.integers(0, 10_000),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
)
def test_damaged_files_are_processed_or_refused_never_crash(
    sample: bytes, cut: int, flips: list[tuple[int, int]]
) -> None:
    damaged = bytearray(sample[: len(sample) - cut % len(sample)])
    for position, value in flips:
        if damaged:
            damaged[position % len(damaged)] = value
    try:
        result = process_photo(bytes(damaged))
    except NotAnImage as refused:
        assert refused.message in (MESSAGE_CORRUPT, MESSAGE_UNSUPPORTED, MESSAGE_TOO_LARGE)
    else:
        assert isinstance(result, ProcessedPhoto)


# ---- perceptual hash ----


def test_hamming_counts_differing_bits() -> None:
    assert hamming(0, 0) == 0
    assert hamming(0b1011, 0b0001) == 2
    assert hamming(0, 2**64 - 1) == 64


@IMAGE_SETTINGS
@given(seed=st.integers(0, 10**6))
def test_same_photo_reencoded_or_resized_stays_within_threshold(seed: int) -> None:
    image = scene(seed, (1200, 900))
    first = process_photo(encode(image, quality=92)).phash
    smaller = image.resize((540, 405), Image.Resampling.LANCZOS)
    larger = image.resize((2000, 1500), Image.Resampling.BICUBIC)
    for variant in (encode(smaller, quality=40), encode(larger, quality=70), encode(image, "PNG")):
        assert hamming(first, process_photo(variant).phash) <= SAME_PHOTO_DISTANCE


@IMAGE_SETTINGS
@given(seeds=st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)).filter(lambda s: s[0] != s[1]))
def test_different_photos_are_beyond_threshold(seeds: tuple[int, int]) -> None:
    first, second = (process_photo(encode(scene(seed))).phash for seed in seeds)
    assert hamming(first, second) > SAME_PHOTO_DISTANCE


def test_hash_sees_the_oriented_picture() -> None:
    # A resend whose app baked the rotation into the pixels is still the same photo.
    image = scene(8)
    tagged = process_photo(encode(image, exif=phone_exif(6))).phash
    baked = process_photo(encode(image.transpose(Image.Transpose.ROTATE_270))).phash
    assert hamming(tagged, baked) <= SAME_PHOTO_DISTANCE
    assert hamming(tagged, process_photo(encode(image)).phash) > SAME_PHOTO_DISTANCE


# ---- colour modes and formats ----


def test_cmyk_jpeg_becomes_rgb() -> None:
    photo = process_photo(encode(Image.new("CMYK", (64, 48), (0, 255, 255, 0))))
    web = decode(photo.web)
    assert web.mode == "RGB"
    red, green, blue = web.getpixel((32, 24))
    assert red > 200 and green < 60 and blue < 60


def test_transparency_is_flattened_on_white() -> None:
    rgba = Image.new("RGBA", (64, 48), (255, 0, 0, 0))
    ImageDraw.Draw(rgba).rectangle((0, 0, 31, 47), fill=(0, 0, 255, 255))
    web = decode(process_photo(encode(rgba, "PNG")).web)
    assert web.mode == "RGB"
    assert min(web.getpixel((56, 24))) > 240  # transparent red became white
    assert web.getpixel((8, 24))[2] > 200  # opaque blue stayed blue


def test_palette_with_transparent_index_is_flattened_on_white() -> None:
    palette = Image.new("P", (64, 48), 0)
    palette.putpalette([0, 0, 0, 255, 0, 0])
    ImageDraw.Draw(palette).rectangle((0, 0, 31, 47), fill=1)
    photo = process_photo(encode(palette, "GIF", transparency=0))
    web = decode(photo.web)
    assert photo.format == "GIF"
    assert min(web.getpixel((56, 24))) > 240
    assert web.getpixel((8, 24))[0] > 200


def test_sixteen_bit_png_is_scaled_not_clipped() -> None:
    photo = process_photo(encode(Image.new("I;16", (64, 48), 40_000), "PNG"))
    web = decode(photo.web)
    assert web.mode == "L"
    assert abs(web.getpixel((32, 24)) - 40_000 // 256) <= 3


@pytest.mark.parametrize(
    ("mode", "fmt", "extension"),
    [
        ("RGB", "PNG", "png"),
        ("L", "JPEG", "jpg"),
        ("1", "BMP", "bmp"),
        ("LA", "PNG", "png"),
        ("RGB", "WEBP", "webp"),
        ("P", "GIF", "gif"),
    ],
)
def test_common_modes_and_formats_are_accepted(mode: str, fmt: str, extension: str) -> None:
    photo = process_photo(encode(scene(9, (300, 200)).convert(mode), fmt))
    assert (photo.format, photo.extension) == (fmt, extension)
    assert (photo.width, photo.height) == (300, 200)
    assert decode(photo.web).mode in ("RGB", "L")


def test_multi_picture_jpeg_counts_as_jpeg() -> None:
    data = encode(scene(10), "MPO", save_all=True, append_images=[scene(11)])
    assert decode(data).format == "MPO"
    photo = process_photo(data)
    assert (photo.format, photo.extension) == ("JPEG", "jpg")


def test_rgb_icc_profile_is_kept_and_a_cmyk_one_dropped() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    kept = decode(process_photo(encode(scene(12), icc_profile=srgb)).web)
    assert kept.info.get("icc_profile") == srgb
    cmyk_profile = bytearray(srgb)
    cmyk_profile[16:20] = b"CMYK"
    cmyk = Image.new("CMYK", (64, 48), (0, 255, 255, 0))
    dropped = decode(process_photo(encode(cmyk, icc_profile=bytes(cmyk_profile))).web)
    assert "icc_profile" not in dropped.info
