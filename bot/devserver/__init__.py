"""A Bot API stand-in on loopback: the tests' double and the local Telegram of `smsbot demo`.

with BotApiServer() as tg:
    tg.add_chat(-1001, is_forum=True)
    app = ApplicationBuilder().token(tg.token).base_url(tg.base_url).build()
    ...
    tg.push_message(-1001, 42, "/start")
    tg.wait_for(lambda: tg.sent_messages(-1001))
"""

from .api import DEFAULT_TOKEN
from .calllog import Call
from .control import FakeTelegram
from .errors import ApiError
from .limits import RATE_LIMITED_METHODS
from .markup import EntityParseError, ParsedText, parse_html
from .model import TOPIC_ICON_COLORS
from .render import render_message, render_transcript
from .server import BotApiServer

__all__ = [
    "DEFAULT_TOKEN",
    "RATE_LIMITED_METHODS",
    "TOPIC_ICON_COLORS",
    "ApiError",
    "BotApiServer",
    "Call",
    "EntityParseError",
    "FakeTelegram",
    "ParsedText",
    "parse_html",
    "render_message",
    "render_transcript",
]
