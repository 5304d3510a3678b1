"""How the SSE decoder's time grows with its input: linear however the input is cut.

Run: ``python -m benchmarks.sse_decoding``. One event of N bytes is fed in chunks of 1, 64 and
4096 bytes, for N of 400 KB and 800 KB; a linear decoder takes about twice as long for twice
the input at every chunk size, a decoder that re-joined its buffer on every read would take
four times as long (and minutes at one byte per chunk). The test suite checks only that the
event comes whole (tests/test_sse.py); the timing lives here.
"""

import time

from aiodynaspark._wire._sse import SSEDecoder

SIZES = (400_000, 800_000)
CHUNKS = (1, 64, 4096)


def decode_seconds(size: int, chunk_size: int) -> float:
    """Seconds to decode one event of ``size`` bytes fed ``chunk_size`` bytes at a time."""
    body = b"data: " + b"x" * size + b"\n\n"
    chunks = [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)]
    decoder = SSEDecoder(max_event_bytes=2 * size)
    started = time.perf_counter()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    took = time.perf_counter() - started
    if len(events) != 1 or len(events[0].data) != size:
        raise RuntimeError("the decoder did not give the event back whole")
    return took


def main() -> None:
    print("chunk bytes  400 KB (s)  800 KB (s)  ratio (2.0 = linear)")
    for chunk_size in CHUNKS:
        small, large = (decode_seconds(size, chunk_size) for size in SIZES)
        print(f"{chunk_size:>11}  {small:>10.3f}  {large:>10.3f}  {large / small:>6.2f}")


if __name__ == "__main__":
    main()
