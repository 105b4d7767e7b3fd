"""Prometheus metrics, one set per process (the default registry)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

SMS_SENT = Counter("smsbot_sms_numbers_total", "Numbers texted, by outcome", ["outcome"])
SMS_SEGMENTS = Counter("smsbot_sms_segments_total", "SMS segments (billing units), by outcome", ["outcome"])
GATEWAY_ERRORS = Counter("smsbot_gateway_errors_total", "Gateway errors, by code", ["endpoint", "code"])
POLLS = Counter("smsbot_polls_total", "Gateway polls, by endpoint and result", ["endpoint", "result"])
POLL_LAG = Gauge("smsbot_poll_lag_seconds", "Seconds since the last successful read of every poll endpoint")
LAST_POLL_OK = Gauge("smsbot_last_poll_ok_timestamp", "Unix time of the last successful read of every poll endpoint")
PAGES_MAYBE_LOST = Counter("smsbot_poll_pages_maybe_lost_total",
                           "Destructive reads sent and not answered in time: a page may have been lost",
                           ["endpoint"])
HEALTHY = Gauge("smsbot_healthy", "1 when GET /healthz answers 200, else 0")
HEALTH_PART = Gauge("smsbot_health_ok", "1 when this part of /healthz is ok, else 0", ["part"])
FORWARD_QUEUE = Gauge("smsbot_forward_queue_depth", "Inbound SMS and status edits waiting for Telegram", ["kind"])
TELEGRAM_RETRIES = Counter("smsbot_telegram_retries_total", "Telegram calls delayed by 429, 5xx or network", ["reason"])
INBOUND = Counter("smsbot_inbound_sms_total", "Inbound SMS stored")
REPORTS = Counter("smsbot_delivery_reports_total", "Delivery reports stored, by match", ["matched"])
ALERTS = Counter("smsbot_alerts_total", "Alerts by what happened to them", ["event"])

# alerts (issue 6): ALERTS above counts events (received, deduplicated, silenced, skipped, sent,
# suppressed, summary, failed, gave_up, unknown, refused, error, acked)
WEBHOOK_REQUESTS = Counter("smsbot_webhook_requests_total", "Alert webhook requests, by HTTP status", ["status"])
ALERTS_PENDING = Gauge("smsbot_alerts_pending", "Alerts stored and not sent yet (queued, sending or waiting to retry)")
