"""The wire: the pooled session, attempts and retries, bounded bodies, server-sent events,
and the mapping of statuses and aiohttp errors to the error tree."""
