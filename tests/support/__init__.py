"""Helpers the tests share: real servers on 127.0.0.1, small images, the CLI, the docs' blocks.

One home per helper: a test file imports what it needs from here (``from support.media import
PNG``) and copies nothing.
"""
