"""Property-based test of the whole API from its OpenAPI document (schemathesis).

Schemathesis reads the gateway's OpenAPI document and generates requests, valid and invalid,
for every operation; they go over a real socket to a gateway in front of a healthy emulator.
The gateway must never answer 5xx (but for a model answer that breaks the tools contract),
and every 4xx must carry the OpenAI error body
(Anthropic's on Anthropic's routes).

The pytest plugin of schemathesis does not run under this pytest (it touches a pytest
internal that is gone), so each operation and generation mode is one plain test driving
schemathesis' Hypothesis strategy.
"""

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error

from aiodynaspark.server import create_app
from aiodynaspark.testing import Emulator
from support.gateway import run_gateway_in_thread

# Examples per run: 6 operations generate valid requests, the 3 with a body invalid ones too.
# Each run draws new ones (no example database), so CI runs add up to a wider search; 40 keep
# the module's share of the suite near a minute of CPU.
EXAMPLES = 40

# Generating a Messages or chat body is slow (about 12 s for 60 on a quiet machine, five times
# that at load 10 with coverage on), so the hang guard is wider here than the suite's 60 s.
pytestmark = pytest.mark.timeout(300)

SCHEMA = schemathesis.openapi.from_dict(create_app(ui=False).openapi())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
LABELS = [operation.label for operation in OPERATIONS]
POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
# Invalid requests exist only for operations with a body (any string is a valid path part).
RUNS = [(operation.label, POSITIVE) for operation in OPERATIONS] + [
    (operation.label, NEGATIVE) for operation in OPERATIONS if len(operation.body)
]


@pytest.fixture(scope="module")
def live_gateway() -> Iterator[str]:
    with (
        Emulator.run_in_thread() as emu,
        run_gateway_in_thread(create_app(base_url=emu.url, max_retries=0, timeout=10.0)) as root,
    ):
        yield root


def openai_error_shape(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """Every 4xx answer carries ``{"error": {"message", "type", "param", "code"}}``.

    Anthropic's routes carry Anthropic's ``{"type": "error", "error": {"type", "message"}}``.
    """
    if not 400 <= response.status_code < 500:
        return None
    body = response.json()
    if case.path.startswith("/v1/messages"):
        assert isinstance(body, dict) and body.get("type") == "error", body
        assert set(body["error"]) == {"type", "message"}, body
        assert isinstance(body["error"]["message"], str) and body["error"]["message"], body
        return None
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["type"], str) and error["type"], error
    assert "Traceback" not in error["message"]
    return None


def no_server_error(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """No 5xx, except the 502 for a tools or schema answer the model got wrong.

    The emulator answers in prose here, as it does without a script: a request with random
    tools (say ``tool_choice: required``) then rightly ends in ``invalid_model_output``.
    """
    if response.status_code == 502:
        error = response.json()["error"]
        if error.get("code") == "invalid_model_output" or (
            case.path.startswith("/v1/messages")
            and error["message"].startswith("The model's answer did not follow")
        ):
            return None
    return not_a_server_error(ctx, response, case)


def test_every_operation_is_covered() -> None:
    assert set(LABELS) >= {
        "GET /health",
        "GET /v1/models",
        "GET /v1/models/{model}",
        "POST /v1/chat/completions",
        "POST /v1/images/generations",
        "POST /v1/audio/speech",
    }


@pytest.mark.parametrize(
    ("label", "mode"), RUNS, ids=[f"{label} {mode.value}" for label, mode in RUNS]
)
def test_no_server_error_and_openai_shaped_client_errors(
    live_gateway: str, label: str, mode: schemathesis.GenerationMode
) -> None:
    operation = SCHEMA.find_operation_by_label(label)
    assert operation is not None

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(
            base_url=live_gateway,
            checks=[no_server_error, openai_error_shape],
            timeout=15,
        )

    check()
