"""What every API of the gateway stands on: the upstream client, the one chat call,
the chat request shapes, image parts, streamed answers and the exception handlers."""
