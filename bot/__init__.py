"""Chat-facing layer: router, parsing, dialogs, message catalogue, adapters and the CLI."""
