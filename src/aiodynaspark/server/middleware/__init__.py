"""Pure ASGI middleware, one concern per module, in the order the app stacks them."""
