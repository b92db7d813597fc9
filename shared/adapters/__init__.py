"""Adapters: implementations of the ports against real services; the only modules that import
Google clients."""
