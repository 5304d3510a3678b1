"""Tools, structured answers, stop sequences, length limits and usage, by instruction.

Dynaspark has none of these natively. The model is asked, in the system prompt, for one
JSON object (tool calls or content, or the object a schema describes); the answer is read
tolerantly, checked with ``jsonschema_rs``, and repaired once when it breaks the contract.
"""

from ._answer import ModelAnswer, ToolCall
from ._history import has_tool_history
from ._plan import SHAPING_FIELDS, AnswerPlan, read_plan
from ._run import ShapedAnswer, StreamEnd, build_conversation, complete_shaped, stream_shaped
from ._schema import load_schema_engine
from ._tokens import estimate_prompt_tokens, estimate_tokens, estimated_usage

__all__ = [
    "SHAPING_FIELDS",
    "AnswerPlan",
    "ModelAnswer",
    "ShapedAnswer",
    "StreamEnd",
    "ToolCall",
    "build_conversation",
    "complete_shaped",
    "estimate_prompt_tokens",
    "estimate_tokens",
    "estimated_usage",
    "has_tool_history",
    "load_schema_engine",
    "read_plan",
    "stream_shaped",
]
