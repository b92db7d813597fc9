"""Vertex AI adapters (embeddings through google-genai, Vector Search through the generated
`aiplatform_v1` clients); each imports its client library only when built."""
