"""What the header-timeout protocol relies on in uvicorn's private ``HttpToolsProtocol``.

``server/_protocol.py`` subclasses a class uvicorn does not document, so pyproject.toml bounds
uvicorn below its next minor. These tests fail on a uvicorn that renames, drops or re-shapes
what the subclass overrides or reads; raise the bound only once they pass on the new one.
"""

import asyncio
import inspect

import pytest
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState

from aiodynaspark.server._protocol import HeaderTimeoutProtocol

# Each method the subclass overrides, with the parameters it calls super() with.
OVERRIDDEN = {
    "connection_made": ["self", "transport"],
    "on_response_complete": ["self"],
    "connection_lost": ["self", "exc"],
}


async def _app(scope: object, receive: object, send: object) -> None:
    return None


@pytest.mark.parametrize("name", OVERRIDDEN)
def test_each_overridden_method_keeps_its_parameters(name: str) -> None:
    method = getattr(HttpToolsProtocol, name)
    assert list(inspect.signature(method).parameters) == OVERRIDDEN[name]
    assert getattr(HeaderTimeoutProtocol, name) is not method


async def test_a_protocol_has_the_loop_and_cycle_the_timer_reads() -> None:
    config = Config(app=_app, http=HeaderTimeoutProtocol)
    config.load()
    loop = asyncio.get_running_loop()
    protocol = HeaderTimeoutProtocol(config, ServerState(), {}, loop)
    assert protocol.loop is loop
    assert protocol.cycle is None  # no request yet: the timer then closes an idle connection


def test_a_cycle_says_whether_its_response_is_complete() -> None:
    parameters = inspect.signature(RequestResponseCycle.__init__).parameters
    assert "on_response" in parameters
    assert "response_complete" in inspect.getsource(RequestResponseCycle.__init__)


def test_the_protocol_is_built_with_config_state_and_loop() -> None:
    parameters = list(inspect.signature(HttpToolsProtocol.__init__).parameters)
    assert parameters[:4] == ["self", "config", "server_state", "app_state"]
    assert "_loop" in parameters
