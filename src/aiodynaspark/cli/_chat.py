"""``aiodynaspark chat``: ask a model, with images and a system prompt, streaming the answer."""

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from .._chat_options import CHAT_OPTIONS, ChatOption
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
    options: Mapping[str, Any]
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
                    model=request.model, messages=messages, media=media, **request.options
                )
                waiting.stop()
                sink.write(completion.choices[0].message.content or "")
                return
            stream = await client.chat.completions.create(
                model=request.model,
                messages=messages,
                media=media,
                stream=True,
                **request.options,
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


F = TypeVar("F", bound=Callable[..., Any])


def _click_type(option: ChatOption) -> Any:
    if option.type is float:
        return click.FloatRange(option.low, option.high)
    if option.type is int:
        return click.IntRange(
            None if option.low is None else int(option.low),
            None if option.high is None else int(option.high),
        )
    return click.STRING


def declared_chat_options(command: F) -> F:
    """Add the chat options the declaration gives command-line flags, in declaration order."""
    for option in reversed([option for option in CHAT_OPTIONS if option.cli]):
        metavar = option.name.upper()
        if option.type is bool:
            flag = click.option(
                *option.cli, option.name, is_flag=True, default=None, help=option.doc
            )
        else:
            flag = click.option(
                *option.cli, option.name, type=_click_type(option), metavar=metavar, help=option.doc
            )
        command = flag(command)
    return command


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
@declared_chat_options
@click.option("--api", "force_api", is_flag=True, help="Always use the REST API (DynasparkAPI).")
@click.option("--no-stream", is_flag=True, help="Print the whole answer at once at the end.")
@service_options
def chat(
    prompt: str,
    model: str | None,
    images: Sequence[str],
    force_api: bool,
    no_stream: bool,
    service: ServiceOptions,
    **chat_options: Any,
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
        options={name: value for name, value in chat_options.items() if value is not None},
        force_api=force_api,
        stream=not no_stream,
    )
    sink = TextSink()
    with open_target(service) as target:
        run_async(ask(target, request, sink, progress=is_interactive(uses_stdout=True)))
    sink.finish()
