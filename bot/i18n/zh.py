"""Simplified Chinese messages (keys as in en.py). Missing keys fall back to English."""

MESSAGES: dict[str, str] = {}
