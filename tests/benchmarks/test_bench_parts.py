"""The benchmark's own pieces, without the stack: statistics, the report, the wire counters,
the cost model's arithmetic."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from benchmarks import cost
from benchmarks.report import Report, Section
from benchmarks.stats import Summary, ratio
from benchmarks.wire import CountingProxy, route_of, short_method


def test_summary_quantiles_match_linear_interpolation() -> None:
    summary = Summary.of([4.0, 1.0, 3.0, 2.0, 5.0], "ms")
    assert (summary.median, summary.p25, summary.p75) == (3.0, 2.0, 4.0)
    assert summary.p95 == pytest.approx(4.8)
    assert ratio(Summary.of([6.0], "ms"), Summary.of([3.0], "ms")) == 2.0


def test_summary_refuses_no_samples() -> None:
    with pytest.raises(ValueError):
        Summary.of([], "ms")


def test_missed_target_is_said_in_the_markdown() -> None:
    section = Section("Turns", ["a"], rows=[[1]])
    section.target("ratio", 1.6, 1.3, "x")
    section.target("memory", 10.0, 120.0, " MB")
    markdown = Report(quick=False, sections=[section]).to_markdown()
    assert "Target ratio: 1.6x (limit 1.3x): **MISSED**" in markdown
    assert "Target memory: 10 MB (limit 120 MB): met" in markdown


def test_readme_block_is_replaced_between_its_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- bench:start -->\nold\n<!-- bench:end -->\noutro\n")
    Report(quick=False, sections=[Section("Fresh", ["a"], rows=[[1]])]).update_readme(readme)
    text = readme.read_text()
    assert text.startswith("intro\n<!-- bench:start -->\n") and text.endswith("-->\noutro\n")
    assert "### Fresh" in text and "old" not in text


def test_readme_without_markers_is_an_error(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n")
    with pytest.raises(ValueError):
        Report(quick=False).update_readme(readme, "bench-official")


def test_route_of_blanks_resource_ids() -> None:
    path = "/bigquery/v2/projects/p1/datasets/d/tables/messages/insertAll?prettyPrint=false"
    assert route_of("POST", path) == ("POST /bigquery/v2/projects/*/datasets/*/tables/*/insertAll")
    assert short_method("/google.firestore.v1.Firestore/Commit") == "Firestore.Commit"


@pytest.fixture
def upstream() -> Iterator[ThreadingHTTPServer]:
    class Echo(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            payload = json.dumps({"got": len(body)}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_counting_proxy_forwards_and_counts_requests_and_bytes(
    upstream: ThreadingHTTPServer,
) -> None:
    host, port = upstream.server_address[:2]
    proxy = CountingProxy(str(host), port).start()
    try:
        before = proxy.snapshot()
        for size in (10, 30):
            request = urllib.request.Request(
                f"{proxy.url}/v1/projects/p/tables/t:insert", data=b"x" * size, method="POST"
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert json.load(response) == {"got": size}
        requests, sizes = proxy.since(before)
    finally:
        proxy.stop()
    assert requests == {"POST /v1/projects/*/tables/*:insert": 2}
    assert sizes == {"POST /v1/projects/*/tables/*:insert": 40}


def _measured_report() -> Report:
    turns = Section("turns", ["a"], key="turns")
    turns.data = {
        "documents_per_turn": {
            "reads": 24,
            "writes": 5,
            "pubsub_messages": 2,
            "pubsub_bytes": 1200,
        },
        "in process": {"10": {"median": 30.0}, "10,000": {"median": 40.0}},
    }
    ingest = Section("ingest", ["a"], key="ingest")
    ingest.data = {
        "handler": {
            "seconds_per_delivery": {"median": 0.05},
            "calls_per_message": {"BigQuery insertAll": 1.0},
            "bigquery_bytes_per_message": 700.0,
        }
    }
    return Report(quick=False, sections=[turns, ingest])


def test_cost_model_prices_the_measured_quantities() -> None:
    section = cost.run(_measured_report())
    prices = {k: v["price"] for k, v in cost.load_prices()["prices"].items()}
    by_item = section.data["usd_per_million"]
    assert by_item["Firestore: document reads per message"] == pytest.approx(
        12 * prices["firestore_read_per_100k"] / 100_000 * 1e6
    )
    # The larger session's turn is the one charged: 40 ms per turn, 20 ms per message.
    assert section.data["inputs"]["turn_seconds"] == pytest.approx(0.04)
    assert section.data["total_usd_per_million"] == pytest.approx(sum(by_item.values()))


def test_cost_model_needs_the_measurements() -> None:
    with pytest.raises(RuntimeError, match="turns"):
        cost.run(Report(quick=False))


def test_every_price_has_a_source_and_a_verdict() -> None:
    prices = cost.load_prices()
    assert prices["checked"]
    for name, line in prices["prices"].items():
        assert line["source"] and isinstance(line["verified"], bool), name
        assert line["price"] > 0, name
