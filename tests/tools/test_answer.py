"""Reading a model's answer under the contract, and checking the request's fields."""

import json

import pytest

from aiodynaspark import InvalidRequestError
from aiodynaspark._structured._answer import AnswerRejected, read_answer
from aiodynaspark._structured._history import render_history
from aiodynaspark._structured._instructions import render_instructions
from aiodynaspark._structured._plan import AnswerPlan, read_plan
from support.tools import WEATHER

_TIME = {"type": "function", "function": {"name": "get_time"}}


def _plan(**options: object) -> AnswerPlan:
    plan = read_plan(dict(options), stream=False)
    assert plan is not None
    return plan


def test_tool_call_in_a_code_fence_with_words_around_is_read() -> None:
    call = '{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]}'
    reply = f"Calling it.\n```json\n{call}\n```"
    answer = read_answer(reply, _plan(tools=[WEATHER]))
    (call,) = answer.tool_calls
    assert call.name == "get_weather"
    assert json.loads(call.arguments) == {"city": "Oslo"}
    assert call.id.startswith("call_") and len(call.id) == 37


def test_arguments_given_as_a_json_string_are_read() -> None:
    reply = '{"tool_calls": [{"name": "get_weather", "arguments": "{\\"city\\": \\"Rome\\"}"}]}'
    (call,) = read_answer(reply, _plan(tools=[WEATHER])).tool_calls
    assert json.loads(call.arguments) == {"city": "Rome"}


def test_arguments_that_break_the_schema_are_rejected_with_the_reason() -> None:
    reply = '{"tool_calls": [{"name": "get_weather", "arguments": {"town": "Oslo"}}]}'
    with pytest.raises(AnswerRejected) as caught:
        read_answer(reply, _plan(tools=[WEATHER]))
    assert '"city" is a required property' in str(caught.value)


def test_a_call_to_an_unknown_tool_is_rejected() -> None:
    with pytest.raises(AnswerRejected, match="not a tool"):
        read_answer('{"tool_calls": [{"name": "rm", "arguments": {}}]}', _plan(tools=[WEATHER]))


def test_prose_without_an_object_is_rejected() -> None:
    with pytest.raises(AnswerRejected, match="no JSON object"):
        read_answer("It is sunny.", _plan(tools=[WEATHER]))


def test_required_tool_choice_rejects_a_direct_answer() -> None:
    with pytest.raises(AnswerRejected, match="must call a tool"):
        read_answer('{"content": "hi"}', _plan(tools=[WEATHER], tool_choice="required"))


def test_named_tool_choice_rejects_another_tool() -> None:
    plan = _plan(
        tools=[WEATHER, _TIME],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    with pytest.raises(AnswerRejected, match="only the tool 'get_weather'"):
        read_answer('{"tool_calls": [{"name": "get_time", "arguments": {}}]}', plan)


def test_parallel_tool_calls_false_rejects_two_calls() -> None:
    plan = _plan(tools=[_TIME, WEATHER], parallel_tool_calls=False)
    reply = json.dumps(
        {"tool_calls": [{"name": "get_time"}, {"name": "get_weather", "arguments": {"city": "x"}}]}
    )
    with pytest.raises(AnswerRejected, match="at most one"):
        read_answer(reply, plan)


def test_schema_answer_is_the_object_itself() -> None:
    plan = _plan(
        response_format={
            "type": "json_schema",
            "json_schema": {
                "name": "person",
                "schema": {"type": "object", "required": ["name"]},
            },
        }
    )
    assert read_answer('```json\n{"name": "Ada"}\n```', plan).content == '{"name": "Ada"}'
    with pytest.raises(AnswerRejected, match='"name" is a required property'):
        read_answer('{"age": 3}', plan)


def test_tool_choice_none_sends_no_tools() -> None:
    options: dict[str, object] = {"tools": [WEATHER], "tool_choice": "none"}
    assert read_plan(options, stream=False) is None
    assert options == {}


def test_instructions_name_each_tool_with_its_schema_and_the_rule() -> None:
    text = render_instructions(_plan(tools=[WEATHER], tool_choice="required"))
    assert text is not None
    assert "get_weather: The weather in a city." in text
    assert '"required":["city"]' in text
    assert "You must call at least one tool" in text


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"tools": [{"type": "retrieval"}]}, "only function tools"),
        ({"tools": [{"type": "function", "function": {"name": "a b"}}]}, "name"),
        ({"tools": [WEATHER, WEATHER]}, "two tools"),
        (
            {"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": 1}}}]},
            "not a valid JSON schema",
        ),
        (
            {"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "x"}}},
            "x",
        ),
        ({"tool_choice": "required"}, "needs tools"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "limit is 4"),
        ({"stop": ""}, "stop"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_completion_tokens": True}, "max_completion_tokens"),
        ({"response_format": {"type": "json_schema"}}, "json_schema"),
        ({"stream_options": {"include_usage": "yes"}}, "include_usage"),
    ],
)
def test_malformed_fields_are_refused_before_any_request(
    options: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidRequestError, match=field):
        read_plan(dict(options), stream=True)


def test_history_shows_tool_calls_and_results_with_their_ids() -> None:
    rendered = render_history(
        [
            {"role": "user", "content": "Weather in Oslo?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "12 C, rain"},
        ]
    )
    assert json.loads(rendered[1]["content"]) == {
        "tool_calls": [{"id": "call_1", "name": "get_weather", "arguments": {"city": "Oslo"}}]
    }
    assert rendered[2] == {
        "role": "tool",
        "content": "Result of tool call call_1 (get_weather): 12 C, rain",
    }


def test_a_schema_with_a_reference_outside_itself_is_refused_not_fetched() -> None:
    remote = {
        "type": "function",
        "function": {
            "name": "f",
            "parameters": {"$ref": "https://example.invalid/schema.json"},
        },
    }
    with pytest.raises(
        InvalidRequestError, match="refers to 'https://example.invalid/schema.json'"
    ):
        _plan(tools=[remote])
