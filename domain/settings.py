"""Configuration from environment variables (one place, read by API, worker and CLI)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every knob of a Chengxin process; defaults are the embedded single-machine setup."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    database_url: str = f"sqlite:///{ROOT / 'var' / 'chengxin.db'}"
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "chengxin"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "政务诚信平台 <noreply@chengxin.localhost>"
    credit_office_email: str = "xinyongban@chengxin.localhost"
    admin_email: str = "admin@chengxin.localhost"
    # Attempts before a notice that cannot be sent is marked failed and the admins are told (at most 30).
    send_max_attempts: int = 30
    secret_key: str = "dev-secret-change-me-in-production-0123456789"
    token_minutes: int = 480
    # Reverse proxies (comma list of IPs or CIDRs) whose X-Forwarded-For names the client; empty: none.
    trusted_proxies: str = ""
    public_base_url: str = "http://127.0.0.1:8000"
    # 归集共享: this instance's name in receipts it signs, and the longest wait between two attempts to push.
    instance_name: str = "本级政务诚信平台"
    push_max_interval_seconds: int = 600
    default_profile: str = "henan"
    # Directory where the embedded SMTP sink stores messages; enables /dev/mail when set.
    dev_mail_dir: str | None = None
    # Evidence files: bytes in the database (every replica and worker sees them) unless a shared directory is
    # named here; limits per file and per step.
    attachment_dir: str | None = None
    attachment_max_mb: int = 20
    attachment_max_files: int = 10
    # How the worker runs workflow code (activities/worker.py; README "The worker's cost"): unsandboxed by default,
    # with the golden-history replay tests, which replay under every runner, guarding determinism; `passthrough`
    # keeps the sandbox but imports our pure modules once; `sandboxed` re-imports them for every run.
    workflow_runner: Literal["sandboxed", "passthrough", "unsandboxed"] = "unsandboxed"
    # Workflows kept in the worker's memory between tasks; an evicted one is replayed from history on its next task.
    max_cached_workflows: int = 500
    # Workflow-task polls the worker keeps open, and the share of them on the task queue every worker shares
    # (the rest wait on this worker's own queue for the workflows it has cached). A case woken while not cached
    # (a calendar wake-up of many cases) arrives on the shared queue: too few polls there and the wake-up runs one
    # task at a time (bench/open_cases.py).
    workflow_task_pollers: int = 10
    nonsticky_to_sticky_poll_ratio: float = 0.5
    # The public pages /, /commitments and /ranking are served from their last rendering while the audit log is
    # unchanged, for at most this long (api/pages/page_cache.py); 0 renders every view.
    page_cache_seconds: float = 2.0


@lru_cache
def get_settings() -> Settings:
    return Settings()
