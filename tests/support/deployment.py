"""A real deployment on 127.0.0.1: the emulator, Redis, two ``aiodynaspark serve`` processes
and nginx in front of them, each a process of its own in a temporary directory.

nginx's configuration is rendered from ``docs/deployment/nginx.conf.template``, the file the
deployment page shows, so the page's configuration is the one that is tested.
"""

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from support.ports import free_port
from support.redis_server import RedisServer, require_binary

REPOSITORY = Path(__file__).resolve().parents[2]
NGINX_TEMPLATE = REPOSITORY / "docs" / "deployment" / "nginx.conf.template"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


def render_nginx_config(prefix: Path, listen: str, servers: list[str]) -> str:
    """The deployment page's nginx configuration with this deployment's values."""
    lines = "\n".join(f"        server {server};" for server in servers)
    text = NGINX_TEMPLATE.read_text()
    return (
        text.replace("@PREFIX@", str(prefix))
        .replace("@LISTEN@", listen)
        .replace("@SERVERS@", lines)
    )


def console_script() -> str:
    beside = Path(sys.executable).parent / "aiodynaspark"
    return str(beside) if beside.exists() else "aiodynaspark"


def wait_until_answers(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until ``url`` answers at all (any status), or fail with the process's log."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer in time:\n{log.read_text()[-3000:]}")


@dataclass
class Deployment:
    """Everything running, with the addresses the tests use."""

    directory: Path
    redis: RedisServer
    keys_file: Path
    emulator_url: str = ""
    gateways: list[str] = field(default_factory=list)
    balancer: str = ""
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_process(self, name: str, argv: list[str], env: dict[str, str]) -> Path:
        log = self.directory / f"{name}.log"
        with open(log, "wb") as out:
            self.processes.append(
                subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
            )
        return log

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(STOP_TIMEOUT)
            if process.poll() is None:
                process.kill()
                process.wait(STOP_TIMEOUT)
        self.redis.stop()


def _environment() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIODYNASPARK_", "DYNASPARK_", "PROMETHEUS_"))
        and key.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env["NO_PROXY"] = "127.0.0.1,localhost"
    return env


def _start_emulator(deployment: Deployment, env: dict[str, str]) -> None:
    port = free_port()
    log = deployment.start_process(
        "emulator", [console_script(), "emulator", "--port", str(port)], env
    )
    deployment.emulator_url = f"http://127.0.0.1:{port}"
    wait_until_answers(f"{deployment.emulator_url}/status", deployment.processes[-1], log)


def _start_gateway(deployment: Deployment, name: str, env: dict[str, str]) -> None:
    port = free_port()
    argv = [
        console_script(),
        "serve",
        "--port", str(port),
        "--base-url", deployment.emulator_url,
        "--redis-url", deployment.redis.url,
        "--upstream-rate-limit", "10/minute",
        "--keys-file", str(deployment.keys_file),
        "--probe-interval", "1",
        # nginx, on this machine, is the one proxy whose X-Forwarded-For is believed.
        "--trusted-proxy", "127.0.0.1",
        "--max-retries", "0",
        "--no-ui",
    ]  # fmt: skip
    log = deployment.start_process(name, argv, env)
    url = f"http://127.0.0.1:{port}"
    wait_until_answers(f"{url}/health", deployment.processes[-1], log)
    deployment.gateways.append(url)


def _start_nginx(deployment: Deployment, env: dict[str, str]) -> None:
    nginx = require_binary("nginx")
    prefix = deployment.directory / "nginx"
    prefix.mkdir()
    port = free_port()
    servers = [url.removeprefix("http://") for url in deployment.gateways]
    config = prefix / "nginx.conf"
    config.write_text(render_nginx_config(prefix, f"127.0.0.1:{port}", servers))
    argv = [nginx, "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log"),
            "-g", "daemon off;"]  # fmt: skip
    log = deployment.start_process("nginx", argv, env)
    deployment.balancer = f"http://127.0.0.1:{port}"
    wait_until_answers(f"{deployment.balancer}/health", deployment.processes[-1], log)


@contextlib.contextmanager
def deployment_in(directory: Path, keys_file: Path) -> Iterator[Deployment]:
    """Start the whole deployment; stop every process it started, whatever happens."""
    require_binary("nginx")
    redis = RedisServer(directory)
    deployment = Deployment(directory, redis, keys_file)
    env = _environment()
    try:
        redis.start()
        _start_emulator(deployment, env)
        for name in ("gateway-a", "gateway-b"):
            _start_gateway(deployment, name, env)
        _start_nginx(deployment, env)
        yield deployment
    finally:
        deployment.stop()
