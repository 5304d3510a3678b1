"""What the gateway says about a conversation too long for the REST API's URL.

The client sends such a conversation by the web form (``long_prompts="web_form"``): whole,
without the options only the REST API carries. The gateway tells its caller so in headers, on
every API: ``x-aiodynaspark-dropped-params`` names the options left out, and on a stream
``x-aiodynaspark-stream: whole`` says the answer will arrive in one piece, while the API's
opening events, sent at once, then its keep-alives (comment lines; Anthropic's ``ping``) keep
the connection alive until it does. A caller that would rather keep streaming asks the
gateway to drop the oldest turns until the rest fits: ``x-aiodynaspark-truncation: auto`` on
``/v1/chat/completions`` (the Responses API's own ``truncation: "auto"`` does the same).
"""

from collections.abc import Sequence

__all__ = [
    "DROPPED_PARAMS_HEADER",
    "KEEP_ALIVE",
    "STREAM_HEADER",
    "TRUNCATION_HEADER",
    "long_chat_headers",
]

STREAM_HEADER = "x-aiodynaspark-stream"
"""``whole`` on a stream whose answer arrives in one piece (the web form does not stream)."""

DROPPED_PARAMS_HEADER = "x-aiodynaspark-dropped-params"
"""The request options left out, comma-separated (``temperature,seed``)."""

TRUNCATION_HEADER = "x-aiodynaspark-truncation"
"""A request header: ``auto`` drops the oldest turns until the REST API's URL fits."""

KEEP_ALIVE = b": keep-alive\n\n"
"""A server-sent-events comment: clients ignore it, proxies see the connection in use."""


def long_chat_headers(whole: bool, dropped: Sequence[str] | None) -> dict[str, str]:
    """The response headers for an answer routed by its length (none for any other).

    Args:
        whole: A stream whose answer arrives in one piece.
        dropped: The options the client left out, or ``None``.
    """
    headers = {STREAM_HEADER: "whole"} if whole else {}
    if dropped:
        headers[DROPPED_PARAMS_HEADER] = ",".join(dropped)
    return headers
