"""What the emulator remembers of each request it received."""

from dataclasses import dataclass, field

__all__ = ["RecordedRequest", "UploadedFile"]


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request body.

    Attributes:
        field_name: The form field name (``file`` for the web form).
        filename: The file name the client gave, ``""`` when none.
        content_type: The part's declared content type.
        data: The file content.
    """

    field_name: str
    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the emulator received it.

    Attributes:
        method: The HTTP method, e.g. ``"POST"``.
        path: The URL path, without the query.
        query: The query parameters (the first value of a repeated one).
        form: The text fields of a multipart or urlencoded body.
        file: The uploaded file, if the body carried one.
        headers: The request headers, with lower-case names.
        peer_port: The client's TCP port: one per connection.
        at: ``time.monotonic()`` when the request arrived.
    """

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    file: UploadedFile | None
    headers: dict[str, str]
    peer_port: int
    at: float
