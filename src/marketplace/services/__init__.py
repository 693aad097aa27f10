"""Use cases: each runs inside the caller's one transaction (db.transaction)."""
