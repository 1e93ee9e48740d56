"""weekbot's outbound WeChat/WeCom API client (async, bounded retries, shared access tokens)."""

from bot.wechat_api.errors import RetriesExhausted, WeChatAPIError
from bot.wechat_api.mp import OfficialAccountClient, mp_app_key
from bot.wechat_api.tokens import TokenCache
from bot.wechat_api.transport import Media, RetryPolicy
from bot.wechat_api.wecom import AgentDetails, SendResult, WeComClient, wecom_app_key

__all__ = [
    "AgentDetails",
    "Media",
    "OfficialAccountClient",
    "RetriesExhausted",
    "RetryPolicy",
    "SendResult",
    "TokenCache",
    "WeChatAPIError",
    "WeComClient",
    "mp_app_key",
    "wecom_app_key",
]
