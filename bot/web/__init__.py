"""HTTP in the bot's own event loop: POST /alerts/{group}, GET /healthz, GET /metrics.

One process, one loop: the webhook commits alerts through the same Store and
the same services as the bot, and uvicorn runs as a task started in post_init
and stopped in post_shutdown (python-telegram-bot keeps its signal handlers).
"""

from bot.web.errors import WebError
from bot.web.guard import WebLimits
from bot.web.health import HealthChecker
from bot.web.routes import MAX_BODY, build_web_app
from bot.web.server import WebServer

__all__ = ["MAX_BODY", "HealthChecker", "WebError", "WebLimits", "WebServer", "build_web_app"]
