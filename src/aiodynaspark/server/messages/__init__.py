"""Anthropic's Messages API, played on the library's chat completion call."""
