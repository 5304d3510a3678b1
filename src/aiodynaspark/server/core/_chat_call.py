"""The one chat completion call behind the Responses and Messages routes.

Both routes translate their request into chat messages and keywords, then call the library
exactly as the chat completions route does: remote images checked (and fetched when allowed)
first, the first chunk of a stream pulled before anything is answered, so an upstream that
fails at once gets a real error status.
"""

from typing import Any

from ..._chat_options import CLIENT_KEYWORDS
from ..._errors import InvalidRequestError, ResponseError
from ...client import AsyncStream, ChatCompletion, ChatCompletionChunk
from ._gateway import Gateway
from ._images import take_image_urls

__all__ = ["complete", "first_chunk", "open_stream"]


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
) -> tuple[ChatCompletionChunk, AsyncStream]:
    """A streamed chat completion, with its first chunk already received.

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
    return await first_chunk(stream), stream


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
