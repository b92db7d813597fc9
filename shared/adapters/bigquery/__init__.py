"""BigQuery adapters; `google-cloud-bigquery` is imported only when one is built."""
