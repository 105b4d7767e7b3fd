"""Errors of the store layer."""

from __future__ import annotations


class StoreError(Exception):
    """The store cannot do what was asked (locked, unwritable, newer schema)."""


class StoreLocked(StoreError):
    """Another smsbot process holds this store."""


class SchemaTooNew(StoreError):
    """The file was written by a newer smsbot; refuse rather than guess."""
