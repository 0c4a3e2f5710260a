"""The coordinator: lifecycle, health and circuit breaking, load balancing, batches, metrics
and alerts. Nothing here imports Textual; the TUI and the REST API read its snapshots and events."""
