"""HTML pages served by faults: what a browser-facing host sends instead of JSON.

The texts are the emulator's own words, shaped like the pages a Render app
behind Cloudflare really returns: a title the
client can show, and markers (``Just a moment...``) a client may detect.
"""

import html

__all__ = ["CLOUDFLARE_TITLE", "cloudflare_page", "not_json_page", "titled_page", "waking_page"]

CLOUDFLARE_TITLE = "Just a moment..."
"""Title of a Cloudflare bot-challenge page."""


def titled_page(title: str, body: str = "") -> str:
    """Render a small HTML page with a ``<title>`` and an ``<h1>`` of ``title``.

    Args:
        title: The page title, escaped here.
        body: Extra paragraph text, escaped here.

    Returns:
        A complete HTML document.
    """
    safe_title = html.escape(title)
    paragraph = f"<p>{html.escape(body)}</p>" if body else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{safe_title}</title></head>\n"
        f"<body><h1>{safe_title}</h1>{paragraph}</body></html>\n"
    )


def cloudflare_page(ray_id: str) -> str:
    """Render a Cloudflare-style "checking your browser" challenge page.

    Args:
        ray_id: The ray id shown in the page footer.

    Returns:
        A complete HTML document titled ``Just a moment...``.
    """
    return (
        '<!DOCTYPE html>\n<html lang="en-US"><head>'
        f"<title>{CLOUDFLARE_TITLE}</title>"
        '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
        '<meta name="robots" content="noindex,nofollow"></head>\n'
        '<body><div class="main-wrapper" role="main"><div class="main-content">'
        '<h1 class="zone-name-title h1">dynaspark.onrender.com</h1>'
        '<h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>'
        '<noscript><div id="challenge-error-title">Enable JavaScript and cookies to continue'
        "</div></noscript></div></div>"
        f'<div class="footer">Ray ID: <code>{html.escape(ray_id)}</code> '
        "Performance &amp; security by Cloudflare</div></body></html>\n"
    )


def waking_page() -> str:
    """Render the page a sleeping free-tier host shows while it starts.

    Returns:
        A complete HTML document titled ``Service Unavailable``.
    """
    return titled_page(
        "Service Unavailable",
        "This free instance spun down after a period of inactivity and is waking up. "
        "Requests will be served again in a minute; please retry shortly.",
    )


def not_json_page() -> str:
    """Render the site's front page: the HTML a 200 carries instead of JSON.

    Returns:
        A complete HTML document that is not JSON.
    """
    return titled_page("Dynaspark", "Chat with Gemini models, generate images and speech.")
