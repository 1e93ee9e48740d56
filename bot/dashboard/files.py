"""What the desk hands out as files: photos, the exports, and the summary mail.

Photo URLs carry a photo id and a size name, never a path: the path comes from the Photo row and
goes through PhotoStore.path, which refuses anything that would leave the store.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from aiohttp import web

from bot.dashboard.desk import (
    SAFE_HEADERS,
    Refused,
    admin_of,
    check_unit,
    desk_of,
    not_found,
    notice,
    path_id,
    viewer_of,
)
from bot.exports import FORMATS, build_export
from bot.exports.errors import MissingFontError
from bot.mail import MailError, send_summary
from storage.photos import Photo, PhotoStatus

log = logging.getLogger(__name__)

PHOTO_SIZES = ("thumb", "web", "original")
DOWNLOAD_CHUNK = 256 * 1024


def _stored_path(photo: Photo, size: str) -> str:
    return {"thumb": photo.thumb_path, "web": photo.web_path, "original": photo.original_path}[size]


async def photo_file(request: web.Request) -> web.StreamResponse:
    viewer, desk = viewer_of(request), desk_of(request)
    photo_id, size = path_id(request, "photo_id", "这张照片"), request.match_info["size"]
    photo = await desk.read(lambda s: s.get(Photo, photo_id))
    if photo is None or photo.status != PhotoStatus.READY:
        raise not_found("这张照片")
    check_unit(viewer, photo.unit_id)
    try:
        path = desk.photos.path(_stored_path(photo, size))
    except ValueError:
        raise not_found("这张照片") from None
    if not path.is_file():
        raise not_found("这张照片")
    # Files are content-addressed and never change; private: only this browser may keep them.
    return web.FileResponse(path, headers={**SAFE_HEADERS, "Cache-Control": "private, max-age=86400"})


def _attachment(filename: str) -> str:
    """Content-Disposition for a Chinese file name (RFC 6266 / 5987), with an ASCII fallback."""
    fallback = "weekbot" + Path(filename).suffix
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


async def export_file(request: web.Request) -> web.StreamResponse:
    admin_of(request)
    fmt = request.match_info["fmt"]
    if fmt not in FORMATS:
        raise not_found("这种导出格式")
    content_type, filename = FORMATS[fmt]
    runtime = desk_of(request).runtime
    with tempfile.TemporaryDirectory(prefix="weekbot-export-") as workdir:
        try:
            built = await build_export(runtime.export_source(), fmt, Path(workdir) / filename)
        except MissingFontError as exc:
            raise Refused(500, "导出失败", f"服务器缺少中文字体，无法生成图表，请联系系统管理员（{exc}）。") from exc
        # Opened before the directory goes: the open file outlives its name, so the temporary
        # directory is gone at once however long the download takes (or if it is abandoned).
        source = built.open("rb")
    headers = {**SAFE_HEADERS, "Content-Type": content_type, "Content-Disposition": _attachment(filename)}
    with source:
        return await _stream(request, source, headers)


async def _stream(request: web.Request, source: BinaryIO, headers: dict[str, str]) -> web.StreamResponse:
    """Send an open file as the whole response body.

    Not a FileResponse: that stats its path again whenever aiohttp prepares it, and a path in a
    temporary directory is gone by then (it logged a FileNotFoundError on every download).
    """
    response = web.StreamResponse(headers=headers)
    response.content_length = os.fstat(source.fileno()).st_size
    await response.prepare(request)
    loop = asyncio.get_running_loop()
    try:
        while chunk := await loop.run_in_executor(None, source.read, DOWNLOAD_CHUNK):
            await response.write(chunk)
    except ConnectionResetError:
        log.info("download of %s abandoned by the client", request.path)
        return response  # aiohttp ends the response quietly on a closed connection
    await response.write_eof()
    return response


async def mail_summary(request: web.Request) -> web.Response:
    admin_of(request)
    runtime = desk_of(request).runtime
    with tempfile.TemporaryDirectory(prefix="weekbot-mail-") as workdir:
        try:
            result = await send_summary(runtime.export_source(), Path(workdir))
        except MailError as exc:
            return notice(request, 502, "邮件未发出", str(exc), back=True)
        except MissingFontError as exc:
            return notice(request, 500, "邮件未发出", f"服务器缺少中文字体，无法生成总结初稿（{exc}）。", back=True)
    return notice(request, 200, "总结邮件已发送", result, back=True)
