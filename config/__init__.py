"""Settings for smsbot: environment variables with the prefix SMSBOT_, also read from `.env`."""

from config.settings import SANDBOX, Settings, SettingsError, load_settings

__all__ = ["SANDBOX", "Settings", "SettingsError", "load_settings"]
