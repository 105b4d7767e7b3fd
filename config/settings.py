"""One Settings object for the whole process.

Lists come from the environment as comma-separated text ("-100123, 42"), which
pydantic-settings would otherwise try to parse as JSON; `NoDecode` hands us the
raw string. A wrong value fails at start with a message naming the variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SANDBOX = "sandbox"
ENV_PREFIX = "SMSBOT_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(Exception):
    """A setting is missing or wrong; the message names the variable and what is expected."""


def _id_list(value: object) -> object:
    if isinstance(value, str):
        parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
        out = []
        for p in parts:
            try:
                out.append(int(p))
            except ValueError:
                raise ValueError(f"{p!r} is not a Telegram id; expected whole numbers separated by commas, e.g. -1001234567890,42") from None
        return out
    if isinstance(value, int):
        return [value]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
        allow_inf_nan=False,  # "inf" seconds would mean no timeout, or crash the scheduler
    )

    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"

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

    @field_validator("language", "telegram_token", "gateway_password", "webhook_token",
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
            raise ValueError(f"{value!r} is not a rate; expected MESSAGES/SECONDS, e.g. 20/60")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"{value!r} is not a logging level; expected one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("gateway_encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}; expected e.g. gbk, gb18030 or utf-8") from None
        try:  # a text encoding that writes the query's ASCII as ASCII (not base64, rot13, utf-16)
            usable = "us_name=a&b".encode(value) == b"us_name=a&b"
        except LookupError:  # "not a text encoding"
            usable = False
        if not usable:
            raise ValueError(f"{value!r} cannot carry the gateway's queries; expected e.g. gbk, gb18030 or utf-8")
        return value

    @field_validator("http_listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise ValueError(f"{value!r} is not HOST:PORT; expected e.g. 127.0.0.1:8080")
        return value

    @field_validator("gateway_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value == SANDBOX:
            return value
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL (or the word 'sandbox')")
        return value.rstrip("/")

    @field_validator("telegram_api_url")
    @classmethod
    def _bot_api_url(cls, value: str) -> str:
        # the token is appended to it: without /bot it would land in the host or port
        value = value.rstrip("/")
        if not value.startswith(("http://", "https://")) or not value.endswith("/bot"):
            raise ValueError(f"{value!r} is not a Bot API URL; expected an http(s) URL ending in /bot, "
                             "e.g. https://api.telegram.org/bot or http://127.0.0.1:8081/bot "
                             "(a local Bot API server)")
        return value

    @property
    def explicit_log_level(self) -> str | None:
        """SMSBOT_LOG_LEVEL if it was set (environment or .env), else None."""
        return self.log_level if "log_level" in self.model_fields_set else None

    def secret_values(self) -> list[str]:
        """The secrets' values, for the log filter that masks them."""
        return [v.get_secret_value() for v in (self.gateway_password, self.telegram_token,
                                               self.webhook_token) if v is not None]

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
            raise SettingsError(
                f"{ENV_PREFIX}TELEGRAM_TOKEN must be set: the token @BotFather gave you, e.g. 123456:ABC-DEF..."
            )


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning pydantic's report into one readable SettingsError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except UnicodeDecodeError:
        raise SettingsError("the .env file is not UTF-8 text: save it as UTF-8") from None
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "?"
            msg = err["msg"].removeprefix("Value error, ")
            # pydantic echoes the input in some messages; never for secrets.
            lines.append(f"{ENV_PREFIX}{field.upper()}: {msg}")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None
