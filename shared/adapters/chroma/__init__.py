"""The Chroma adapter (a self-hosted Chroma server, through the chromadb-client package)."""
