"""`hs`: the command-line interface for people (chat, sessions, search, analytics)."""
