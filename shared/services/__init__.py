"""Use cases: they speak to ports only, never to a Google client."""
