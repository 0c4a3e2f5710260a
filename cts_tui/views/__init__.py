"""Frozen views that a lower layer publishes and the faces read: stream state (from `streams`)
and rate-limit usage (from `ratelimit`). They sit on the ground floor so that the TUI and the
REST API can name them without importing the layers that build them."""
