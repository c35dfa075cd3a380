"""Refuse to run with a guessable SECRET_KEY: it signs every staff token and session, so the published
development key (or a short one) would let anyone forge an admin. Only `make run` may use the dev key."""

from __future__ import annotations

import os

from domain.settings import Settings

DEV_SECRET_KEY = Settings.model_fields["secret_key"].default
MIN_LENGTH = 32
DEV_SERVER_FLAG = "CHENGXIN_DEV_SERVER"  # set by dev.server (make run) before it imports the app


class InsecureSecretKey(RuntimeError):
    pass


def require_secret_key(settings: Settings) -> None:
    key = settings.secret_key
    if key == DEV_SECRET_KEY:
        if os.environ.get(DEV_SERVER_FLAG) == "1":
            return
        raise InsecureSecretKey("SECRET_KEY is the published development key; set SECRET_KEY to a random value "
                                f"of at least {MIN_LENGTH} characters (e.g. `openssl rand -hex 32`)")
    if len(key) < MIN_LENGTH:
        raise InsecureSecretKey(f"SECRET_KEY is {len(key)} characters long; it must have at least {MIN_LENGTH} "
                                "(e.g. `openssl rand -hex 32`)")
