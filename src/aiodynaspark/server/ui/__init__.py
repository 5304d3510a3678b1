"""The chat page: its static files beside this package, and how they are served."""
