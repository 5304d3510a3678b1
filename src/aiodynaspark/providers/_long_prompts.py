"""Long prompts and the REST API's URL: measure it, and choose the web form when it is too long.

Every REST API call is a GET with the whole prompt in its query string. Proxies in front of
hosts like the service refuse request lines past about 8 KB (414, or 400), so a long chat
would stop working. A request whose URL is over ``Limits.max_url_bytes`` goes by the web
form's POST instead when nothing it asks for needs the REST API (the system prompt is folded
into the text; a stream then yields the whole answer as one piece); when it does need the REST
API (sampling options, JSON mode, a seed, speech, an image prompt) it is refused before any
I/O, with what to drop. A 414 from the host is handled the same way.
"""

from collections.abc import Mapping

from .._errors import InvalidRequestError
from .._wire._http import Transport

__all__ = [
    "URI_TOO_LONG",
    "encoded_length",
    "folded_prompt",
    "rest_only_options",
    "url_bytes",
    "url_too_long",
]

URI_TOO_LONG = 414
"""The status a host or proxy answers a request line too long to read."""

# Query parameters that the web form can carry too: the prompt, the model, the system prompt
# (folded into the text) and the stream switch (the form answers whole, one piece).
_FORM_CAN_CARRY = frozenset({"user_input", "model", "system", "stream", "api_key"})


def url_bytes(transport: Transport, path: str, params: Mapping[str, str]) -> int:
    """The length of the GET URL ``params`` would make, the key included, in bytes."""
    size = len(transport.settings.base_url) + len(path) + 1
    fields = len(params)
    for name, value in params.items():
        size += encoded_length(name) + encoded_length(value)
    if key := transport.settings.api_key:
        size += len("api_key") + encoded_length(key)
        fields += 1
    # One "=" per field and one "&" between fields.
    return size + 2 * fields - 1 if fields else size


# The bytes urllib.parse.quote_plus leaves as they are; every other byte becomes "%XX",
# except the space, which becomes "+".
_UNQUOTED = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"


def encoded_length(text: str) -> int:
    """The length of ``text`` in a query string (``urllib.parse.quote_plus``), in bytes.

    Counted without building the encoded text: this runs on every REST API call, and
    ``urlencode`` cost a few percent of the gateway's CPU per streamed chat.
    """
    raw = text.encode("utf-8", "surrogatepass")
    quoted = raw.translate(None, _UNQUOTED)
    return len(raw) + 2 * (len(quoted) - quoted.count(b" "))


def rest_only_options(params: Mapping[str, str]) -> list[str]:
    """The query parameters only the REST API takes (the web form would drop them)."""
    return sorted(name for name in params if name not in _FORM_CAN_CARRY)


def folded_prompt(params: Mapping[str, str]) -> str:
    """The prompt for the web form: the system prompt first, then the conversation."""
    system = params.get("system")
    prompt = params.get("user_input", "")
    return f"System: {system}\n\n{prompt}" if system else prompt


def url_too_long(size: int | None, limit: int, needs: list[str], what: str) -> InvalidRequestError:
    """The error for a request that needs the REST API but is too long for its URL.

    Args:
        size: The URL's length in bytes, or ``None`` when the host refused it (414).
        limit: ``Limits.max_url_bytes``.
        needs: The options that keep it on the REST API.
        what: What is long (``"the conversation"``, ``"the image prompt"``).
    """
    measured = (
        f"its URL would be {size:,} bytes, over the {limit:,}-byte budget (Limits.max_url_bytes)"
        if size is not None
        else "the service refused its URL as too long (414)"
    )
    if needs:
        advice = (
            f"Drop {', '.join(needs)} to send it by the web form, which takes long prompts, "
            f"or shorten {what}."
        )
    else:
        advice = f"Shorten {what}: only the REST API does this, and it takes the text in the URL."
    return InvalidRequestError(f"The request is too long for the REST API: {measured}. {advice}")
