"""HTTP controllers: parse, authorise, call one service, answer."""
