"""Firebase / Identity Platform adapter: ID tokens verified with Google's public keys."""
