"""Tracking codes (查询码): the citizen's capability, stored only as a SHA-256 hash.

A code is 120 random bits written in Crockford Base32 (0-9 and A-Z without I, L, O, U), shown as six groups of
four (`K7QX-M3TD-…`). People may type it in any case, with or without hyphens or spaces, and with O for 0 and
I or L for 1 (Crockford's decoding rules); `normalise` turns what they typed into the stored form.

Codes issued before (22 characters of URL-safe Base64, case-sensitive) keep working: `lookup_hashes` gives the
hash of the normalised new form and the hash of the old exact form."""

from __future__ import annotations

import hashlib
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_BITS = 120  # at least 100 random bits; 120 = 24 symbols of 5 bits = six groups of four
SYMBOLS = CODE_BITS // 5
GROUP = 4
_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—－_]+")  # spaces, hyphens and the dashes phones and IMEs type
_NEW_FORM = re.compile(f"[{ALPHABET}]{{{SYMBOLS}}}")


def new_code() -> tuple[str, str]:
    """(code to show once, grouped for reading; hash to store)."""
    value = secrets.randbits(CODE_BITS)
    raw = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(SYMBOLS)))
    return group(raw), hash_code(raw)


def group(raw: str) -> str:
    return "-".join(raw[i:i + GROUP] for i in range(0, len(raw), GROUP))


def normalise(typed: str) -> str | None:
    """The stored form of a typed new-style code, or None if it cannot be one."""
    raw = _SEPARATORS.sub("", typed).upper().translate(_TYPOS)
    return raw if _NEW_FORM.fullmatch(raw) else None


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def lookup_hashes(typed: str) -> list[str]:
    """Hashes a typed code may be stored under: the new normalised form, and the old exact (stripped) form."""
    hashes = []
    if (raw := normalise(typed)) is not None:
        hashes.append(hash_code(raw))
    old = hash_code(typed)
    if old not in hashes:
        hashes.append(old)
    return hashes
