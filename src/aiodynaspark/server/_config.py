"""The gateway's settings, their defaults and environment variables."""

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "ENV_API_KEY",
    "ENV_CONFIG",
    "REMOTE_IMAGE_TIMEOUT",
    "GatewayConfig",
]

# A 20 MiB image (the library's MAX_IMAGE_BYTES) is about 27 MiB as base64 in a JSON body;
# 30 MiB leaves room for the rest of the request.
DEFAULT_MAX_BODY_BYTES = 30 * 1024 * 1024

# The gateway's own API key, checked on /v1 routes. Not DYNASPARK_API_KEY: that one
# is the upstream credential the gateway sends to Dynaspark.
ENV_API_KEY = "AIODYNASPARK_API_KEY"

# serve(workers=N) hands the settings to uvicorn's worker processes through this variable
# (uvicorn starts workers from an import string, so objects cannot be passed).
ENV_CONFIG = "AIODYNASPARK_GATEWAY_CONFIG"

# Fetching one remote image (only with allow_remote_images): a slow host must not hold a
# request for the whole upstream timeout.
REMOTE_IMAGE_TIMEOUT = 20.0


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """Everything :func:`create_app` needs besides a prebuilt client.

    Attributes:
        base_url: The Dynaspark root; ``None`` for the library's default (or
            ``DYNASPARK_BASE_URL``).
        api_key: The key callers must send as ``Authorization: Bearer``; ``None`` for an open
            gateway.
        upstream_api_key: The REST API key sent to Dynaspark; ``None`` for the library default.
        ui: Serve the chat page at ``/``.
        cors_origins: Origins allowed by CORS; empty turns CORS off.
        max_body_bytes: The largest request body accepted; larger ones get 413.
        allow_remote_images: Fetch ``http(s)`` image URLs (public addresses only).
        timeout: Upstream seconds per attempt; ``None`` for the library default.
        max_retries: Upstream retries; ``None`` for the library default.
    """

    base_url: str | None = None
    api_key: str | None = None
    upstream_api_key: str | None = None
    ui: bool = True
    cors_origins: tuple[str, ...] = field(default=())
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    allow_remote_images: bool = False
    timeout: float | None = None
    max_retries: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.max_body_bytes, bool) or not isinstance(self.max_body_bytes, int):
            raise ValueError(f"max_body_bytes must be a whole number, got {self.max_body_bytes!r}")
        if self.max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be at least 1, got {self.max_body_bytes}")
        if self.timeout is not None and not (
            isinstance(self.timeout, int | float) and math.isfinite(self.timeout)
        ):
            raise ValueError(f"timeout must be a number of seconds, got {self.timeout!r}")

    @classmethod
    def build(
        cls,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        upstream_api_key: str | None = None,
        ui: bool = True,
        cors_origins: Sequence[str] = (),
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        allow_remote_images: bool = False,
        timeout: float | None = None,
        max_retries: int | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> "GatewayConfig":
        """Merge keywords with the environment: ``api_key`` beats ``AIODYNASPARK_API_KEY``.

        An empty key (keyword or environment) means no key: the gateway is open.

        Raises:
            ValueError: A malformed setting.
        """
        env = os.environ if environ is None else environ
        if api_key is None:
            api_key = env.get(ENV_API_KEY)
        if isinstance(cors_origins, str):
            # A lone string would otherwise become a tuple of one-letter origins.
            cors_origins = (cors_origins,)
        return cls(
            base_url=base_url,
            api_key=api_key or None,
            upstream_api_key=upstream_api_key,
            ui=bool(ui),
            cors_origins=tuple(cors_origins),
            max_body_bytes=max_body_bytes,
            allow_remote_images=bool(allow_remote_images),
            timeout=timeout,
            max_retries=max_retries,
        )

    def to_environment(self) -> str:
        """Encode the settings for :data:`ENV_CONFIG` (read back by :meth:`from_environment`)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> "GatewayConfig":
        """Read the settings :meth:`to_environment` wrote; defaults when the variable is unset.

        Raises:
            ValueError: The variable is set but malformed.
        """
        env = os.environ if environ is None else environ
        raw = env.get(ENV_CONFIG)
        if not raw:
            return cls.build(environ=env)
        values = json.loads(raw)
        if not isinstance(values, dict):
            raise ValueError(f"{ENV_CONFIG} must hold a JSON object")
        values["cors_origins"] = tuple(values.get("cors_origins") or ())
        try:
            return cls(**values)
        except TypeError as exc:
            raise ValueError(f"{ENV_CONFIG} holds an unknown setting: {exc}") from None
