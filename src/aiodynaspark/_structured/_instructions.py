"""The instructions that ask the model for one JSON object, and the repair request.

The contract with the model: it answers exactly one JSON object, either
``{"tool_calls": [{"name": ..., "arguments": {...}}, ...]}`` or ``{"content": ...}``; with a
JSON schema and no tools, the object the schema describes, itself.
"""

import json

from ._plan import AnswerPlan

__all__ = ["render_instructions", "render_repair"]

_ONLY_OBJECT = (
    "Reply with exactly one JSON object and nothing else: no text before or after it, "
    "no code fence."
)


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _choice_rule(plan: AnswerPlan) -> str:
    named = plan.named_tool
    if named is not None:
        rule = f'You must call the tool "{named}" now; do not answer directly.'
    elif plan.tool_choice == "required":
        rule = "You must call at least one tool now; do not answer directly."
    else:
        rule = (
            "Call a tool when it helps to answer, or when the user asks for it; otherwise "
            "answer directly. When the results of tool calls are in the conversation, use "
            "them to answer."
        )
    if not plan.parallel_tool_calls:
        rule += " Call at most one tool per reply."
    return rule


def _tool_instructions(plan: AnswerPlan) -> str:
    if plan.schema is not None:
        content = '{"content": <your answer: a JSON object that follows the answer schema below>}'
        answer_schema = f"\n\nThe answer schema ({plan.schema_name}): {_compact(plan.schema)}"
    else:
        content = '{"content": "<your answer to the user, as text>"}'
        answer_schema = ""
    named = plan.named_tool
    listed = [tool for tool in plan.tools if named is None or tool.name == named]
    lines = [
        f"- {tool.name}: {tool.description or '(no description)'}\n"
        f"  arguments schema: {_compact(tool.parameters)}"
        for tool in listed
    ]
    return (
        "You can call tools (functions) that the caller runs for you. "
        f"{_ONLY_OBJECT}\n"
        "To call tools, reply "
        '{"tool_calls": [{"name": "<tool name>", "arguments": {<arguments>}}]}, '
        "with arguments that follow the tool's arguments schema.\n"
        f"To answer directly, reply {content}.\n"
        f"{_choice_rule(plan)}\n\n"
        "The tools:\n" + "\n".join(lines) + answer_schema
    )


def render_instructions(plan: AnswerPlan) -> str | None:
    """The system instructions for ``plan``'s contract, or ``None`` when it has none."""
    contract = plan.contract
    if contract == "tools":
        return _tool_instructions(plan)
    if contract == "schema":
        return (
            f"{_ONLY_OBJECT} The object must follow this JSON schema "
            f"({plan.schema_name}): {_compact(plan.schema)}"
        )
    return None


def render_repair(errors: list[str]) -> str:
    """The request for a corrected answer, naming what was wrong with the last one."""
    listed = "\n".join(f"- {error}" for error in errors)
    return (
        "Your last reply did not follow the instructions:\n"
        f"{listed}\n"
        f"Reply again, correctly. {_ONLY_OBJECT}"
    )
