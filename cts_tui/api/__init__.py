"""The REST API: the specification's endpoints over the coordinator, Prometheus metrics, health
and openapi.json, safe by default (loopback, bearer token, validated bodies, masked secrets)."""
