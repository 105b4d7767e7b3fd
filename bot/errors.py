"""Errors of the bot layer: one root, BotError. Each carries a reason (a stable code) and
parameters, never a ready text, so the same refusal reads in English or Chinese: its
wording is the catalogue entry named by the reason (bot/i18n/en.py, zh.py).

    BotError               .reason (Reason), .params
    ├── UnknownContact     .name
    ├── UnknownGroup       .name
    ├── EmptyGroup         .name
    ├── Refusal            any other "change this and try again", named by its reason alone
    ├── CommandSyntaxError (bot/commands.py) a command not written as expected
    ├── MemberInUse        (bot/services/address_book.py) a member groups still hold
    └── AlertError         (bot/services/alerts/errors.py) a webhook request refused
"""

from __future__ import annotations

import enum


class Reason(enum.StrEnum):
    """Why the bot refuses. A value is also the key of its wording in the catalogues, and is
    what the webhook answers as `reason`: never rename one."""

    ERROR = "error"  # something went wrong on our side
    # the address book
    UNKNOWN_CONTACT = "unknown_contact"
    UNKNOWN_GROUP = "unknown_group"
    EMPTY_GROUP = "empty_group"
    GROUP_CYCLE = "group_cycle"
    MEMBER_IN_USE = "member_in_use"
    # how a command is written
    SMS_USAGE = "sms_usage"
    SMS_AT_USAGE = "sms_at_usage"
    SMS_NO_TEXT = "sms_no_text"
    CONTACT_USAGE = "contact_usage"
    GROUP_USAGE = "group_usage"
    BAD_NAME = "bad_name"
    HISTORY_USAGE = "history_usage"
    HISTORY_NOT_NUMBER = "history_not_number"
    # a send's details (/history #ID, the Details button)
    DETAIL_NO_PAGE = "detail_no_page"
    DETAIL_NO_SEND = "detail_no_send"
    # /contacts import: the file as a whole
    CSV_TOO_BIG = "csv_too_big"
    CSV_WORKBOOK = "csv_workbook"
    CSV_ENCODING = "csv_encoding"
    CSV_HEADER = "csv_header"
    CSV_EMPTY = "csv_empty"
    CSV_TOO_MANY = "csv_too_many"
    CSV_UNREADABLE = "csv_unreadable"
    CONTACTS_IMPORT_DOWNLOAD_FAILED = "contacts_import_download_failed"
    # /contacts import: one row (its line refused, the others kept)
    CSV_BAD_NUMBER = "csv_bad_number"
    CSV_BAD_GROUP = "csv_bad_group"
    CSV_GROUP_NUMBER = "csv_group_number"
    CSV_NO_NAME = "csv_no_name"
    CSV_NO_NUMBER = "csv_no_number"
    CSV_NUMBER_NO_GROUPS = "csv_number_no_groups"
    CSV_DUPLICATE = "csv_duplicate"
    CSV_GROUP_CYCLE = "csv_group_cycle"
    # the alerts webhook: the body
    WEBHOOK_NOT_UTF8 = "webhook_not_utf8"
    WEBHOOK_NOT_JSON = "webhook_not_json"
    WEBHOOK_TOO_DEEP = "webhook_too_deep"
    WEBHOOK_NUMBER_TOO_LONG = "webhook_number_too_long"
    WEBHOOK_UNKNOWN_SHAPE = "webhook_unknown_shape"
    WEBHOOK_NOT_OBJECT = "webhook_not_object"
    WEBHOOK_NOT_STRINGS = "webhook_not_strings"
    WEBHOOK_BAD_STATUS = "webhook_bad_status"
    WEBHOOK_NO_ALERTS = "webhook_no_alerts"
    WEBHOOK_NO_TEXT = "webhook_no_text"
    # the alerts webhook: the group, the store
    WEBHOOK_NO_GROUP = "webhook_no_group"
    WEBHOOK_UNKNOWN_GROUP = "webhook_unknown_group"
    WEBHOOK_EMPTY_GROUP = "webhook_empty_group"
    WEBHOOK_STORE_UNREADABLE = "webhook_store_unreadable"
    WEBHOOK_NOT_STORED = "webhook_not_stored"
    # the alerts webhook: the request
    WEBHOOK_OFF = "webhook_off"
    WEBHOOK_NO_TOKEN = "webhook_no_token"
    WEBHOOK_WRONG_TOKEN = "webhook_wrong_token"
    WEBHOOK_BAD_LENGTH = "webhook_bad_length"
    WEBHOOK_TOO_BIG = "webhook_too_big"
    WEBHOOK_BODY_OVER = "webhook_body_over"
    WEBHOOK_BODY_LATE = "webhook_body_late"
    WEBHOOK_NOT_RUNNING = "webhook_not_running"
    WEBHOOK_INTERNAL_ERROR = "webhook_internal_error"
    WEBHOOK_NO_ENDPOINT = "webhook_no_endpoint"
    WEBHOOK_METHOD = "webhook_method"


class BotError(Exception):
    """A refusal: `reason` says which, `params` fill its wording. A reason given as text must be
    a Reason's value (ValueError otherwise): every refusal has a code, and so a wording."""

    reason: Reason = Reason.ERROR

    def __init__(self, reason: Reason | str | None = None, /, **params: object) -> None:
        if reason is not None:
            self.reason = Reason(reason)
        self.params = params
        super().__init__(str(self.reason))

    @property
    def key(self) -> str:
        """The catalogue key of its wording: the reason's value."""
        return str(self.reason)


class UnknownContact(BotError):
    reason = Reason.UNKNOWN_CONTACT

    def __init__(self, name: str) -> None:
        super().__init__(name=name)


class UnknownGroup(BotError):
    reason = Reason.UNKNOWN_GROUP

    def __init__(self, name: str) -> None:
        super().__init__(name=name)


class EmptyGroup(BotError):
    reason = Reason.EMPTY_GROUP

    def __init__(self, name: str) -> None:
        super().__init__(name=name)


class Refusal(BotError):
    """A refusal that needs no class of its own: its reason says which."""

    def __init__(self, reason: Reason | str, /, **params: object) -> None:
        super().__init__(reason, **params)
