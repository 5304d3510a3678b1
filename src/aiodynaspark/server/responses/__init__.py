"""OpenAI's Responses API, played on the library's chat completion call."""
