"""The emulator's control route: scripted replies queued over HTTP, from the same machine.

``POST /_emulator/replies`` takes a JSON reply or a list of them (the shapes of
:mod:`._replies_file`) and queues them; ``DELETE /_emulator/replies`` forgets those waiting.
Only loopback callers are served: a test or a docs example on the machine drives the
emulator, nobody else can script its answers. The route is not recorded as a request.
"""

import ipaddress
import json

from aiohttp import web

from ._replies import json_error
from ._replies_file import scripted_replies
from ._state import ServerState

__all__ = ["CONTROL_REPLIES_PATH", "add_control_routes"]

CONTROL_REPLIES_PATH = "/_emulator/replies"


def _from_loopback(request: web.Request) -> bool:
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


def add_control_routes(app: web.Application, state: ServerState) -> None:
    """Add the control routes, bound to ``state``, to ``app``."""

    async def push(request: web.Request) -> web.Response:
        if not _from_loopback(request):
            return json_error(403, "The control route answers loopback callers only.")
        try:
            document = json.loads(await request.read())
            replies = scripted_replies(document)
            state.script.push(replies)
        except ValueError as exc:
            return json_error(400, f"Bad replies: {exc}.")
        return web.json_response({"queued": len(replies), "waiting": len(state.script.replies)})

    async def clear(request: web.Request) -> web.Response:
        if not _from_loopback(request):
            return json_error(403, "The control route answers loopback callers only.")
        state.script.replies.clear()
        return web.json_response({"queued": 0, "waiting": 0})

    app.router.add_post(CONTROL_REPLIES_PATH, push)
    app.router.add_delete(CONTROL_REPLIES_PATH, clear)
