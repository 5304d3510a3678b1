"""Compiling a caller's JSON schema and checking answers with it: bounded, local, exact."""

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiodynaspark import InvalidRequestError
from aiodynaspark._config import (
    MAX_ANSWER_CHARS,
    MAX_ANSWER_DEPTH,
    MAX_EXPLAINED_WORK,
    MAX_SCHEMA_DEPTH,
    MAX_SCHEMA_NODES,
)
from aiodynaspark._structured._answer import AnswerRejected, read_answer
from aiodynaspark._structured._history import render_history
from aiodynaspark._structured._plan import read_plan
from aiodynaspark._structured._run import Conversation, build_conversation, complete_shaped
from aiodynaspark._structured._schema import compile_schema
from aiodynaspark._structured._schema_shape import measure_schema
from aiodynaspark.providers import ChatResult

HI = {"role": "user", "content": "hi"}
UNIQUE = compile_schema({"uniqueItems": True}, "schema")


def _nested(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels - 1):
        schema = {"not": schema}
    return schema


def _fan_out(levels: int) -> dict[str, Any]:
    """Each definition uses the next one twice: ``2**levels`` uses of the last."""
    defs: dict[str, Any] = {
        f"d{i}": {"anyOf": [{"$ref": f"#/$defs/d{i + 1}"}, {"$ref": f"#/$defs/d{i + 1}"}]}
        for i in range(levels)
    }
    defs[f"d{levels}"] = {"type": "integer"}
    return {"$defs": defs, "$ref": "#/$defs/d0"}


@pytest.mark.parametrize(
    "reference",
    [
        "http://127.0.0.1:9/schema.json",
        "file:///etc/passwd",
        "other.json#/x",
        "//host/x",
        "urn:example:x",
    ],
)
def test_a_reference_outside_the_document_is_refused_naming_it(reference: str) -> None:
    with pytest.raises(InvalidRequestError, match="refers to") as caught:
        compile_schema({"properties": {"a": {"$ref": reference}}}, "parameters")
    assert repr(reference) in str(caught.value)


@pytest.mark.parametrize("keyword", ["$dynamicRef", "$recursiveRef"])
def test_the_dynamic_references_are_held_to_the_document_too(keyword: str) -> None:
    with pytest.raises(InvalidRequestError, match=keyword.replace("$", r"\$")):
        compile_schema({"items": {keyword: "http://127.0.0.1:9/x"}}, "parameters")


def test_an_embedded_id_is_refused() -> None:
    schema = {"$defs": {"a": {"$id": "http://127.0.0.1:9/a", "type": "string"}}}
    with pytest.raises(InvalidRequestError, match="embeds a schema resource"):
        compile_schema(schema, "parameters")


def test_a_ref_in_data_keywords_is_only_data() -> None:
    schema = {"const": {"$ref": "http://127.0.0.1:9/x"}}
    validator = compile_schema(schema, "parameters")
    assert validator.errors({"$ref": "http://127.0.0.1:9/x"}) == []


def test_local_pointer_and_anchor_references_are_applied() -> None:
    schema = {
        "$defs": {"n": {"type": "integer"}, "s": {"$anchor": "text", "type": "string"}},
        "properties": {"a": {"$ref": "#/$defs/n"}, "b": {"$ref": "#text"}},
    }
    validator = compile_schema(schema, "parameters")
    assert validator.errors({"a": 1, "b": "x"}) == []
    assert validator.errors({"a": "1", "b": "x"}) == ['at a: "1" is not of type "integer"']


def test_a_reference_to_nothing_in_the_document_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="not a valid JSON schema"):
        compile_schema({"$ref": "#/$defs/missing"}, "parameters")


def test_a_schema_at_the_depth_bound_compiles_and_one_deeper_is_refused() -> None:
    compile_schema(_nested(MAX_SCHEMA_DEPTH), "parameters")
    with pytest.raises(InvalidRequestError, match=f"deeper than {MAX_SCHEMA_DEPTH} levels"):
        compile_schema(_nested(MAX_SCHEMA_DEPTH + 1), "parameters")


