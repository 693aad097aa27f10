"""Demo data for a market that looks lived in (idempotent: loading twice adds nothing)."""
