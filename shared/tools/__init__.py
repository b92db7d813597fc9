"""Operator commands run with `python -m shared.tools.<name>`."""
