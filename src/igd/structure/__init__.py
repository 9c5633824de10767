"""Stage 5 (PROTOCOL §5): per-atom structural features G and S2 (features); rule task in
tasks."""
