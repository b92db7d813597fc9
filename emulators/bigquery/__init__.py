"""BigQuery emulator: bqemulator (PyPI) started offline; see README.md for its gaps."""
