"""One Settings object for the whole process.

Lists come from the environment as comma-separated text ("-100123, 42"), which
pydantic-settings would otherwise try to parse as JSON; `NoDecode` hands us the
raw string. A wrong value fails at start with one line per problem: the variable, its
value (a secret only as its length) and the form expected (config/forms.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from config.forms import ENV_PREFIX, EXPECTED, describe, masked_url
from config.names import ENV_FILE, UnknownVariable, unknown_variables

SANDBOX = "sandbox"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TELEGRAM_HOST = "api.telegram.org"
TOKEN_SECRET_LENGTH = 35
"""@BotFather's tokens are `<bot id>:<35 characters of A-Z a-z 0-9 _ ->`."""
MIN_TOKEN_LENGTH = 24
"""A bearer token shorter than this can be guessed; the webhook refuses to start with one."""

PROXY_SCHEMES = ("http", "https", "socks5")
"""What httpx (python-telegram-bot's HTTP client) speaks to a proxy; socks5 needs socksio,
which python-telegram-bot's socks extra brings in (pyproject.toml)."""

_TOKEN = re.compile(r"(?P<id>[^:]*):(?P<secret>.*)", re.DOTALL)
_TOKEN_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")


class SettingsError(Exception):
    """A setting is missing or wrong. `problems` holds one line per wrong variable (its name,
    its value with secrets masked, the form expected); the message is them all."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[str, ...] = tuple(problems) or (message,)


def _id_list(value: object) -> object:
    if isinstance(value, str):
        parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
        out = []
        for p in parts:
            try:
                out.append(int(p))
            except ValueError:
                raise ValueError(f"{p!r} is not a whole number") from None
        return out
    if isinstance(value, int):
        return [value]
    return value


def token_problem(token: str, *, official: bool) -> str | None:
    """What is wrong with a bot token's form, in words that never quote it; None if nothing.

    The length of the secret is only known for Telegram's own servers (`official`): a local
    Bot API server passes real tokens on, but the tests' double and `smsbot demo` make their
    own, and any server that accepts a token is right about it.
    """
    if "..." in token or "\u2026" in token:
        return "that is the README's placeholder, not a token"
    match = _TOKEN.fullmatch(token)
    if match is None:
        return "it has no colon"
    if not match["id"].isdigit():
        return "the part before the colon is not digits"
    secret = match["secret"]
    if not _TOKEN_ALPHABET.fullmatch(secret):
        return ("nothing follows the colon" if not secret
                else "the secret after the colon holds other characters than letters, digits, - and _")
    if official and len(secret) != TOKEN_SECRET_LENGTH:
        return f"the secret after the colon has {len(secret)} characters"
    return None


def proxy_problem(url: str) -> str | None:
    """What is wrong with a proxy URL, in words that never quote its credentials; None if nothing."""
    scheme, sep, _ = url.partition("://")
    if not sep:
        return "it is not a URL: it has no scheme:// in front"
    if scheme.lower() not in PROXY_SCHEMES:
        hint = (" (write socks5://: the proxy looks Telegram's name up either way)"
                if scheme.lower() == "socks5h" else "")
        return f"{scheme}:// is not a proxy scheme smsbot can use{hint}"
    if any(c.isspace() for c in url):
        return "it holds a space"
    parts = urlsplit(url)
    if not parts.hostname:
        return "it names no host"
    try:
        port = parts.port
    except ValueError:
        port = 0
    else:
        if port is None:
            return "it names no port"
    if not 0 < port < 65536:
        return "the port is not a number from 1 to 65535"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return "a proxy URL ends after the port"
    return None


def proxy_credentials(url: str) -> list[str]:
    """A proxy URL's user name and password, as written and percent-decoded, and both joined:
    the forms they can take in a log line or a library's error."""
    parts = urlsplit(url)
    found = [v for v in (parts.username, parts.password) if v]
    found += [unquote(v) for v in found]
    if parts.username and parts.password:
        found += [f"{parts.username}:{parts.password}", f"{unquote(parts.username)}:{unquote(parts.password)}"]
    return list(dict.fromkeys(found))


