"""hybrid-sessions: conversation memory for LLM apps. The package every Cloud Function imports."""
