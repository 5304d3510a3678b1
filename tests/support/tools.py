"""The function tool the tool-calling tests ask for, the model's reply that calls it, and the
requests that carry a caller's schema in each place an API takes one."""

import enum
from typing import Any

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
WEATHER_QUESTION = [{"role": "user", "content": "What is the weather in Oslo?"}]
# A reply under the tools contract that calls WEATHER.
WEATHER_CALL = '{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]}'


class SchemaPlace(enum.Enum):
    """Each place a caller's JSON schema enters the gateway: an API and a field."""

    CHAT_TOOL = "chat-tools"
    CHAT_FORMAT = "chat-response_format"
    RESPONSES_TOOL = "responses-tools"
    RESPONSES_FORMAT = "responses-text.format"
    MESSAGES_TOOL = "messages-input_schema"
    MESSAGES_FORMAT = "messages-output_config.format"

    def __str__(self) -> str:
        return self.value

    @property
    def is_tool(self) -> bool:
        """Whether the schema is a tool's (the model answers a call to the tool ``f``)."""
        return self in (
            SchemaPlace.CHAT_TOOL,
            SchemaPlace.RESPONSES_TOOL,
            SchemaPlace.MESSAGES_TOOL,
        )


def schema_request(place: SchemaPlace, schema: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The path and body of a request that puts ``schema`` at ``place`` (the tool is ``f``)."""
    model = "gemini-1.5-flash"
    chat = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    if place is SchemaPlace.CHAT_TOOL:
        tool = {"type": "function", "function": {"name": "f", "parameters": schema}}
        return "/v1/chat/completions", {**chat, "tools": [tool], "tool_choice": "required"}
    if place is SchemaPlace.CHAT_FORMAT:
        spec = {"name": "answer", "schema": schema}
        return "/v1/chat/completions", {
            **chat,
            "response_format": {"type": "json_schema", "json_schema": spec},
        }
    responses = {"model": model, "input": "hi"}
    if place is SchemaPlace.RESPONSES_TOOL:
        tool = {"type": "function", "name": "f", "parameters": schema}
        return "/v1/responses", {**responses, "tools": [tool], "tool_choice": "required"}
    if place is SchemaPlace.RESPONSES_FORMAT:
        text_format = {"type": "json_schema", "name": "answer", "schema": schema}
        return "/v1/responses", {**responses, "text": {"format": text_format}}
    if place is SchemaPlace.MESSAGES_FORMAT:
        output_config = {"format": {"type": "json_schema", "schema": schema}}
        return "/v1/messages", {**chat, "max_tokens": 100, "output_config": output_config}
    tool = {"name": "f", "input_schema": schema}
    return "/v1/messages", {
        **chat,
        "max_tokens": 100,
        "tools": [tool],
        "tool_choice": {"type": "any"},
    }
