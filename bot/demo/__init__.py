"""`smsbot demo`: try the whole bot in a terminal, with no gateway account and no bot token.

Three things run on 127.0.0.1 in this one process: the sandbox SMS gateway, the local
Bot API stand-in (bot.devserver) with a team chat, a forum inbox and an alert chat, and the
real bot, built by bot.app.build_application and started the way `run_polling` starts it,
so the real handlers, jobs and alert webhook answer. What you type is posted as a message of
the demo user; what the bot does in Telegram is printed as it happens. Nothing leaves the
machine.

Other SMSBOT_* variables of the environment still apply (e.g. SMSBOT_LANGUAGE=zh,
SMSBOT_CONFIRM_THRESHOLD); the connection settings, chats, webhook token and store are the
demo's own.

  world       the servers, the bot and its settings
  terminal    the line editor (prompt below the output) or plain lines from a pipe
  commands    the demo's `:` commands
  transcript  the bot's calls as numbered lines
  session     the run that ties them together
"""

from bot.demo.session import Demo, run_demo
from bot.demo.terminal import PipeTerminal, PromptTerminal, continued

__all__ = ["Demo", "PipeTerminal", "PromptTerminal", "continued", "run_demo"]
