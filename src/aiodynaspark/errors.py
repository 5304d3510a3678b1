"""The exceptions aiodynaspark raises; see :mod:`aiodynaspark` for the tree."""

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

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "CloudflareError",
    "DynasparkError",
    "InvalidModelOutputError",
    "InvalidRequestError",
    "MediaError",
    "ModelNotSupportedError",
    "RateLimitError",
    "ResponseError",
    "ServiceUnavailableError",
]
