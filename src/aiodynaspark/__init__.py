"""aiodynaspark: an async client, OpenAI-style clients, a gateway and an emulator for Dynaspark.

The providers and clients are loaded on first use, so ``import aiodynaspark`` stays fast
(aiohttp and pydantic cost about 0.2 s to import).
"""

import importlib
import logging
from typing import TYPE_CHECKING, Any

from ._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    CloudflareError,
    DynasparkError,
    InvalidModelOutputError,
    InvalidRequestError,
    MediaError,
    ModelNotSupportedError,
    RateLimitError,
    ResponseError,
    ServiceUnavailableError,
)
from ._limits import Limits

if TYPE_CHECKING:
    from .client import AsyncClient, Client
    from .providers import Dynaspark, DynasparkAPI

__version__ = "0.1.0"

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncClient",
    "AuthenticationError",
    "Client",
    "CloudflareError",
    "Dynaspark",
    "DynasparkAPI",
    "DynasparkError",
    "InvalidModelOutputError",
    "InvalidRequestError",
    "Limits",
    "MediaError",
    "ModelNotSupportedError",
    "RateLimitError",
    "ResponseError",
    "ServiceUnavailableError",
    "__version__",
]

_LAZY = {
    "AsyncClient": ".client",
    "Client": ".client",
    "Dynaspark": ".providers",
    "DynasparkAPI": ".providers",
}

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'aiodynaspark' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
