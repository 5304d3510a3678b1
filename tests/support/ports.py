"""Ports for servers that cannot take port 0 themselves (another process, a config file)."""

import socket


def free_port() -> int:
    """A port the OS just handed out on 127.0.0.1, to hand over to such a server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
