"""Small response builders shared by the endpoint handlers."""

from collections.abc import Mapping

from aiohttp import web

from ._faults import Fault, render_fault

__all__ = ["HTML_TYPE", "drop_connection", "fault_reply", "json_error"]

HTML_TYPE = "text/html"
"""Content type the web form serves its JSON with (it may also be ``text/plain``)."""


def json_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    """Build the service's error answer: ``{"error": message}``.

    Args:
        status: The HTTP status.
        message: What went wrong.
        headers: Extra headers (rate limit headers, for instance).

    Returns:
        The JSON response.
    """
    return web.json_response({"error": message}, status=status, headers=headers)


def drop_connection(request: web.Request) -> web.Response:
    """Close the client's TCP connection without answering.

    The client reads end-of-file before any status line: a server
    disconnect. The returned response is never sent; aiohttp notices the
    closed transport and drops it quietly.

    Args:
        request: The request whose connection to close.

    Returns:
        A placeholder response for the handler to return.
    """
    transport = request.transport
    if transport is not None:
        transport.close()
    return web.Response(status=204)


def fault_reply(
    request: web.Request,
    fault: Fault,
    *,
    json_type: str = "application/json",
    can_stream: bool = False,
) -> web.Response | None:
    """Build what a fault answers instead of the normal answer, if anything.

    Args:
        request: The faulted request.
        fault: The fault drawn for it.
        json_type: Content type of 200 JSON bodies on this endpoint.
        can_stream: Whether the endpoint may stream; if not, a `cut_stream`
            fault drops the connection like `Fault.drop`.

    Returns:
        The replacing response, or ``None`` when the normal answer goes on
        (hang, stream_shape, and cut_stream on an endpoint that may stream).
    """
    replacement = render_fault(fault, json_type=json_type)
    if replacement is not None:
        return replacement
    if fault.kind == "drop" or (fault.kind == "cut_stream" and not can_stream):
        return drop_connection(request)
    return None
