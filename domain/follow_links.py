"""Signed links of following by e-mail: confirm (the double opt-in), unsubscribe, and the "sent" page of
the browser that asked. Signed with SECRET_KEY (HS256, as the staff tokens are) and naming a follower row
and one of its nonces, so a link works only while that nonce is the row's: a new follow request kills the
older confirm links, and a removed row's links die with it. The address is hashed with the same key for
lookups, so the hash alone does not tell whose address it is."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import jwt

from domain.settings import get_settings

CONFIRM = "follow-confirm"
UNSUBSCRIBE = "follow-unsubscribe"
SENT = "follow-sent"
LIFETIMES = {CONFIRM: timedelta(days=7), SENT: timedelta(minutes=30)}  # an unsubscribe link never expires
TARGET_ZH = {"commitment": "政务承诺", "record": "失信记录", "department": "单位"}


def email_hash(email: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"follower:{email.strip().lower()}".encode(), hashlib.sha256).hexdigest()


def sign(purpose: str, follower_id: int, nonce: str) -> str:
    claims: dict[str, object] = {"p": purpose, "f": follower_id, "n": nonce}
    if purpose in LIFETIMES:
        claims["exp"] = datetime.now(UTC) + LIFETIMES[purpose]
    return jwt.encode(claims, get_settings().secret_key, algorithm="HS256")


def verify(purpose: str, token: str) -> tuple[int, str] | None:
    """(follower id, nonce) of a valid link of this purpose; None for anything else."""
    try:
        claims = jwt.decode(token, get_settings().secret_key, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    follower, nonce = claims.get("f"), claims.get("n")
    if claims.get("p") != purpose or not isinstance(follower, int) or not isinstance(nonce, str):
        return None
    return follower, nonce


def link(path: str, token: str) -> str:
    return f"{get_settings().public_base_url}{path}?token={token}"


def unsubscribe_url(follower_id: int, nonce: str) -> str:
    return link("/follow/unsubscribe", sign(UNSUBSCRIBE, follower_id, nonce))


def confirm_url(follower_id: int, nonce: str) -> str:
    return link("/follow/confirm", sign(CONFIRM, follower_id, nonce))
