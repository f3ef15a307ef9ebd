"""Read models: read-only queries across owners for what people read (never a write)."""
