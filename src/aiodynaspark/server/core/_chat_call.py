"""The one chat completion call behind the Responses and Messages routes.

Both routes translate their request into chat messages and keywords, then call the library
exactly as the chat completions route does: remote images checked (and fetched when allowed)
first, the first chunk of a stream pulled before anything is answered, so an upstream that
fails at once gets a real error status. A stream answered whole (by the web form, which does
not stream) is the exception on every route: its first chunk is the whole answer, so the
opening events go out at once, and keep-alives while it comes (:func:`opening_chunk`).
"""

from collections.abc import Awaitable
from typing import Any, NamedTuple, Protocol

from ..._chat_options import CLIENT_KEYWORDS
from ..._errors import InvalidRequestError, ResponseError
from ...client import AsyncStream, ChatCompletion, ChatCompletionChunk
from ._gateway import Gateway
from ._images import take_image_urls
from ._long_chats import long_chat_headers
from ._streaming import EventStream

__all__ = [
    "OpenedStream",
    "StreamEvents",
    "complete",
    "event_stream",
    "first_chunk",
    "open_stream",
    "opening_chunk",
]


class OpenedStream(NamedTuple):
    """A streamed chat completion as a route starts answering it."""

    first: ChatCompletionChunk | None
    """Its first chunk, already received; ``None`` for a stream answered whole."""
    stream: AsyncStream
    """The rest of the chunks."""
    model: str
    """The model that answers: the first chunk's, else the one the request resolved to."""


class StreamEvents(Protocol):
    """An API's encoder of one chat stream into its events (one instance per request)."""

    keep_alive: bytes
    """What the API sends while it waits for an answer that arrives whole."""

    def start(self) -> bytes:
        """The opening events, sent before any chunk."""

    def feed(self, chunk: ChatCompletionChunk) -> bytes:
        """The events of one chunk."""

    def finish(self) -> Awaitable[bytes]:
        """The closing events of a stream that ended well."""

    def fail(self, exc: Exception) -> bytes:
        """The closing event of a stream that broke."""


async def _prepared(
    gateway: Gateway, messages: list[dict[str, Any]], options: dict[str, Any]
) -> dict[str, Any]:
    unknown = options.keys() - CLIENT_KEYWORDS
    if unknown:
        # A field the translation carries that this library's chat call does not take.
        raise InvalidRequestError(
            f"This gateway cannot honour {', '.join(sorted(unknown))}: its chat call does "
            "not take it."
        )
    await gateway.load_schema_engine(options)
    fetched = await take_image_urls(messages, gateway.fetch_image)
    return {**options, "media": fetched} if fetched else options


async def complete(
    gateway: Gateway, model: str | None, messages: list[dict[str, Any]], options: dict[str, Any]
) -> ChatCompletion:
    """One whole chat completion.

    Raises:
        DynasparkError: As ``chat.completions.create`` raises it (the handlers map it).
    """
    options = await _prepared(gateway, messages, options)
    chosen = await gateway.admit("chat", model)
    completions = gateway.client.chat.completions
    completion: ChatCompletion = await completions.create(
        model=chosen, messages=messages, **options
    )
    return completion


async def open_stream(
    gateway: Gateway, model: str | None, messages: list[dict[str, Any]], options: dict[str, Any]
) -> OpenedStream:
    """A streamed chat completion, with its first chunk already received unless it is whole.

    No usage chunk is asked for: it would take the library's answer-shaping path for every
    stream, and the routes estimate the usage of a stream themselves, by the same rule.

    Raises:
        DynasparkError: The upstream failed before its first chunk.
    """
    options = await _prepared(gateway, messages, options)
    chosen = await gateway.admit("chat", model)
    stream = await gateway.client.chat.completions.create(
        model=chosen,
        messages=messages,
        stream=True,
        **options,
    )
    first = await opening_chunk(stream)
    return OpenedStream(first, stream, chosen if first is None else first.model)


def event_stream(gateway: Gateway, opened: OpenedStream, events: StreamEvents) -> EventStream:
    """The answer of a stream in an API's events: the opening events first, at once.

    The same events whether the answer arrives whole or piece by piece; a whole one is
    awaited with the API's keep-alive every ``stream_keep_alive`` seconds, and its failure
    ends the stream with the API's closing error event.
    """
    first = events.start()
    if opened.first is not None:
        first += events.feed(opened.first)
    stream = opened.stream
    return EventStream(
        first,
        stream,
        events.feed,
        events.finish,
        events.fail,
        headers=long_chat_headers(stream.whole, stream.dropped_params),
        keep_alive=gateway.stream_keep_alive if opened.first is None else None,
        idle=events.keep_alive,
    )


async def opening_chunk(stream: AsyncStream) -> ChatCompletionChunk | None:
    """The first chunk of a stream that streams; ``None`` at once for one answered whole.

    A whole answer is the web form's, a slow one: the caller starts its answer now and keeps
    the connection alive, rather than send nothing until the whole answer is in.

    Raises:
        ResponseError: The stream ended before its first chunk.
        DynasparkError: The upstream failed before its first chunk.
    """
    return None if stream.whole else await first_chunk(stream)


async def first_chunk(stream: AsyncStream) -> ChatCompletionChunk:
    """Pull a stream's first chunk; on any failure close the stream, then raise.

    Every route that streams a chat pulls its first chunk here, so an upstream that fails at
    once gets a real error status and its connection is released at once.

    Raises:
        ResponseError: The stream ended before its first chunk.
        DynasparkError: The upstream failed before its first chunk.
    """
    try:
        return await anext(stream)
    except StopAsyncIteration:
        await stream.aclose()
        raise ResponseError("The upstream stream ended before its first chunk.") from None
    except BaseException:
        await stream.aclose()
        raise
