"""aiohttp and timeout exceptions onto the error tree, translated in one place.

Every request runs inside :class:`translate_transport_errors`, so no aiohttp exception
reaches a caller; the original is kept as ``__cause__``.
"""

from types import TracebackType

from .._errors import (
    KEYWORD_NAMES,
    APIConnectionError,
    APITimeoutError,
    DynasparkError,
    timeout_message,
)

__all__ = ["translate_transport_errors", "transport_error"]


def transport_error(exc: BaseException, url: str, timeout: float | None) -> DynasparkError | None:
    """The library error for an aiohttp or timeout exception, or ``None`` for any other.

    Args:
        exc: The exception raised while sending or reading.
        url: The endpoint, for the message.
        timeout: The attempt's total timeout in seconds, for the message.
    """
    # Imported here so that `import aiodynaspark` does not pay for aiohttp (about 150 ms).
    import aiohttp

    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        if not timeout:
            return APITimeoutError(f"No complete answer from {url} within its timeout.", url=url)
        return APITimeoutError(
            timeout_message("timeout", timeout, None, None, url, KEYWORD_NAMES),
            limit="timeout",
            seconds=timeout,
            url=url,
        )
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return APIConnectionError(
            f"Could not connect through the proxy to {url}: {type(exc).__name__}. "
            "Check the proxy URL."
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        return APIConnectionError(
            f"Could not connect to {url}: {exc.os_error.strerror or exc.os_error}. "
            "Check the network and base_url."
        )
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return APIConnectionError(f"{url} closed the connection before answering completely.")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return APIConnectionError(f"The answer from {url} was cut off: {exc}")
    if isinstance(exc, aiohttp.ClientError | OSError):
        return APIConnectionError(f"Request to {url} failed: {type(exc).__name__}: {exc}")
    return None


class translate_transport_errors:
    """Turn aiohttp and timeout exceptions raised inside the block into library errors.

    A class rather than a generator-based context manager: it wraps every request, and
    costs a third as much.

    Args:
        url: The endpoint, for the message.
        timeout: The attempt's total timeout in seconds, for the message.

    Raises:
        APITimeoutError: The attempt timed out.
        APIConnectionError: Any other aiohttp client failure.
    """

    __slots__ = ("timeout", "url")

    def __init__(self, url: str, timeout: float | None) -> None:
        self.url = url
        self.timeout = timeout

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            return
        error = transport_error(exc, self.url, self.timeout)
        if error is not None:
            raise error from exc
