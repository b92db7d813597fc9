"""`hs`, the command line of the client distribution (`hybrid_sessions.cli.main`)."""
