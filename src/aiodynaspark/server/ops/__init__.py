"""What a gateway runs beside its APIs: limits, caller keys, Redis, metrics, readiness,
and the response store."""
