"""Telegram's side of the bot's limits: the budget per group, the rate limiter that enforces it,
and the one place that turns Telegram's failures into "come back later".

This package knows nothing of jobs or handlers: the forward job and the handlers use it.
"""
