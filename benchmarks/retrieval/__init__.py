"""Retrieval quality: a labelled evaluation set, its scorer, and the `make bench` section."""
