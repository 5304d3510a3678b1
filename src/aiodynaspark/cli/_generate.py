"""``aiodynaspark image``, ``speak`` and ``models``: the REST API's other services."""

import base64

import click

from ._output import note, write_binary
from ._progress import WaitIndicator, is_interactive
from ._service import ServiceOptions, Target, open_target, run_async, service_options

__all__ = ["image", "models", "speak"]

_OUTPUT_HELP = "File to write ('-' for stdout); written only when the whole answer is in."


async def _generate_image(
    target: Target, prompt: str, model: str | None, size: str | None, seed: int | None, output: str
) -> tuple[bytes, int | None]:
    async with target.client() as client:
        enabled = is_interactive(uses_stdout=output == "-")
        with WaitIndicator("Generating the image", enabled=enabled):
            # b64_json makes the client download the image now: its URL expires in a day.
            response = await client.images.generate(
                prompt=prompt, model=model, size=size, seed=seed, response_format="b64_json"
            )
    picture = response.data[0]
    return base64.b64decode(picture.b64_json or ""), picture.seed


@click.command(short_help="Generate an image and save it to a file.")
@click.argument("prompt")
@click.option("-o", "--output", required=True, metavar="FILE", help=_OUTPUT_HELP)
@click.option("--model", metavar="flux|turbo|gptimage", help="Image model (default flux).")
@click.option("--size", metavar="WxH", help="Width x height, each 64-2048 (default 768x768).")
@click.option("--seed", type=int, metavar="N", help="Seed, for a reproducible image.")
@service_options
def image(
    prompt: str,
    output: str,
    model: str | None,
    size: str | None,
    seed: int | None,
    service: ServiceOptions,
) -> None:
    """Generate an image from PROMPT and save it to FILE.

    \b
    Example:
      aiodynaspark image "a lighthouse at dawn" -o lighthouse.png --size 1024x768
    """
    with open_target(service) as target:
        data, used_seed = run_async(_generate_image(target, prompt, model, size, seed, output))
    write_binary(output, data)
    if output != "-":
        said_seed = f", seed {used_seed}" if used_seed is not None else ""
        note(f"Saved {len(data):,} bytes to {output}{said_seed}.")


async def _speak(target: Target, text: str, voice: str | None, output: str) -> bytes:
    async with target.client() as client:
        enabled = is_interactive(uses_stdout=output == "-")
        with WaitIndicator("Generating the speech", enabled=enabled):
            speech = await client.audio.speech.create(input=text, voice=voice)
    return speech.content


@click.command(short_help="Speak a text and save the MP3 to a file.")
@click.argument("text")
@click.option("-o", "--output", required=True, metavar="FILE", help=_OUTPUT_HELP)
@click.option(
    "--voice",
    metavar="VOICE",
    help="alloy (default), echo, fable, onyx, nova or shimmer.",
)
@service_options
def speak(text: str, output: str, voice: str | None, service: ServiceOptions) -> None:
    """Speak TEXT and save the MP3 to FILE.

    \b
    Example:
      aiodynaspark speak "Good morning" -o morning.mp3 --voice nova
    """
    with open_target(service) as target:
        data = run_async(_speak(target, text, voice, output))
    write_binary(output, data)
    if output != "-":
        note(f"Saved {len(data):,} bytes of MP3 to {output}.")


@click.command(short_help="List the chat model ids.")
def models() -> None:
    """List the chat model ids, one per line.

    The list is known to the library, so no request is made and no network option applies.
    Short aliases (such as 'gemini-flash') are accepted by 'chat -m' too.
    """
    from .._catalog import CHAT_MODELS

    click.echo("\n".join(CHAT_MODELS))
