"""The client's address for limits and audit: the TCP peer, unless the peer is a configured trusted proxy
(TRUSTED_PROXIES), in which case the nearest untrusted hop of X-Forwarded-For. Anyone can send that
header, so it is believed only from a proxy we run."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from fastapi import Request

from domain.settings import get_settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(spec: str) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip())


def trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(get_settings().trusted_proxies))


def client_address(request: Request) -> str:
    peer = request.client.host if request.client else "unknown"
    if not trusted(peer):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):  # proxies append: the rightmost hop not ours is who connected to them
        if not trusted(hop):
            return hop[:64]
    return hops[0][:64] if hops else peer
