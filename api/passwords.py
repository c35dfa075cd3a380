"""Password rules for new and changed staff passwords: long enough, and not a well-known one (a list of
common passwords, keyboard and number runs, the user name) — the guesses an attacker tries first."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 12
RUNS = ("0123456789" * 3, "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm",
        "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "1q2w3e4r5t6y7u8i9o0p")


@lru_cache
def common_passwords() -> frozenset[str]:
    text = (Path(__file__).parent / "data" / "common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def problem(password: str, username: str | None = None) -> str | None:
    """Why the password is refused, in Chinese; None if it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 个字符"
    lowered = password.lower()
    stem = lowered.rstrip("0123456789!@#$%^&*()-_=+.,;:?~ ")
    if lowered in common_passwords() or stem in common_passwords():
        return "密码过于常见，容易被猜中，请换一个"
    if any(lowered in run or lowered in run[::-1] for run in RUNS) or len(set(lowered)) < 4:
        return "密码过于简单（连续或重复的字符），请换一个"
    if username and len(username) >= 3 and username.lower() in lowered:
        return "密码不能包含用户名"
    return None
