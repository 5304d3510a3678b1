"""``client.audio.speech``: text to MP3 through the REST API."""

from typing import TYPE_CHECKING, Never

from .._catalog import SPEECH_MODEL_NAMES
from .._errors import InvalidRequestError
from .._keywords import keywords_of, unexpected_keyword
from .._limits import echoed
from ..providers import DynasparkAPI
from ._models import SpeechResponse

if TYPE_CHECKING:
    from ._async import AsyncClient

__all__ = ["AsyncAudio", "AsyncSpeech"]


class AsyncSpeech:
    """``client.audio.speech``."""

    def __init__(self, client: "AsyncClient") -> None:
        self._client = client

    async def create(
        self,
        *,
        input: str,
        voice: str | None = None,
        model: str | None = None,
        response_format: str | None = None,
        speed: float | None = None,
        instructions: str | None = None,
        **unexpected: Never,
    ) -> SpeechResponse:
        """Speak a text; ``.content`` of the result is MP3 bytes.

        Args:
            input: The text.
            voice: ``alloy`` (default), ``echo``, ``fable``, ``onyx``, ``nova`` or ``shimmer``.
            model: ``openai-audio``; OpenAI's ``tts-1`` names are accepted as the same.
            response_format: ``mp3`` only.
            speed: Accepted and ignored, as is ``instructions``: the service has no
                counterpart.
            instructions: Accepted and ignored.

        Raises:
            TypeError: An unknown keyword (the message names the nearest valid one).
            InvalidRequestError: Empty text, unknown voice, model or format.
            APIConnectionError, APIStatusError, ResponseError: As for chat.
        """
        if unexpected:
            raise unexpected_keyword("create", unexpected, keywords_of(AsyncSpeech.create))
        if model is not None and model not in SPEECH_MODEL_NAMES:
            raise InvalidRequestError(
                f"Unknown speech model {echoed(model)}; use one of "
                f"{', '.join(sorted(SPEECH_MODEL_NAMES))}."
            )
        if response_format not in (None, "mp3"):
            raise InvalidRequestError("response_format must be 'mp3': the service makes MP3.")
        params = DynasparkAPI.speech_params(input, voice)
        return SpeechResponse(await DynasparkAPI.request_speech(self._client._transport, params))


class AsyncAudio:
    """``client.audio``."""

    def __init__(self, client: "AsyncClient") -> None:
        self.speech = AsyncSpeech(client)
