"""Errors of the web layer."""

from __future__ import annotations


class WebError(Exception):
    """The HTTP server cannot run (the address is taken or invalid); the message says which setting."""
