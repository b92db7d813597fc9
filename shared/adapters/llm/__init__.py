"""LLM providers: Gemini on Vertex AI (default) and any OpenAI-compatible endpoint.

`build_llm` is the one place that picks; each adapter module is imported only when chosen, so a
function configured for one provider never loads the other's client.
"""

from __future__ import annotations

from shared.config import Settings
from shared.ports.llm import LLMProvider


def build_llm(settings: Settings) -> LLMProvider:
    """The provider `settings.llm_provider` names (`HS_LLM_PROVIDER`: vertex | openai)."""
    if settings.llm_provider == "vertex":
        from shared.adapters.llm.vertex import VertexGeminiProvider

        return VertexGeminiProvider.from_settings(settings)
    if settings.llm_provider == "openai":
        from shared.adapters.llm.openai_compat import OpenAICompatibleProvider

        return OpenAICompatibleProvider.from_settings(settings)
    raise ValueError(f"Unknown LLM provider {settings.llm_provider!r}; expected vertex or openai")
