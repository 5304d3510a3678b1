"""Errors on Anthropic's routes in Anthropic's shape, whichever layer answered them.

Every layer of the gateway (key check, body and input bounds, validation, the library's
error mapping, unknown URLs) answers errors in OpenAI's body. On ``/v1/messages`` this
middleware, outside them all, re-encodes such an answer as Anthropic's
``{"type": "error", "error": {"type", "message"}}``, with the type Anthropic gives the
status, so the one mapping of errors stays the only one.
"""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._errors import anthropic_error_type

__all__ = ["ANTHROPIC_PREFIX", "AnthropicErrorShape", "reshape_error"]

ANTHROPIC_PREFIX = "/v1/messages"


def reshape_error(status: int, body: bytes) -> bytes:
    """An OpenAI error body re-encoded in Anthropic's shape (other bodies unchanged)."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict) or "message" not in error:
        return body
    payload = {
        "type": "error",
        "error": {"type": anthropic_error_type(status), "message": error["message"]},
    }
    return json.dumps(payload).encode()


class AnthropicErrorShape:
    """Re-encodes JSON error answers under ``/v1/messages`` in Anthropic's shape.

    Args:
        app: The application to wrap.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(ANTHROPIC_PREFIX):
            await self.app(scope, receive, send)
            return
        held: Message | None = None
        chunks: list[bytes] = []

        async def reshaping_send(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start" and message["status"] >= 400:
                held = message
                return
            if held is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = reshape_error(held["status"], b"".join(chunks))
            headers = [
                (name, str(len(body)).encode() if name == b"content-length" else value)
                for name, value in held["headers"]
            ]
            await send({**held, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, reshaping_send)
