"""The providers: class-method APIs over the two Dynaspark protocols."""

from ._base import BaseProvider, ChatResult, PreparedChat
from ._rest_media import ImageResult
from .dynaspark import Dynaspark, WebFormChat
from .dynaspark_api import DynasparkAPI, RestChat

__all__ = [
    "BaseProvider",
    "ChatResult",
    "Dynaspark",
    "DynasparkAPI",
    "ImageResult",
    "PreparedChat",
    "RestChat",
    "WebFormChat",
]
