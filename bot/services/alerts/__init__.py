"""On-call alerts to phones (flow 5): payloads, SMS rendering, dedup/cap/ack decisions, dispatch.

Kept free of imports at package level so that bot.store can use the pure values
without pulling in the service.
"""
