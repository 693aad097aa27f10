"""Request and response shapes of the HTTP API (XIn / XOut), one module per area."""
