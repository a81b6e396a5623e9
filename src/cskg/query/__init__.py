"""Asking the graph: query text and the library, engines (embedded and remote), result formats,
pushing to triple stores, and the views built on queries (describe, stats)."""
