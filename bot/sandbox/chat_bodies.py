"""What the sandbox chat page's browser posts: JSON bodies checked field by field before anything
reaches the bot. Its own module so the page (chat_page) and its WeCom-native taps (chat_native)
share them without importing each other."""

from __future__ import annotations

from typing import Annotated, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

Body = TypeVar("Body", bound=BaseModel)
UserId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.@-]{1,64}$")]


class UserBody(BaseModel):
    """Every body names the person the page speaks as, and nothing else than its fields."""

    model_config = ConfigDict(extra="forbid")
    user: UserId


async def parsed_body(request: web.Request, model: type[Body]) -> Body:
    try:
        return model.model_validate(await request.json())
    except (ValueError, ValidationError):  # bad JSON, or fields out of bounds
        raise web.HTTPBadRequest(text="请求格式不对") from None
