"""Chinese wording of the number-refusal reasons (sms_core.phones.WHY_*).

sms_core knows nothing of languages and words its reasons in English; the bot
translates them here so a Chinese user reads the whole refusal in Chinese.
"""

from __future__ import annotations

from sms_core import phones

REASONS_ZH: dict[str, str] = {
    phones.WHY_CHARACTERS: "号码只能包含数字、空格、短横线，以及开头的 +",
    phones.WHY_EMPTY: "号码为空",
    phones.WHY_FOREIGN: "本网关只能发送中国号码（+86）",
    phones.WHY_MOBILE_LENGTH: "手机号应为 11 位",
    phones.WHY_MOBILE_PREFIX: "手机号应以 13 至 19 开头",
    phones.WHY_AREA_CODE: "固定电话需要加区号，例如 0755-80808080",
    phones.WHY_LANDLINE: "不是带有效区号的固定电话号码，例如 0755-80808080",
    phones.WHY_LANDLINE_SHORT: "固定电话在区号后应有 7 或 8 位数字，例如 0755-80808080",
    phones.WHY_SHAPE: "手机号为 11 位且以 1 开头；固定电话以区号开头，例如 0755-80808080",
    phones.WHY_TOO_LONG: "位数太多，不是电话号码",
}


def translate_reason(reason: str, lang: str) -> str:
    """`reason` in `lang`; an unknown reason stays English rather than vanish."""
    if lang == "zh":
        return REASONS_ZH.get(reason, reason)
    return reason