def test_a_ref_fan_out_is_counted_without_expanding_it() -> None:
    # 2**1000 uses: only a count that reuses each definition's size can finish this.
    with pytest.raises(InvalidRequestError, match=f"more than {MAX_SCHEMA_NODES:,} values"):
        measure_schema(_fan_out(1000), "parameters")


def test_a_small_fan_out_counts_every_use() -> None:
    # The last definition is 2 values; each other one 6 of its own (object, anyOf list, two
    # {"$ref": ...} objects and their strings) and two uses of the next: 10, 26, 58.
    sizes = [58, 26, 10, 2]
    definitions = 1 + sum(sizes)  # the "$defs" object and each definition, expanded
    root = 1 + definitions + 1 + sizes[0]  # the root, "$defs", its "$ref" string, d0 used
    assert measure_schema(_fan_out(3), "parameters").values == root


def test_a_recursive_schema_is_counted_once_and_follows_the_answer() -> None:
    schema = {
        "$defs": {"node": {"type": "object", "properties": {"kids": {"items": {"$ref": "#"}}}}},
        "$ref": "#/$defs/node",
    }
    validator = compile_schema(schema, "parameters")
    assert validator.errors({"kids": [{"kids": []}, {"kids": [{"kids": []}]}]}) == []
    assert validator.errors({"kids": [{"kids": [1]}]}) == [
        'at kids/0/kids/0: 1 is not of type "object"'
    ]


def test_a_catastrophic_pattern_is_checked_in_linear_time() -> None:
    validator = compile_schema({"pattern": "^(a+)+$"}, "parameters")
    # A backtracking engine takes about 2**n steps here: n = 100_000 would never finish.
    assert validator.errors("a" * 100_000) == []
    assert len(validator.errors("a" * 100_000 + "!")) == 1


@pytest.mark.parametrize("pattern", ["(?=a)", "(?<!a)b", "(a)\\1"])
def test_a_pattern_outside_re2_is_refused_naming_the_dialect(pattern: str) -> None:
    with pytest.raises(InvalidRequestError, match="RE2"):
        compile_schema({"properties": {"a": {"pattern": pattern}}}, "parameters")


def test_a_pattern_property_outside_re2_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="RE2"):
        compile_schema({"patternProperties": {"(?=x)": {}}}, "parameters")


def test_a_broken_answer_without_branches_is_always_worded() -> None:
    schema = {"type": "array", "items": {"type": "string"}}
    validator = compile_schema(schema, "parameters")
    values = MAX_EXPLAINED_WORK
    assert validator.errors(["a"] * values + [1]) == [f'at {values}: 1 is not of type "string"']


def test_format_is_a_note_not_a_check() -> None:
    validator = compile_schema({"type": "string", "format": "email"}, "parameters")
    assert validator.errors("not an address") == []


def test_an_unknown_draft_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="not a valid JSON schema"):
        compile_schema({"$schema": "http://127.0.0.1:9/schema"}, "parameters")


def test_an_answer_deeper_than_the_bound_is_refused() -> None:
    validator = compile_schema({}, "parameters")
    value: object = []
    for _ in range(MAX_ANSWER_DEPTH):
        value = [value]
    assert validator.errors(value) == [
        f"at (the top level): the value nests deeper than {MAX_ANSWER_DEPTH} levels; flatten it."
    ]


def test_an_answer_too_large_for_the_schema_is_refused_before_the_check() -> None:
    validator = compile_schema({"items": {"anyOf": [{"type": "string"}] * 2_000}}, "parameters")
    [problem] = validator.errors(list(range(1_000)))
    assert "more than can be checked against this schema" in problem


def test_a_broken_answer_past_the_explained_work_gets_the_short_words() -> None:
    schema = {"items": {"anyOf": [{"type": "string", "minLength": n} for n in range(100)]}}
    validator = compile_schema(schema, "parameters")
    values = MAX_EXPLAINED_WORK // 100  # each checked against about 300 schema values
    assert validator.errors([1] * values) == [
        "at (the top level): the value does not match the schema."
    ]
    assert validator.errors([1]) != ["at (the top level): the value does not match the schema."]


