"""The gateway's Redis connection: how it is opened, and how long it may take to answer.

Every process sharing one Redis shares its limits and stored responses. The gateway talks to
Redis on its hot path, so a Redis that stops answering must cost a request little: short
timeouts, one retry (a pooled connection is found dead after a Redis restart only when it is
used), and then the caller's documented fallback.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["open_redis", "redis_errors"]

# A Redis on the same host or network answers in well under a millisecond; these bound the
# time a request waits for one that does not (a stopped server refuses at once; a hung one,
# or a black-holed address, waits until these). A second, not less: on a busy machine a
# burst of requests opening their connections together was seen to pass half a second.
REDIS_CONNECT_TIMEOUT = 1.0
REDIS_COMMAND_TIMEOUT = 1.0
# Connections per process: one request uses one for a single command, so a few dozen carry
# thousands of requests a second. Past it, a request waits for a free one.
REDIS_MAX_CONNECTIONS = 64


def open_redis(url: str) -> "Redis":
    """A client for ``url`` (``redis://``, ``rediss://`` or ``unix://``); connects on first use.

    Args:
        url: The Redis URL, with password and database number if needed.

    Raises:
        ValueError: The URL is not a Redis URL.
    """
    from redis.asyncio import BlockingConnectionPool, Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    try:
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=REDIS_MAX_CONNECTIONS,
            timeout=REDIS_COMMAND_TIMEOUT,
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
            socket_timeout=REDIS_COMMAND_TIMEOUT,
            retry=Retry(NoBackoff(), 1),
        )
    except ValueError as exc:
        raise ValueError(
            f"The Redis URL must start with redis://, rediss:// or unix:// ({exc})."
        ) from None
    # The client closes the pool it was given when it is closed itself.
    return Redis.from_pool(pool)


def redis_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean Redis did not do what was asked: it did not answer, or
    refused (out of memory, read-only replica, loading); each limit's fallback applies."""
    from redis.exceptions import RedisError

    return (RedisError, OSError)
