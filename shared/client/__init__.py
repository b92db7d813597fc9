"""Python client for the hybrid-sessions HTTP API, and the agent wrapper apps already call."""

from shared.client.agent import ConversationAgent
from shared.client.http_client import ApiError, HybridSessionsClient

__all__ = ["ApiError", "ConversationAgent", "HybridSessionsClient"]
