"""A 100 KB conversation streamed through the gateway, as the chat page sends it, is answered."""

import asyncio

import openai

from aiodynaspark.testing import Emulator

LONG = [
    {"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i} " + "x" * 1000}
    for i in range(100)
]


async def test_long_streamed_conversation_is_answered(
    client: openai.AsyncOpenAI, emu: Emulator
) -> None:
    async with asyncio.timeout(15):
        stream = await client.chat.completions.create(
            model="gemini-2.0-flash",
            messages=LONG,  # type: ignore[arg-type]
            stream=True,
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text
    assert [r.method for r in emu.requests] == ["POST"]