def test_a_reply_nested_past_pythons_parser_is_rejected_as_too_deep() -> None:
    plan = read_plan({"tools": [{"type": "function", "function": {"name": "f"}}]}, stream=False)
    assert plan is not None
    reply = '{"tool_calls": [{"name": "f", "arguments": {"a": ' + "[" * 5000 + "]" * 5000
    with pytest.raises(AnswerRejected, match="nests deeper than"):
        read_answer(reply + "}}]}", plan)


def test_a_reply_longer_than_the_bound_is_rejected_unread() -> None:
    plan = read_plan(
        {"response_format": {"type": "json_schema", "json_schema": {"name": "a"}}}, stream=False
    )
    assert plan is not None
    reply = '{"a": "' + "x" * MAX_ANSWER_CHARS + '"}'
    with pytest.raises(AnswerRejected, match=f"answer in at most {MAX_ANSWER_CHARS:,}"):
        read_answer(reply, plan)


async def test_an_overlong_reply_is_not_sent_back_whole_for_its_repair() -> None:
    plan = read_plan(
        {"response_format": {"type": "json_schema", "json_schema": {"name": "a"}}}, stream=False
    )
    overlong = '{"a": "' + "x" * MAX_ANSWER_CHARS + '"}'
    sent: list[Conversation] = []

    async def ask(conversation: Conversation) -> ChatResult:
        sent.append(conversation)
        return ChatResult(text=overlong if len(sent) == 1 else '{"a": 1}', model="m")

    answer = await complete_shaped(plan, build_conversation(plan, [HI]), ask)
    assert answer.content == '{"a": 1}'
    echoed = sent[1][-2]["content"]
    assert echoed.startswith('{"a": "xxx') and len(echoed) < 5000
    assert f"cut: {len(overlong):,} characters" in echoed


def test_deep_arguments_in_the_history_stay_text() -> None:
    deep = "[" * 5000 + "]" * 5000
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": deep}}
    [rendered] = render_history([{"role": "assistant", "tool_calls": [call]}])
    assert json.loads(rendered["content"])["tool_calls"][0]["arguments"] == deep


# JSON values as an answer holds them: numbers as ints and floats, objects with few keys.
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, 1.0, -1.0, 2.5]),
    st.sampled_from(["", "a", "1"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2)
    ),
    max_leaves=6,
)


def _json_equal(left: object, right: object) -> bool:
    """JSON Schema's equality: 1 == 1.0, true is not 1, key order does not count."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_json_equal, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_json_equal(left[k], right[k]) for k in left)
    return type(left) is type(right) and left == right


def _naive_unique(items: list[object]) -> bool:
    return not any(_json_equal(items[i], items[j]) for i in range(len(items)) for j in range(i))


@settings(max_examples=300, deadline=None)
@given(st.lists(_VALUES, max_size=6))
def test_unique_items_agrees_with_the_naive_pairwise_check(items: list[object]) -> None:
    assert (UNIQUE.errors(items) == []) is _naive_unique(items)


@settings(max_examples=200, deadline=None)
@given(_VALUES, _VALUES)
def test_enum_membership_is_json_equality(member: object, candidate: object) -> None:
    validator = compile_schema({"enum": [member]}, "schema")
    assert (validator.errors(candidate) == []) is _json_equal(member, candidate)


def test_json_equality_semantics_in_unique_items() -> None:
    assert UNIQUE.errors([1, 1.0]) != []
    assert UNIQUE.errors([True, 1]) == []
    assert UNIQUE.errors([False, 0, None, ""]) == []
    assert UNIQUE.errors([{"a": 1, "b": 2}, {"b": 2, "a": 1}]) != []
    assert UNIQUE.errors([[1, 2], [2, 1]]) == []


def test_unique_items_over_many_items_is_hashed_not_pairwise() -> None:
    # Pairwise, 200,000 items are 2 * 10**10 comparisons: only a hashed check finishes.
    assert UNIQUE.errors(list(range(200_000))) == []
