"""The real client address: the socket peer, or — only when the peer is a trusted proxy
(CAREROUTE_TRUSTED_PROXIES) — the right-most X-Forwarded-For entry that is not itself a trusted
proxy.

Each proxy appends the address it saw to X-Forwarded-For, so reading from the right, the entries
our own proxies wrote come first and the first other address is the client as our outermost proxy
saw it. Anything further left was written by the client and may be made up. A header from a peer
we do not trust is ignored whole: that is the spoofing rate limits must not believe.
"""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from starlette.requests import HTTPConnection

from shared.settings import get_settings

Address = IPv4Address | IPv6Address
Networks = tuple[IPv4Network | IPv6Network, ...]


def _parse(value: str) -> Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "192.0.2.1:443"
        value = value.split(":", 1)[0]
    try:
        parsed = ip_address(value)
    except ValueError:
        return None
    if isinstance(parsed, IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def _trusted(address: Address | None, networks: Networks) -> bool:
    return address is not None and any(address in network for network in networks)


@lru_cache(maxsize=4)
def parse_networks(spec: str) -> Networks:
    return tuple(ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip())


def resolve(peer: str | None, forwarded_for: list[str], networks: Networks) -> str | None:
    """The client address given the socket peer and the X-Forwarded-For header values, in order."""
    peer_address = _parse(peer) if peer else None
    if not _trusted(peer_address, networks):
        return str(peer_address) if peer_address else peer
    entries = [entry for value in forwarded_for for entry in value.split(",") if entry.strip()]
    client = peer_address
    for entry in reversed(entries):
        address = _parse(entry)
        if address is None:
            break  # malformed: nothing left of it can be believed; the last good hop stands
        client = address
        if not _trusted(address, networks):
            break
    return str(client)


def client_address(connection: HTTPConnection) -> str | None:
    peer = connection.client.host if connection.client else None
    networks = parse_networks(get_settings().trusted_proxies)
    return resolve(peer, connection.headers.getlist("x-forwarded-for"), networks)
