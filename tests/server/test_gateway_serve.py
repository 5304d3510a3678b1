"""Starting the gateway: serve() with several workers, the environment factory, bad settings."""

import asyncio
import signal
import socket
import sys

import pytest

from aiodynaspark import AsyncClient, InvalidRequestError
from aiodynaspark.server import GatewaySettings, create_app, serve
from aiodynaspark.server._serve import app_from_environment
from aiodynaspark.server._settings import ENV_SETTINGS
from aiodynaspark.testing import Emulator
from support.gateway import fetch, run_gateway
from support.ports import free_port


async def test_workers_build_their_app_from_the_environment(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = GatewaySettings(base_url=emu.url, api_key="k", max_retries=0, ui=False)
    monkeypatch.setenv(ENV_SETTINGS, settings.model_dump_json())
    async with run_gateway(app_from_environment()) as root:
        assert (await fetch("GET", f"{root}/v1/models")).status == 401
        answer = await fetch("GET", f"{root}/v1/models", headers={"Authorization": "Bearer k"})
        assert answer.status == 200
        assert (await fetch("GET", f"{root}/")).status == 404  # ui=False came through


async def test_serve_with_two_workers_answers_and_logs_access(emu: Emulator) -> None:
    port = free_port()
    code = (
        "from aiodynaspark.server import serve; "
        f"serve(port={port}, workers=2, base_url={emu.url!r}, api_key='k', max_retries=0)"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    root = f"http://127.0.0.1:{port}"
    try:
        async with asyncio.timeout(30):
            while True:
                try:
                    answer = await fetch(
                        "GET", f"{root}/v1/models", headers={"Authorization": "Bearer k"}
                    )
                    break
                except OSError:
                    await asyncio.sleep(0.1)
            assert answer.status == 200
            refused = await fetch("GET", f"{root}/v1/models")
            assert refused.status == 401
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(20):
            stdout, _ = await process.communicate()
    assert b'"GET /v1/models" 200' in stdout
    assert b'"GET /v1/models" 401' in stdout


def test_a_client_cannot_go_to_several_workers() -> None:
    client = AsyncClient(base_url="http://127.0.0.1:9")
    with pytest.raises(ValueError, match="workers"):
        serve(workers=2, client=client)


def test_upstream_settings_and_a_client_together_are_refused() -> None:
    client = AsyncClient(base_url="http://127.0.0.1:9")
    with pytest.raises(ValueError, match="base_url"):
        create_app(client=client, base_url="http://127.0.0.1:10")


@pytest.mark.parametrize(
    "options",
    [{"base_url": "ftp://nowhere"}, {"timeout": -1}, {"max_body_bytes": 0}, {"max_retries": -1}],
)
def test_bad_settings_fail_when_the_app_is_built(options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        create_app(**options)  # type: ignore[arg-type]


def test_upstream_setting_errors_are_library_errors() -> None:
    with pytest.raises(InvalidRequestError):
        create_app(base_url="not a url")


async def test_connections_accepted_on_the_serve_socket_have_nagle_off() -> None:
    # With Nagle on, an answer written in two pieces waits ~40 ms for a delayed ACK.
    import asyncio

    from aiodynaspark.server._serve import listen_socket

    nodelay: list[int] = []
    seen = asyncio.Event()

    async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        nodelay.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        seen.set()
        writer.close()

    server = await asyncio.start_server(accepted, sock=listen_socket("127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    async with server, asyncio.timeout(10):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        await seen.wait()
        writer.close()
    assert nodelay == [1]


async def test_the_gateway_protocol_turns_nagle_off_on_a_socket_opened_as_protocol_0() -> None:
    # uvicorn's worker processes share a listening socket it opens with protocol 0, on which
    # asyncio leaves Nagle's algorithm on; the protocol must turn it off itself.
    import asyncio

    import uvicorn
    from uvicorn.server import ServerState

    from aiodynaspark.server._protocol import HeaderTimeoutProtocol

    config = uvicorn.Config(create_app(), lifespan="off", log_level="warning")
    config.load()
    connected: asyncio.Queue[asyncio.Transport] = asyncio.Queue()

    class Probe(HeaderTimeoutProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            connected.put_nowait(transport)

    def protocol() -> Probe:
        return Probe(config=config, server_state=ServerState(), app_state={})

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # protocol 0, as uvicorn's
    listener.bind(("127.0.0.1", 0))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(protocol, sock=listener)
    port = listener.getsockname()[1]
    async with server, asyncio.timeout(10):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        transport = await connected.get()
        nodelay = transport.get_extra_info("socket").getsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY
        )
        writer.close()
        transport.close()
    assert nodelay == 1
