"""The Host check: a gateway on a loopback address answers only names meant for it.

A web page the user visits can make its own domain resolve to 127.0.0.1 (DNS rebinding)
and then call a gateway listening there as a "same-origin" page, spending its quota and
reading its answers. The browser still sends the page's domain in ``Host``; a gateway on a
loopback address therefore refuses Host headers other than loopback names, the address
it is bound to, and the names its operator lists.
"""

import functools
import ipaddress
from collections.abc import Iterable

from starlette.types import Scope

from ..._limits import echoed
from .._errors import GatewayError

__all__ = ["HostCheck", "host_name"]

_LOOPBACK_NAMES = frozenset({"localhost", "localhost."})


# Asked on every request, mostly about the same few addresses (the one the gateway is bound
# to, above all); parsing one takes longer than the rest of this layer. Bounded: a Host header
# is the caller's to choose.
@functools.lru_cache(maxsize=256)
def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def host_name(value: str) -> str:
    """The name in a ``Host`` header, without its port or IPv6 brackets, lower-cased."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value[1:]
    name, _, _ = value.partition(":")
    return name


class HostCheck:
    """Refuses foreign ``Host`` headers on connections to a loopback address.

    Connections to any other address are passed: there the operator decides who can reach
    the gateway (a firewall, a proxy). A request without ``Host`` (HTTP/1.0) passes.

    Args:
        allowed_hosts: More names to accept (say, the name a local reverse proxy forwards);
            ``"*"`` turns the check off.
    """

    def __init__(self, allowed_hosts: Iterable[str] = ()) -> None:
        self.allowed = frozenset(host_name(name) for name in allowed_hosts) | _LOOPBACK_NAMES
        self.off = "*" in self.allowed

    def _refused(self, scope: Scope) -> str | None:
        server = scope.get("server")
        if self.off or not server or not _is_loopback(str(server[0])):
            return None
        for name, value in scope["headers"]:
            if name == b"host":
                host = host_name(value.decode("latin-1"))
                if host in self.allowed or host == str(server[0]) or _is_loopback(host):
                    return None
                return host
        return None

    def refusal(self, scope: Scope) -> GatewayError | None:
        """The 400 for a request whose ``Host`` does not name this gateway, else ``None``."""
        host = self._refused(scope)
        if host is None:
            return None
        return GatewayError(
            400,
            f"The Host header {echoed(host)} does not name this gateway, which listens on a "
            "loopback address (a web page using DNS rebinding would send such a header). "
            "If the name is yours, add it to allowed_hosts (AIODYNASPARK_ALLOWED_HOSTS).",
            code="invalid_host",
        )
