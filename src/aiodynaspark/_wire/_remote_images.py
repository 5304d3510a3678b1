"""Fetching an image a caller named by URL, without letting the URL reach private hosts.

A server that fetched any URL it was given would let callers reach addresses only the
server can reach (cloud metadata at 169.254.169.254, admin ports on localhost). So the host
is resolved first, every address it resolves to must be public, the connection goes to the
checked address (so a second DNS answer cannot swap in a private one), redirects are not
followed and the download stops at the image size limit.
"""

import asyncio
import ipaddress
import socket

import aiohttp
from yarl import URL

from .._config import MAX_IMAGE_BYTES
from .._errors import MediaError
from .._limits import echoed

__all__ = ["fetch_public_image", "is_public_address"]

_READ_CHUNK = 64 * 1024


def is_public_address(address: str) -> bool:
    """Whether an IP address is one an image may be fetched from.

    Private, loopback, link-local, shared (CGNAT), reserved, multicast and unspecified
    addresses are refused. IPv6 forms that carry an IPv4 address are judged by that address:
    IPv4-mapped (``::ffff:a.b.c.d``), IPv4-compatible (``::a.b.c.d``), NAT64
    (``64:ff9b::/96`` and the local-use ``64:ff9b:1::/48``), 6to4 (``2002::/16``) and Teredo
    (``2001::/32``, its client address); a server on a network with such translation
    would otherwise reach a private IPv4 host through a "public" IPv6 address.

    Args:
        address: An IPv4 or IPv6 address, possibly with a ``%scope``.

    Returns:
        ``True`` only for a globally routable unicast address.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            ip = embedded
    return ip.is_global and not ip.is_multicast


_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in network for network in _NAT64) or (
        ip in _IPV4_COMPATIBLE and int(ip) > 1  # :: and ::1 are themselves
    ):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


async def _public_addresses(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise MediaError(f"Could not resolve the image host {echoed(host)}.") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise MediaError(f"Could not resolve the image host {echoed(host)}.")
    refused = [a for a in addresses if not is_public_address(a)]
    if refused:
        raise MediaError(
            f"The image host {echoed(host)} resolves to a private, loopback or link-local "
            "address; only images on public addresses are fetched."
        )
    return addresses


async def fetch_public_image(
    session: aiohttp.ClientSession, url: str, *, time_limit: float
) -> bytes:
    """Download one image from a public address.

    Args:
        session: The pool to connect with.
        url: An ``http://`` or ``https://`` URL.
        time_limit: Seconds for the whole download.

    Returns:
        The bytes (the caller checks that they are an image).

    Raises:
        MediaError: A non-public address, a failed or redirected download, or an image
            larger than the library's limit.
    """
    try:
        target = URL(url)
    except ValueError:
        raise MediaError("The image URL is malformed.") from None
    host = target.host
    if target.scheme not in ("http", "https") or not host:
        raise MediaError("The image URL must be an http(s) URL with a host.")
    port = target.port or (443 if target.scheme == "https" else 80)
    addresses = await _public_addresses(host, port)
    # Connect to the address just checked, naming the host for HTTP and TLS.
    pinned = target.with_user(None).with_host(addresses[0].split("%", 1)[0])
    try:
        async with session.get(
            pinned,
            headers={"Host": _host_header(target)},
            server_hostname=host if target.scheme == "https" else None,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=time_limit),
        ) as response:
            if response.status != 200:
                raise MediaError(
                    f"Fetching the image failed: HTTP {response.status} (redirects are not "
                    "followed)."
                )
            if (response.content_length or 0) > MAX_IMAGE_BYTES:
                raise _too_large()
            data = bytearray()
            async for chunk in response.content.iter_chunked(_READ_CHUNK):
                data += chunk
                if len(data) > MAX_IMAGE_BYTES:
                    raise _too_large()
            return bytes(data)
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise MediaError(f"Fetching the image failed: {type(exc).__name__}.") from None


def _host_header(url: URL) -> str:
    host = url.raw_host or ""
    if ":" in host:
        host = f"[{host}]"
    return host if url.explicit_port is None else f"{host}:{url.explicit_port}"


def _too_large() -> MediaError:
    return MediaError(f"The remote image is larger than {MAX_IMAGE_BYTES:,} bytes.")
