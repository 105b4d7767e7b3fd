"""One rule for the numbers a gateway hands us (a delivery report's, an inbound SMS's sender).

The gateway echoes numbers as it likes: `+8613900001111`, `8613900001111`,
`008613900001111` or `13900001111` are one phone. Stored in the form we send to
(sms_core's normalize_number), they match the send's recipients, a contact's
number and the phone's topic; an ack by SMS comes from the number the alert went
to. A sender that is no Chinese number (`10086`, a service code, a foreign number)
cannot be put in that form and is kept exactly as received.
"""

from __future__ import annotations

from sms_core.errors import InvalidNumber
from sms_core.phones import normalize_number


def as_stored(phone: str) -> str:
    """The number as the store keeps it: normalised where it is a Chinese number, else as received."""
    try:
        return normalize_number(phone)
    except InvalidNumber:
        return phone
