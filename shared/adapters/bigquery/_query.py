"""One way to run a parameterised query, bounded in time, for every BigQuery adapter."""

from __future__ import annotations

from typing import Any


def run_query(client: Any, sql: str, params: list[Any], timeout_s: float) -> Any:
    """Rows of `sql` run with named `params`; raises the client's exceptions.

    The request retry is bounded by `timeout_s`, and there is no job retry: its default
    restarts a job whose connection was refused for ten minutes, far past any caller's patience
    (an HTTP request, or an event delivery that Pub/Sub would rather redeliver). jobs.insert is
    used rather than query_and_wait: the local emulator's jobs.query answers no rows instead of
    an error for a missing table.
    """
    from google.cloud import bigquery
    from google.cloud.bigquery import DEFAULT_RETRY

    config = bigquery.QueryJobConfig(query_parameters=params, use_legacy_sql=False)
    retry = DEFAULT_RETRY.with_deadline(timeout_s)
    job = client.query(sql, job_config=config, retry=retry, timeout=timeout_s, job_retry=None)
    return job.result(retry=retry, timeout=timeout_s, job_retry=None)
