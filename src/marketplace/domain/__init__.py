"""Pure rules of the market: no web, no database, no queue."""
