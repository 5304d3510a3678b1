"""The caller key a ``/v1`` route requires, and the caller it names."""

from starlette.types import Scope

from .._errors import GatewayError
from ..ops._key_store import KeyStore
from ..ops._metrics import KEY_SCOPE
from ..ops._store import OPEN_OWNER, OWNER_SCOPE, owner_of_key

__all__ = ["ANONYMOUS", "CALLER_SCOPE", "CallerKeys"]

# Where the matched key (a CallerKey) is left for the limits.
CALLER_SCOPE = "aiodynaspark.caller"
# The key name of every request to a gateway that needs no key.
ANONYMOUS = "anonymous"

_UNAUTHORIZED = GatewayError(
    401,
    "Missing or incorrect API key: send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'.",
    code="invalid_api_key",
    headers=(("www-authenticate", "Bearer"),),
)


def _bearer(scope: Scope) -> bytes | None:
    # Anthropic's clients send the key as x-api-key; OpenAI's as a bearer token.
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            return token.strip() if scheme.lower() == b"bearer" else None
        if name == b"x-api-key":
            key: bytes = value.strip()
            return key
    return None


class CallerKeys:
    """Finds the caller's key (``Authorization: Bearer <key>`` or ``x-api-key``) on ``/v1``.

    A request without a known key gets 401 before any of its body is read. Other paths
    (``/``, ``/health``, ``/metrics``, ``/openapi.json``) stay open. The key's name is left
    in the scope for the metrics and the access limits, and the owner derived from its digest
    for the response store (so what a key stores only that key reaches); the key itself
    goes nowhere.

    Args:
        keys: The keys callers may present.
    """

    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys
        self.required = keys.required

    def refusal(self, scope: Scope) -> GatewayError | None:
        """Name the caller in ``scope``; the 401 for a ``/v1`` request without a known key."""
        if scope["path"].startswith("/v1"):
            if not self.required:
                scope[KEY_SCOPE] = ANONYMOUS
                scope[OWNER_SCOPE] = OPEN_OWNER
                return None
            token = _bearer(scope)
            caller = self.keys.find(token) if token else None
            if caller is None:
                return _UNAUTHORIZED
            scope[KEY_SCOPE] = caller.name
            scope[CALLER_SCOPE] = caller
            scope[OWNER_SCOPE] = owner_of_key(caller.digest)
        return None
