"""The local Cloud Scheduler calls the reconciler, as Cloud Scheduler does in the cloud."""

from __future__ import annotations

import requests


def test_scheduler_runs_the_reconciler_job_on_demand(stack) -> None:
    if not stack.has("scheduler"):
        raise AssertionError("the stack has a reconciler, so it must schedule it")
    answer = requests.post(f"{stack.url('scheduler')}/jobs/reconciler:run", timeout=120)
    assert answer.status_code == 200
    assert answer.json()["status"] == 200, answer.json()
    jobs = requests.get(stack.url("scheduler"), timeout=10).json()
    assert jobs["reconciler"]["runs"] >= 1
    assert jobs["reconciler"]["url"] == f"{stack.url('reconciler')}/"


def test_unknown_job_is_404(stack) -> None:
    answer = requests.post(f"{stack.url('scheduler')}/jobs/nope:run", timeout=10)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
