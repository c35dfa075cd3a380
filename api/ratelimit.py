"""Per-client limits on public submissions and tracking-code guesses (429 with Retry-After).

In-memory per API process: with several replicas each keeps its own window, so the effective limit is
multiplied by the replica count (a shared store would be the production upgrade; see README)."""

from __future__ import annotations

import time
from collections import defaultdict, deque

from fastapi import Request

from api.problems import Problem

LIMITS = {
    "submission": (10, 3600.0),  # filings per client per hour
    "tracking_miss": (20, 600.0),  # wrong tracking codes per client per 10 minutes
}
_events: dict[tuple[str, str], deque[float]] = defaultdict(deque)


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _window(bucket: str, client: str) -> deque[float]:
    limit, seconds = LIMITS[bucket]
    q = _events[(bucket, client)]
    now = time.monotonic()
    while q and q[0] <= now - seconds:
        q.popleft()
    return q


def check(request: Request, bucket: str) -> None:
    """Refuse with 429 while the client is over the bucket's limit."""
    limit, seconds = LIMITS[bucket]
    q = _window(bucket, client_key(request))
    if len(q) >= limit:
        retry = max(1, int(q[0] + seconds - time.monotonic()))
        raise Problem(429, f"请求过于频繁，请在 {retry} 秒后再试", retry_after=retry)


def take(request: Request, bucket: str) -> None:
    """Check and count in one step (no await in between), so concurrent requests cannot all slip through."""
    check(request, bucket)
    hit(request, bucket)


def hit(request: Request, bucket: str) -> None:
    _window(bucket, client_key(request)).append(time.monotonic())


def reset() -> None:
    """For tests: forget every window."""
    _events.clear()
