"""Long prompts and the REST API's URL: measure it, and the words for one that does not fit.

Every REST API call is a GET with the whole prompt in its query string. Proxies in front of
hosts like the service refuse request lines past about 8 KB (414, or 400), so a long chat
would stop working. The URL is measured here without being built; the client's routing
(``client/_routing.py``) decides what a chat over ``Limits.max_url_bytes`` does: it goes by
the web form's POST, which takes the whole conversation (the system prompt folded into the
text, a stream answered in one piece), and the options only the REST API carries are dropped
and named, unless the caller chose ``long_prompts="refuse"``. Images and speech have no web
form: a prompt too long for them is refused before any I/O, with what to shorten.
"""

from collections.abc import Mapping

from .._errors import InvalidRequestError
from .._wire._http import Transport

__all__ = [
    "URI_TOO_LONG",
    "chat_too_long",
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


def _measured(size: int | None, limit: int) -> str:
    if size is None:
        return "the service refused its URL as too long (414)"
    return f"its URL would be {size:,} bytes, over the {limit:,}-byte budget (Limits.max_url_bytes)"


def chat_too_long(
    size: int | None, limit: int, kept: list[str], routed: bool
) -> InvalidRequestError:
    """The error for a conversation too long for the REST API's URL that is not sent.

    Args:
        size: The URL's length in bytes, or ``None`` when the host refused it (414).
        limit: ``Limits.max_url_bytes``.
        kept: The options only the REST API takes, which ``long_prompts="refuse"`` keeps.
        routed: Whether the client's routing refused it (``long_prompts="refuse"``), rather
            than the REST API provider called directly.
    """
    if routed:
        advice = (
            f"With long_prompts='refuse' the client keeps {', '.join(kept)}, which only the "
            "REST API takes. Drop them, or use long_prompts='web_form' to send the whole "
            "conversation by the web form without them, or shorten the conversation."
        )
    else:
        advice = (
            "Send it through AsyncClient or Client, which send a long conversation by the web "
            "form, or with Dynaspark (the web form) directly, or shorten the conversation."
        )
    return InvalidRequestError(
        f"The conversation is too long for the REST API: {_measured(size, limit)}. {advice}"
    )


def url_too_long(size: int | None, limit: int, needs: list[str], what: str) -> InvalidRequestError:
    """The error for a request that needs the REST API but is too long for its URL.

    Args:
        size: The URL's length in bytes, or ``None`` when the host refused it (414).
        limit: ``Limits.max_url_bytes``.
        needs: The options that keep it on the REST API.
        what: What is long (``"the conversation"``, ``"the image prompt"``).
    """
    measured = _measured(size, limit)
    if needs:
        advice = (
            f"Drop {', '.join(needs)} to send it by the web form, which takes long prompts, "
            f"or shorten {what}."
        )
    else:
        advice = f"Shorten {what}: only the REST API does this, and it takes the text in the URL."
    return InvalidRequestError(f"The request is too long for the REST API: {measured}. {advice}")
