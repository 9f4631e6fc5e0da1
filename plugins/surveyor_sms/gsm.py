"""How long an SMS is: GSM 03.38 (7-bit) characters, or UCS-2 when any character is not
in the GSM alphabet (pure functions, table-tested)."""

from __future__ import annotations

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ ÆæßÉ!\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Characters of the extension table take two septets (an escape, then the character).
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
SINGLE_GSM = 160
SINGLE_UCS2 = 70


def sms_length(text: str) -> tuple[str, int]:
    """``("gsm7", septets)`` when the text fits the GSM alphabet, else ``("ucs2", code units)``."""
    septets = 0
    for char in text:
        if char in GSM_BASIC:
            septets += 1
        elif char in GSM_EXTENDED:
            septets += 2
        else:
            return "ucs2", len(text.encode("utf-16-le")) // 2
    return "gsm7", septets


def fits_one_sms(text: str) -> tuple[bool, str]:
    """Whether ``text`` is one single SMS, and if not, why (for the delivery log)."""
    encoding, length = sms_length(text)
    limit = SINGLE_GSM if encoding == "gsm7" else SINGLE_UCS2
    if length <= limit:
        return True, ""
    if encoding == "gsm7":
        return False, f"{length} GSM-7 characters, over the {limit} of one SMS"
    return False, (
        f"{length} characters with some outside the GSM-7 alphabet (so UCS-2), over the "
        f"{limit} of one SMS"
    )
