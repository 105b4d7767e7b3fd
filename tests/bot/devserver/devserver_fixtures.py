"""The cast of the double's own tests: two groups (one a forum) and two people."""

from __future__ import annotations

GROUP = -1001234567890
FORUM = -1009876543210
ALICE = 4201
BOB = 4202
