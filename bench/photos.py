"""Photo intake speed: process_photo against a plain Pillow pipeline on a 12 MP phone JPEG.

    .venv/bin/python bench/photos.py [N]

Builds a 4000x3000 photo-like JPEG in memory (multi-scale texture and shapes at
quality 90, EXIF with orientation, DateTimeOriginal and GPS) and two variants (the same at
quality 80; a smoother picture at quality 92), then runs each pipeline N times on each
(default 10). Goal: process_photo takes at most a third of the baseline's time.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from io import BytesIO

from PIL import ExifTags, Image, ImageDraw

from storage.imaging import THUMB_EDGE, WEB_EDGE, process_photo

PHOTO_SIZE = (4000, 3000)
# (downscale shift, blend weight) per noise octave; tuned so the JPEG lands near 3 MB.
TEXTURE_OCTAVES = ((6, 1.0), (4, 0.5), (2, 0.4), (1, 0.15), (0, 0.02))


def phone_photo(seed: int = 2026) -> bytes:
    """A 12 MP JPEG that compresses like a phone photo (about 3 MB at quality 90)."""
    rng = random.Random(seed)
    width, height = PHOTO_SIZE
    scene = _texture()
    draw = ImageDraw.Draw(scene)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        w, h = rng.randrange(50, 900), rng.randrange(50, 900)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x, y, x + w, y + h), fill=colour)
    # Shapes are flat; let the texture show through them as it would on real surfaces.
    scene = Image.blend(scene, _texture(), 0.3)

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "BenchPhone"
    exif[ExifTags.Base.Orientation] = 6
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2026:04:21 10:30:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (41.0, 34.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (120.0, 27.0, 3.2)
    out = BytesIO()
    scene.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def _texture() -> Image.Image:
    """Noise summed over octaves (coarse strong, fine weak): the falling spectrum of a real scene."""
    texture: Image.Image | None = None
    for shrink, weight in TEXTURE_OCTAVES:
        size = (PHOTO_SIZE[0] >> shrink, PHOTO_SIZE[1] >> shrink)
        octave = Image.merge("RGB", [Image.effect_noise(size, 64) for _ in range(3)])
        octave = octave.resize(PHOTO_SIZE, Image.Resampling.BICUBIC)
        texture = octave if texture is None else Image.blend(texture, octave, weight)
    assert texture is not None
    return texture


def baseline(data: bytes) -> None:
    """What one would write without thinking about speed: full decode, then shrink twice."""
    with Image.open(BytesIO(data)) as image:
        image.load()
        image.thumbnail((WEB_EDGE, WEB_EDGE))
        image.save(BytesIO(), "JPEG", quality=85)
        image.thumbnail((THUMB_EDGE, THUMB_EDGE))
        image.save(BytesIO(), "JPEG", quality=80)


def timings_ms(run: Callable[[bytes], object], data: bytes, repeat: int) -> list[float]:
    run(data)  # warm-up: plugin imports, allocator
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run(data)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def variants(data: bytes) -> list[tuple[str, bytes]]:
    """The bench photo and two of its kind: the JPEG decoder's cost follows the file's entropy,
    so one input alone would say more about the input than about the pipeline."""
    with Image.open(BytesIO(data)) as image:
        image.load()
        exif = image.getexif()
        lighter = BytesIO()
        image.save(lighter, "JPEG", quality=80, exif=exif)
        # A phone's noise reduction leaves less fine texture: smooth, then re-encode.
        smooth_image = image.resize((1000, 750)).resize(image.size, Image.Resampling.BICUBIC)
    smooth = BytesIO()
    smooth_image.save(smooth, "JPEG", quality=92, exif=exif)
    return [
        ("textured, q90", data),
        ("textured, q80", lighter.getvalue()),
        ("smooth, q92", smooth.getvalue()),
    ]


def main(argv: list[str]) -> None:
    repeat = int(argv[1]) if len(argv) > 1 else 10
    print(f"{PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} JPEGs, {repeat} runs each; goal: process_photo <= 0.33 x baseline")
    for label, data in variants(phone_photo()):
        mine = timings_ms(process_photo, data, repeat)
        plain = timings_ms(baseline, data, repeat)
        ratio = statistics.median(mine) / statistics.median(plain)
        print(
            f"{label:<14} {len(data) / 1e6:4.1f} MB  process_photo p50 {statistics.median(mine):6.1f} ms  "
            f"baseline p50 {statistics.median(plain):6.1f} ms  ratio {ratio:.2f}"
        )


if __name__ == "__main__":
    main(sys.argv)
