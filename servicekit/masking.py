"""Masking personal data before it can reach a log line."""

from __future__ import annotations

import re

# In our own text an ID number stands alone; letters around digits are a msg_id or a token.
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])([1-9][0-9]{5})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")
# Anywhere at all, for text a stranger wrote (an unverified header may hide one in a token).
_ID_CARD_ANYWHERE = re.compile(r"(?<![0-9])([1-9][0-9]{5})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9])")
# Common Chinese personal names: 2-4 Han characters after a name-like key.
_NAME_FIELD = re.compile(
    r"""(["']?(?:name|psn_name|patient_name)["']?\s*[:=]\s*["']?)"""
    r"""([^"',}\s]+)"""
)


def mask_phone(phone: str) -> str:
    """13800000001 -> 138****0001: enough to recognise one's own phone, not to reach anyone."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def mask_id_card(id_card_no: str) -> str:
    """110105198001010016 -> 110105********0016 (keeps region and last four)."""
    if len(id_card_no) < 10:
        return "*" * len(id_card_no)
    return id_card_no[:6] + "*" * (len(id_card_no) - 10) + id_card_no[-4:]


def mask_name(name: str) -> str:
    """张伟 -> 张*, 欧阳娜娜 -> 欧***: only the family name's first character stays."""
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)


def mask_text(text: str) -> str:
    """Mask every ID card number and every name-field value in free text."""
    text = _ID_CARD.sub(lambda m: m.group(1) + "********" + m.group(2)[-4:], text)
    return _NAME_FIELD.sub(lambda m: m.group(1) + mask_name(m.group(2)), text)


def mask_untrusted(text: str) -> str:
    """Mask ID-number-shaped digit runs even inside tokens: for text nobody vouched for."""
    return mask_text(
        _ID_CARD_ANYWHERE.sub(lambda m: m.group(1) + "********" + m.group(2)[-4:], text)
    )


# A traceback quotes whatever values an exception's message holds: pydantic's
# ``input_value=...``, SQLAlchemy's ``[parameters: (...)]``, a KeyError's key. A name is
# free Han text there, with no field name before it, so every run of Han characters is
# masked; the code lines and the exception types stay readable.
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]{2,}")
_QUOTED_INPUT = re.compile(r"(input_value=).*?(?=, input_type=|\]$)", re.MULTILINE)
_SQL_PARAMETERS = re.compile(r"(\[parameters: ).*?(?=\]$)", re.MULTILINE)


def mask_quoted_values(text: str) -> str:
    """Hide the values an exception quotes: pydantic's inputs and SQLAlchemy's parameters
    (a message such as "step will retry: <exc>" carries them too)."""
    text = _QUOTED_INPUT.sub(r"\1***", text)
    return _SQL_PARAMETERS.sub(r"\1***", text)


def mask_traceback(text: str) -> str:
    """Mask a formatted exception: ID numbers anywhere, quoted inputs, SQL parameters and
    every run of Han characters (a name may sit in any exception message)."""
    text = mask_untrusted(mask_quoted_values(text))
    return _HAN_RUN.sub(lambda m: mask_name(m.group(0)), text)
