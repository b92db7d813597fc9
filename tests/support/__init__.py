"""Helpers shared by test tiers (servers that stand in for a peer of the code under test)."""
