"""Flattening conversations into the one prompt the web form takes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiodynaspark import InvalidRequestError
from aiodynaspark._prompt import flatten_messages, parse_messages, plain_prompt


def test_single_message_is_sent_unchanged() -> None:
    assert flatten_messages([{"role": "user", "content": "  Hi\nthere "}]) == "  Hi\nthere "


def test_single_system_message_is_also_unchanged() -> None:
    assert flatten_messages([{"role": "system", "content": "Be brief."}]) == "Be brief."


def test_conversation_becomes_role_lines_ending_with_assistant() -> None:
    prompt = flatten_messages(
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "Bye"},
        ]
    )
    assert prompt == "System: Be brief.\nUser: Hi\nAssistant: Hello!\nUser: Bye\nAssistant:"


def test_text_parts_are_joined_and_image_parts_are_not_text() -> None:
    parsed = parse_messages(
        [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Look"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}},
                    {"type": "text", "text": "at this"},
                ],
            }
        ]
    )
    assert parsed[0].text == "Look\nat this"
    assert parsed[0].image_urls == ("data:image/png;base64,AA==",)
    assert flatten_messages(parsed) == "Look\nat this"


def test_none_content_is_empty_text() -> None:
    assert (
        flatten_messages([{"role": "user", "content": "a"}, {"role": "assistant", "content": None}])
        == "User: a\nAssistant: \nAssistant:"
    )


@pytest.mark.parametrize(
    ("messages", "fragment"),
    [
        ([], "empty"),
        ("hello", "must be a list"),
        ([{"role": "wizard", "content": "x"}], "role must be one of"),
        ([{"content": "x"}], "role must be one of"),
        (["x"], "must be an object"),
        ([{"role": "user", "content": 3}], "content must be a string"),
        ([{"role": "user", "content": [{"type": "audio"}]}], "unsupported content part"),
        ([{"role": "user", "content": [{"type": "text"}]}], "needs a string 'text'"),
        ([{"role": "user", "content": [{"type": "image_url"}]}], "image_url.url"),
    ],
)
def test_malformed_conversations_are_refused_with_a_reason(messages: object, fragment: str) -> None:
    with pytest.raises(InvalidRequestError, match=fragment):
        flatten_messages(messages)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_message = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["system", "user", "assistant", "tool", "other"]) | _json,
        "content": _json
        | st.lists(
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(["text", "image_url", "x"]),
                    "text": _json,
                    "image_url": _json,
                }
            ),
            max_size=3,
        ),
    },
)


@given(st.lists(_message, max_size=5) | _json)
def test_no_input_raises_anything_but_invalid_request(messages: object) -> None:
    try:
        prompt = flatten_messages(messages)
    except InvalidRequestError:
        return
    assert isinstance(prompt, str)


@given(
    st.lists(
        st.tuples(st.sampled_from(["system", "user", "assistant"]), st.text()),
        min_size=2,
        max_size=6,
    )
)
def test_every_message_is_one_role_line_then_assistant(turns: list[tuple[str, str]]) -> None:
    prompt = flatten_messages([{"role": role, "content": text} for role, text in turns])
    last_role, last_text = turns[-1]
    if last_role != "assistant" or not last_text:
        assert prompt.endswith("\nAssistant:")
    for role, text in turns:
        assert f"{role.capitalize()}: {text}" in prompt


def test_an_assistant_prefill_ends_the_prompt_for_the_model_to_continue() -> None:
    messages = [
        {"role": "user", "content": "Count to three."},
        {"role": "assistant", "content": "One,"},
    ]
    assert flatten_messages(messages) == "User: Count to three.\nAssistant: One,"
    assert plain_prompt(messages) == flatten_messages(messages)


def test_lone_surrogate_is_refused_as_invalid_input() -> None:
    with pytest.raises(InvalidRequestError, match="lone surrogate"):
        flatten_messages([{"role": "user", "content": "bad \ud800 text"}])


@given(st.lists(_message, max_size=5) | _json)
def test_the_fast_path_agrees_with_the_general_one_or_steps_aside(messages: object) -> None:
    # plain_prompt serves the common case only; where it answers, it must answer exactly
    # what the checked, general path answers.
    fast = plain_prompt(messages)
    if fast is None:
        return
    assert fast == flatten_messages(messages)


@given(
    st.lists(
        st.tuples(st.sampled_from(["system", "developer", "user", "assistant", "tool"]), st.text()),
        min_size=1,
        max_size=6,
    )
)
def test_the_fast_path_takes_every_text_only_conversation(turns: list[tuple[str, str]]) -> None:
    messages = [{"role": role, "content": text} for role, text in turns]
    try:
        expected = flatten_messages(messages)
    except InvalidRequestError:  # a lone surrogate: the general path words the error
        assert plain_prompt(messages) is None
        return
    assert plain_prompt(messages) == expected


# Each test below once let a mutation of the flattening pass (docs/testing.md, "Mutation
# testing"): the messages name the message and part at fault, exactly.
@pytest.mark.parametrize(
    ("messages", "message"),
    [
        ("hello", 'messages must be a list of {"role": ..., "content": ...} objects, not str.'),
        ([], "messages is empty: give at least one message."),
        (
            [{"role": "user", "content": "a"}, "b"],
            "messages[1] must be an object with 'role' and 'content'.",
        ),
        (
            [{"role": "bot", "content": "a"}],
            "messages[0]: role must be one of assistant, developer, system, tool, user, got 'bot'.",
        ),
        (
            [{"role": "user", "content": 3}],
            "messages[0]: content must be a string or a list of content parts, not int.",
        ),
        (
            [{"role": "user", "content": ["a", 3]}],
            "messages[0], part 1: a content part must be an object.",
        ),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": ""}}]}],
            "messages[0], part 0: an image_url part needs image_url.url, a string.",
        ),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": 5}}]}],
            "messages[0], part 0: an image_url part needs image_url.url, a string.",
        ),
    ],
)
def test_malformed_conversation_error_says_where(messages: object, message: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        flatten_messages(messages)
    assert str(caught.value) == message


def test_string_parts_join_the_text_parts_in_order() -> None:
    content = ["a", {"type": "text", "text": "b"}, "c"]
    assert flatten_messages([{"role": "user", "content": content}]) == "a\nb\nc"


def test_the_fast_path_steps_aside_for_a_lone_surrogate() -> None:
    assert plain_prompt([{"role": "user", "content": "a\ud800"}]) is None
    assert (
        plain_prompt([{"role": "user", "content": "a"}, {"role": "user", "content": "\udfff"}])
        is None
    )
