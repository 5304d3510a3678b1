"""The gateway's settings are declared once: keywords, variables and flags come from one model."""

import asyncio
import inspect
import re
import types
import typing
from pathlib import Path

import pytest
from click.testing import CliRunner

from aiodynaspark.cli import cli
from aiodynaspark.server import GatewaySettings, ServeSettings, create_app, serve
from aiodynaspark.server._settings import (
    GatewayOptions,
    ServeOptions,
    environment_variable,
    flag_for,
    library_variable,
    load_settings,
)
from aiodynaspark.testing import Emulator
from support.gateway import GatewayFactory, fetch


def _own_settings() -> list[str]:
    return [
        name
        for name, field in ServeSettings.model_fields.items()
        if library_variable(field) is None
    ]


def _other_value(name: str) -> tuple[str, object]:
    """A value unlike the default, as a variable's text and as the model holds it."""
    field = ServeSettings.model_fields[name]
    kind = field.annotation
    members = set(typing.get_args(kind)) if isinstance(kind, types.UnionType) else {kind}
    if bool in members:
        return ("0", False) if field.default else ("1", True)
    if int in members:
        return "7", 7
    if float in members:
        return "2.5", 2.5
    if name == "model_aliases":
        return "gpt-4o=gemini-2.0-flash", ("gpt-4o=gemini-2.0-flash",)
    if name == "trusted_proxies":
        return "10.0.0.1", ("10.0.0.1",)
    if any(typing.get_origin(member) is tuple for member in members):
        return "http://a.example", ("http://a.example",)
    for member in members:
        if typing.get_origin(member) is typing.Literal:
            other = next(choice for choice in typing.get_args(member) if choice != field.default)
            return other, other
    if name.endswith("rate_limit"):
        return "7/minute", "7/minute"
    return "some-value", "some-value"


def test_create_app_has_a_keyword_for_every_setting() -> None:
    hints = typing.get_type_hints(GatewayOptions)
    assert set(hints) == set(GatewaySettings.model_fields)


def test_serve_has_a_keyword_for_every_setting() -> None:
    keywords = set(typing.get_type_hints(ServeOptions)) | {"host", "port"}
    assert keywords == set(ServeSettings.model_fields)
    assert list(inspect.signature(serve).parameters)[:2] == ["host", "port"]


@pytest.mark.parametrize("name", _own_settings())
def test_every_own_setting_is_read_from_its_variable(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, value = _other_value(name)
    monkeypatch.setenv(f"AIODYNASPARK_{name.upper()}", text)
    assert getattr(load_settings(ServeSettings, {}), name) == value


@pytest.mark.parametrize("name", list(ServeSettings.model_fields))
def test_every_setting_is_an_option_of_serve_unless_kept_off_the_command_line(
    name: str,
) -> None:
    page = CliRunner().invoke(cli, ["serve", "--help"], terminal_width=200).output
    flag = flag_for(ServeSettings.model_fields[name])
    if flag is not None and flag.name == "":
        assert name.replace("_", "-") not in page
        return
    assert environment_variable(name, ServeSettings.model_fields[name]) in page


def test_every_setting_has_a_row_in_the_gateway_pages_table() -> None:
    page = (Path(__file__).parents[2] / "docs" / "gateway.md").read_text(encoding="utf-8")
    first_cells = " ".join(
        line.split(" | ")[0] for line in page.splitlines() if line.startswith("| `")
    )
    named = set(re.findall(r"`(\w+)`", first_cells))
    assert sorted(set(ServeSettings.model_fields) - named) == []


def test_a_keyword_beats_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIODYNASPARK_MAX_BODY_BYTES", "100")
    assert load_settings(GatewaySettings, {"max_body_bytes": 200}).max_body_bytes == 200


def test_a_variable_is_read_whatever_the_case_of_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("aiodynaspark_max_messages", "7")
    assert load_settings(GatewaySettings, {}).max_messages == 7


def test_upstream_settings_are_left_to_the_library_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One variable means one thing: DYNASPARK_TIMEOUT is read by the client, and the
    # gateway's prefix does not make a second name for it.
    monkeypatch.setenv("AIODYNASPARK_TIMEOUT", "5")
    monkeypatch.setenv("DYNASPARK_TIMEOUT", "6")
    assert load_settings(GatewaySettings, {}).timeout is None


def test_cors_origins_variable_is_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIODYNASPARK_CORS_ORIGINS", "http://a.example, http://b.example")
    assert load_settings(GatewaySettings, {}).cors_origins == (
        "http://a.example",
        "http://b.example",
    )


def test_an_unknown_keyword_is_a_type_error_naming_the_nearest_setting() -> None:
    with pytest.raises(TypeError, match="'max_body_byte' .* did you mean 'max_body_bytes'"):
        create_app(max_body_byte=10)  # type: ignore[call-arg]


def test_a_malformed_variable_is_named_in_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIODYNASPARK_MAX_BODY_BYTES", "lots")
    with pytest.raises(ValueError, match=r"max_body_bytes \(or \$AIODYNASPARK_MAX_BODY_BYTES\)"):
        create_app()


def test_keys_stay_out_of_errors_and_repr() -> None:
    settings = GatewaySettings(api_key="hunter2", upstream_api_key="sesame")
    assert "hunter2" not in repr(settings) and "sesame" not in repr(settings)
    with pytest.raises(ValueError) as refused:
        load_settings(GatewaySettings, {"api_key": ["hunter2"]})
    assert "hunter2" not in str(refused.value)


async def test_the_upstream_deadline_setting_reaches_the_gateways_client(
    start_gateway: GatewayFactory,
) -> None:
    async with (
        Emulator(latency=60.0) as silent,
        start_gateway(base_url=silent.url, timeout=5.0, max_retries=3, deadline=0.8) as root,
        asyncio.timeout(20),
    ):
        answer = await fetch(
            "POST",
            f"{root}/v1/chat/completions",
            json={"messages": [{"role": "user", "content": "Hi"}]},
        )
    assert answer.status == 504
    # Without the deadline, three retries of 5 s attempts would follow the first and outlast
    # the 20 s above; with it, the first attempt is the only one.
    assert len(silent.requests) == 1
