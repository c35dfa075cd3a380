"""Tracking codes (查询码): the citizen's capability. 128 bits of randomness, shown once, stored hashed."""

from __future__ import annotations

import hashlib
import secrets


def new_code() -> tuple[str, str]:
    """(code to show once, hash to store)."""
    code = secrets.token_urlsafe(16)  # 16 random bytes = 128 bits
    return code, hash_code(code)


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()
