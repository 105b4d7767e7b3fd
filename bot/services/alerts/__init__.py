"""On-call alerts to phones (flow 5): payloads, SMS rendering, dedup/cap/ack decisions, dispatch.

Kept free of imports at package level: the pure parts (payload, render) load without the
dispatcher. The bot holds the running parts in its Runtime (bot/runtime.py: Alerts).
"""
