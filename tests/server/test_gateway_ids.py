"""The id-prediction attack: a caller who collects ids cannot name the next one."""

import asyncio

import openai
from benchmarks._mersenne import predict_next_id

# Enough words of 32 bits (624) to rebuild Python's random state from 96-bit ids (208) and
# from 128-bit ones (156).
IDS_COLLECTED = 210


async def test_the_next_completion_id_is_not_predicted_from_the_ones_before(
    client: openai.AsyncOpenAI,
) -> None:
    async def one_id() -> str:
        completion = await client.chat.completions.create(
            model="gemini-2.0-flash", messages=[{"role": "user", "content": "hi"}]
        )
        return completion.id

    async with asyncio.timeout(60):
        seen = [await one_id() for _ in range(IDS_COLLECTED)]
        following = await one_id()
    assert predict_next_id(seen, "chatcmpl-") != following
    assert len(following.removeprefix("chatcmpl-")) >= 32
