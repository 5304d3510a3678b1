"""``aiodynaspark chat``: ask a model, with images and a system prompt, streaming the answer."""

import sys
from collections.abc import Sequence
from dataclasses import dataclass

import click

from ._output import TextSink
from ._progress import WaitIndicator, is_interactive
from ._service import ServiceOptions, Target, open_target, run_async, service_options

__all__ = ["chat"]


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One question as the command line gave it."""

    prompt: str
    model: str | None
    images: tuple[str, ...]
    system: str | None
    force_api: bool
    stream: bool


async def ask(target: Target, request: ChatRequest, sink: TextSink, *, progress: bool) -> None:
    """Send ``request`` and write the answer to ``sink`` as it arrives.

    Raises:
        InvalidRequestError: The library refused the request (model, images, options).
        APIConnectionError, APIStatusError, ResponseError: The service failed.
    """
    messages = [{"role": "user", "content": request.prompt}]
    media = list(request.images) or None
    async with target.client(provider="api" if request.force_api else None) as client:
        with WaitIndicator("Waiting for the answer", enabled=progress) as waiting:
            if not request.stream:
                completion = await client.chat.completions.create(
                    model=request.model, messages=messages, media=media, system=request.system
                )
                waiting.stop()
                sink.write(completion.choices[0].message.content or "")
                return
            stream = await client.chat.completions.create(
                model=request.model,
                messages=messages,
                media=media,
                system=request.system,
                stream=True,
            )
            async with stream:
                async for chunk in stream:
                    piece = chunk.choices[0].delta.content if chunk.choices else None
                    if piece:
                        waiting.stop()
                        sink.write(piece)


def _read_prompt(prompt: str) -> str:
    if prompt != "-":
        return prompt
    # The newline `echo` adds is not part of the question.
    text = sys.stdin.read().removesuffix("\n")
    if not text.strip():
        raise click.BadParameter("standard input is empty.", param_hint="PROMPT")
    return text


@click.command(short_help="Ask a model; the answer streams as it arrives.")
@click.argument("prompt")
@click.option(
    "-m",
    "--model",
    metavar="MODEL",
    help="Model id or alias (see 'aiodynaspark models'; default gemini-1.5-flash).",
)
@click.option(
    "-i",
    "--image",
    "images",
    multiple=True,
    metavar="IMAGE",
    help="An image file to ask about (JPEG, PNG, GIF or WEBP); the service takes one.",
)
@click.option("-s", "--system", metavar="SYSTEM", help="A system prompt (sent via the REST API).")
@click.option("--api", "force_api", is_flag=True, help="Always use the REST API (DynasparkAPI).")
@click.option("--no-stream", is_flag=True, help="Print the whole answer at once at the end.")
@service_options
def chat(
    prompt: str,
    model: str | None,
    images: Sequence[str],
    system: str | None,
    force_api: bool,
    no_stream: bool,
    service: ServiceOptions,
) -> None:
    """Ask PROMPT ('-' reads it from stdin) and print the answer as it arrives.

    Without --api the client picks the endpoint: a request with an image goes to the web
    form, one with a system prompt or streamed to the REST API.

    \b
    Examples:
      aiodynaspark chat "Why is the sky blue?"
      aiodynaspark chat "What is in this picture?" -i photo.jpg -m gemini-2.0-flash
      aiodynaspark chat "Hello" --offline
    """
    text = _read_prompt(prompt)
    request = ChatRequest(
        prompt=text,
        model=model,
        images=tuple(images),
        system=system,
        force_api=force_api,
        stream=not no_stream,
    )
    sink = TextSink()
    with open_target(service) as target:
        run_async(ask(target, request, sink, progress=is_interactive(uses_stdout=True)))
    sink.finish()
