"""Cancel a request's work when its caller hangs up.

ASGI servers do not stop an application when the client leaves: a route awaiting the
upstream would run to its end, holding a pooled upstream connection for nobody, and a queue
of callers who gave up could keep the whole pool busy. The gate watches for the
``http.disconnect`` message once the body has been read and cancels the request's task; the
upstream request is then aborted and its connection closed by aiohttp.
"""

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CLIENT_GONE", "cancel_on_disconnect"]

CLIENT_GONE = "aiodynaspark.client_gone"
"""Scope key set to ``True`` when the caller left before the answer was complete."""


async def cancel_on_disconnect(
    app: ASGIApp, scope: Scope, body: bytes, receive: Receive, send: Send
) -> None:
    """Run a request whose body was read under a watcher that cancels it if the caller leaves.

    Requests without a body (``GET``, ``HEAD``) are not run here: they are answered without
    waiting on the upstream.

    Args:
        app: The application.
        scope: The request's scope.
        body: Its whole body, handed to the app as one message.
        receive: The server's ``receive``, which the watcher reads for the disconnect.
        send: The server's ``send``.
    """
    task = asyncio.current_task()
    assert task is not None  # an ASGI app always runs in a task
    gone = asyncio.Event()
    complete = False
    delivered = False

    async def receive_once() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await gone.wait()  # later calls wait for the disconnect, as streams expect
        return {"type": "http.disconnect"}

    async def send_noting_end(message: Message) -> None:
        nonlocal complete
        if message["type"] == "http.response.body" and not message.get("more_body"):
            complete = True
        await send(message)

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        if complete:  # the server reports the end of a finished answer the same way
            return
        scope[CLIENT_GONE] = True
        gone.set()
        task.cancel()

    watcher = asyncio.create_task(watch())
    try:
        await app(scope, receive_once, send_noting_end)
    except asyncio.CancelledError:
        if not gone.is_set() or task.uncancel() > 0:
            raise  # cancelled from outside (shutdown), not by the watcher
    finally:
        complete = True
        # Not awaited: the watcher only reads ``receive`` and cancels this task, which is
        # done by then (cancelling it does nothing); waiting for it would cost the request
        # one more wake-up through every layer, for nothing.
        watcher.cancel()
