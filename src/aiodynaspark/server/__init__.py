"""The gateway: an OpenAI-compatible HTTP server in front of Dynaspark (extra ``server``).

Example:
    >>> from aiodynaspark.server import serve
    >>> serve(port=8080, api_key="secret")  # doctest: +SKIP
"""

from ._app import create_app
from ._serve import serve
from ._settings import GatewaySettings, ServeSettings

__all__ = ["GatewaySettings", "ServeSettings", "create_app", "serve"]