def missing_token_message() -> str:
    return (f"{ENV_PREFIX}TELEGRAM_TOKEN is not set: put the token @BotFather gave you "
            f"({ENV_PREFIX}TELEGRAM_TOKEN=123456789:AAH...) in {Path.cwd() / ENV_FILE} or in the environment; "
            "to try smsbot without a token, run `smsbot demo`")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
        allow_inf_nan=False,  # "inf" seconds would mean no timeout, or crash the scheduler
    )

    telegram_api_url: str = "https://api.telegram.org/bot"  # before the token: it tells how to check it
    telegram_token: SecretStr | None = None
    # Bot API calls only, never the gateway; a secret for its user name and password
    telegram_proxy: SecretStr | None = None

    gateway_url: str = "http://www.112088.net:8088"
    gateway_username: str | None = None
    gateway_password: SecretStr | None = None
    gateway_encoding: str = "gbk"
    gateway_timeout: float = Field(default=15.0, gt=0)

    allowed_chat_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    admin_user_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    inbox_chat_id: int | None = None

    poll_interval: float = Field(default=10.0, gt=0)
    poll_timeout: float = Field(default=30.0, gt=0)  # read timeout of the destructive polls
    inbox_rate: str = "20/60"  # Telegram's group budget as MESSAGES/SECONDS; tests and benches shrink it
    database_path: Path = Path("data/smsbot.sqlite3")
    confirm_threshold: int = Field(default=10, ge=0)
    low_balance: int = Field(default=100, ge=0)
    segment_size: int = Field(default=67, ge=1, le=70)

    http_listen: str = "127.0.0.1:8080"
    webhook_token: SecretStr | None = None
    alert_chat_id: int | None = None
    alert_dedup: float = Field(default=900.0, ge=0)
    alert_max_per_hour: int = Field(default=10, ge=1)
    alert_max_segments: int = Field(default=1, ge=1, le=5)
    alert_send_resolved: bool = True

    language: Literal["en", "zh"] | None = None
    log_level: str = "INFO"

    @field_validator("allowed_chat_ids", "admin_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        return _id_list(value)

    # The signs of ids. Telegram gives users positive ids and groups, supergroups and channels
    # negative ones; a private chat's id is its user's. So ALLOWED_CHAT_IDS may hold both (a
    # group, or an admin's private chat), ADMIN_USER_IDS only positive ones, and the inbox and
    # alert chats only negative ones: the inbox needs a group (topics, several people answering),
    # the alert chat is a team's view, and both are allowed chats (bot/services/access.py), so a user id
    # pasted there from /id ("your id") would quietly let that user send SMS from a private chat.
    @field_validator("allowed_chat_ids")
    @classmethod
    def _no_zero(cls, value: list[int]) -> list[int]:
        if 0 in value:
            raise ValueError("0 is no chat's id")
        return value

    @field_validator("admin_user_ids")
    @classmethod
    def _users(cls, value: list[int]) -> list[int]:
        for v in value:
            if v <= 0:
                raise ValueError(f"{v} is a group's id, not a user's" if v else "0 is no user's id")
        return value

    @field_validator("inbox_chat_id", "alert_chat_id")
    @classmethod
    def _group(cls, value: int | None) -> int | None:
        if value is not None and value >= 0:
            raise ValueError("a positive id is a user's (or a private chat's), not a group's" if value
                             else "0 is no chat's id")
        return value

    @field_validator("telegram_token")
    @classmethod
    def _token(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None:
            return None
        token = value.get_secret_value().strip()
        api = info.data.get("telegram_api_url")
        problem = token_problem(token, official=isinstance(api, str) and urlsplit(api).hostname == TELEGRAM_HOST)
        if problem:
            raise ValueError(problem)
        return SecretStr(token)

    @field_validator("telegram_proxy")
    @classmethod
    def _proxy(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        url = value.get_secret_value().strip()
        problem = proxy_problem(url)
        if problem:
            raise ValueError(problem)
        return SecretStr(url)

    @field_validator("webhook_token")
    @classmethod
    def _long_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_TOKEN_LENGTH:
            raise ValueError(f"it has {len(value.get_secret_value())} characters, short enough to be guessed")
        return value

    @field_validator("language", "telegram_token", "telegram_proxy", "gateway_password", "webhook_token",
                     "gateway_username", "inbox_chat_id", "alert_chat_id", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip() == "" else value

    @field_validator("inbox_rate")
    @classmethod
    def _rate(cls, value: str) -> str:
        limit, sep, window = value.partition("/")
        try:
            ok = int(limit) >= 1 and (not sep or float(window) > 0)
        except ValueError:
            ok = False
        if not ok:
            raise ValueError("")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError("")
        return level

    @field_validator("gateway_encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError("unknown encoding") from None
        try:  # a text encoding that writes the query's ASCII as ASCII (not base64, rot13, utf-16)
            usable = "us_name=a&b".encode(value) == b"us_name=a&b"
        except LookupError:  # "not a text encoding"
            usable = False
        if not usable:
            raise ValueError("it cannot carry the gateway's queries")
        return value

    @field_validator("http_listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise ValueError("")
        return value

    @field_validator("gateway_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value == SANDBOX:
            return value
        if not value.startswith(("http://", "https://")):
            raise ValueError("")
        return value.rstrip("/")

    @field_validator("telegram_api_url")
    @classmethod
    def _bot_api_url(cls, value: str) -> str:
        # the token is appended to it: without /bot it would land in the host or port
        value = value.rstrip("/")
        if not value.startswith(("http://", "https://")) or not value.endswith("/bot"):
            raise ValueError("")
        return value

    @property
    def explicit_log_level(self) -> str | None:
        """SMSBOT_LOG_LEVEL if it was set (environment or .env), else None."""
        return self.log_level if "log_level" in self.model_fields_set else None

    def secret_values(self) -> list[str]:
        """The secrets' values, for the log filter that masks them."""
        values = [v.get_secret_value() for v in (self.gateway_password, self.telegram_token,
                                                 self.webhook_token) if v is not None]
        if self.telegram_proxy is not None:
            values += proxy_credentials(self.telegram_proxy.get_secret_value())
        return values

    @property
    def telegram_proxy_url(self) -> str | None:
        """SMSBOT_TELEGRAM_PROXY with its credentials: for the HTTP client only, never a message."""
        return None if self.telegram_proxy is None else self.telegram_proxy.get_secret_value()

    @property
    def telegram_proxy_shown(self) -> str | None:
        """SMSBOT_TELEGRAM_PROXY with its credentials masked, for messages."""
        url = self.telegram_proxy_url
        return None if url is None else masked_url(url)

    @property
    def uses_sandbox(self) -> bool:
        return self.gateway_url == SANDBOX

    @property
    def listen_host_port(self) -> tuple[str, int]:
        host, _, port = self.http_listen.rpartition(":")
        return host.strip("[]"), int(port)

    def require_gateway_account(self) -> None:
        """Fail with a clear message when the real gateway is configured without an account."""
        if self.uses_sandbox:
            return
        missing = [
            f"{ENV_PREFIX}{name.upper()}"
            for name, value in (("gateway_username", self.gateway_username),
                                ("gateway_password", self.gateway_password))
            if not value
        ]
        if missing:
            raise SettingsError(
                f"{' and '.join(missing)} must be set for the gateway at {self.gateway_url} "
                f"(or set {ENV_PREFIX}GATEWAY_URL=sandbox to try smsbot without an account)"
            )

    def require_telegram(self) -> None:
        if self.telegram_token is None:
            raise SettingsError(missing_token_message())


SECRET_FIELDS = frozenset(name for name, f in Settings.model_fields.items() if "SecretStr" in str(f.annotation))


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning pydantic's report into one readable SettingsError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except UnicodeDecodeError:
        raise SettingsError(f"{Path.cwd() / ENV_FILE} is not UTF-8 text: save it as UTF-8") from None
    except ValidationError as exc:
        problems = [_problem(err) for err in exc.errors()]
        raise SettingsError("invalid settings (in .env or the environment):\n  " + "\n  ".join(problems),
                            problems) from None


def _problem(err: ErrorDetails) -> str:
    field = str(err["loc"][0]) if err["loc"] else "?"
    # our validators' words say what is wrong; pydantic's ("Input should be ...") give way to the
    # expected form, and are kept only for a field without one
    reason = err["msg"].removeprefix("Value error,").strip() if err["type"] == "value_error" else ""
    return describe(field, err.get("input"), reason, secret=field in SECRET_FIELDS,
                    fallback="" if field in EXPECTED else err["msg"])


def unknown_settings(environ: Mapping[str, str] | None = None,
                     env_file: Path | None = ENV_FILE) -> list[UnknownVariable]:
    """SMSBOT_* variables in the environment or .env that are no setting, each with the nearest name."""
    return unknown_variables(Settings.model_fields, environ, env_file)
