"""Codes a member shows to redeem something: coupons, partner vouchers.

A code is a secret: whoever guesses one spends someone else's reward. So every
character comes from `secrets` (never `random`, never a counter or the event),
16 characters of a 32-letter alphabet give 80 bits, and an issuer remembers
what it gave out so no two members of one run ever share a code.
"""

from __future__ import annotations

import math
import secrets

# Capital letters and digits without the look-alikes 0/O and 1/I, so a code read
# aloud or typed from an SMS survives.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16
GROUP = 4  # shown as ABCD-EFGH-JKLM-NPQR
CODE_BITS = CODE_LENGTH * math.log2(len(CODE_ALPHABET))


def new_code(prefix: str = "") -> str:
    """A fresh random code, optionally after a partner's prefix (`FIT-…`)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return prefix + "-".join(raw[i:i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


class CodeIssuer:
    """Hands out codes never handed out before by this issuer (one per registry, so per run)."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self._issued: set[str] = set()

    def __call__(self) -> str:
        code = new_code(self.prefix)
        while code in self._issued:  # 2^-80 per draw: here for the guarantee, not the odds
            code = new_code(self.prefix)
        self._issued.add(code)
        return code
