"""waits: see docs/architecture.md."""
