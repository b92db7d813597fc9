"""Ports: the small interfaces services depend on. Adapters in `shared.adapters` implement them."""
