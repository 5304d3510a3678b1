"""Admission to the host: the one moment a request is checked against its key and limits.

A request that calls the host spends the upstream quota, and only such a request: one refused
for its key, its body, its size, its model or its route never reaches this point. The limits
layer therefore does not spend anything for a route that calls the host; it leaves an
:class:`Admission` for the request, and the route asks for it (through
``Gateway.admit``) once the body is valid and the model resolved, just before the call.

Some bad input only the library finds, after admission (an unknown voice, an image size, a
tool's schema): a request it refuses so, before anything was sent, gets back what it took
(:meth:`Admission.refund`). The upstream client's attempt observer marks the request as
sent (:meth:`Admission.sent`) at its first attempt, after which nothing is given back: a
call that reached the host spent its quota.
"""

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

from ..._limits import echoed
from .._errors import GatewayError
from ._keys import CallerKey
from ._limiter import Taken

__all__ = ["Admission", "AdmissionLeft", "Refused", "current_admission"]


class Refused(Exception):
    """Raised by :meth:`Admission.admit` when the request may not call the host."""

    def __init__(self, error: GatewayError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(slots=True)
class Admission:
    """What one request must pass before it calls the host.

    Attributes:
        caller: The caller's key, or ``None`` on a gateway without keys.
        take: Counts the request against its limits, or raises :class:`Refused`; returns
            what it counted, if anything.
        give_back: Uncounts what ``take`` counted; ``None`` when the gateway cannot see
            whether the host was called (a client of the operator's own, unobserved).
    """

    caller: CallerKey | None
    take: Callable[[], Awaitable[Taken | None]]
    give_back: Callable[[Taken], Awaitable[None]] | None = None
    _taken: bool = field(default=False, init=False)
    _counted: Taken | None = field(default=None, init=False)
    _sent: bool = field(default=False, init=False)

    async def admit(self, model: str, meaning: Callable[[str], str | None]) -> None:
        """Check that the key may use ``model``, then take the limits (once per request).

        Args:
            model: The model id that will serve the request.
            meaning: What model a name serves, by the rule that resolved ``model``; a key's
                list may name an alias, and a request the id it stands for, or the other
                way round, so both sides are compared as the model that serves them.

        Raises:
            Refused: The key may not use the model (403), or a limit is spent (429, 503).
        """
        caller = self.caller
        if (
            caller is not None
            and caller.models is not None
            and not any(meaning(allowed) == model for allowed in caller.models)
        ):
            raise Refused(
                GatewayError(
                    403,
                    f"This key may not use the model {echoed(model)}; it may use: "
                    f"{', '.join(sorted(caller.models))}.",
                    code="model_not_allowed",
                    param="model",
                )
            )
        if not self._taken:
            self._taken = True
            self._counted = await self.take()

    def sent(self) -> None:
        """Note that an attempt of this request reached for the host: what it took stays."""
        self._sent = True

    async def refund(self) -> None:
        """Give back what :meth:`admit` took, unless an attempt was made (once per request).

        Called when the request ends with a caller error (the library's
        ``InvalidRequestError``), which by its contract comes before anything is sent.
        """
        counted, self._counted = self._counted, None
        if counted is not None and not self._sent and self.give_back is not None:
            await self.give_back(counted)


_CURRENT: ContextVar[Admission | None] = ContextVar("aiodynaspark_admission", default=None)


class AdmissionLeft:
    """Leaves ``pending`` for the request handled inside the ``with`` block.

    A class rather than a ``contextlib.contextmanager``: it is entered by every ``/v1``
    request, and a generator with its wrapper cost several calls more each time.
    """

    __slots__ = ("_pending", "_token")

    def __init__(self, pending: Admission) -> None:
        self._pending = pending

    def __enter__(self) -> None:
        self._token = _CURRENT.set(self._pending)

    def __exit__(self, *exc: object) -> None:
        _CURRENT.reset(self._token)


def current_admission() -> Admission | None:
    """The admission left for the request being handled, or ``None`` (no limits apply)."""
    return _CURRENT.get()
