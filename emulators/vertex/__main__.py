"""`python -m emulators.vertex --host 127.0.0.1 --port 8095 [--config FILE] [--index ...]`.

Indexes and endpoints are declared like Terraform declares them (see README.md):
  --index projects/p/locations/l/indexes/memory=384,DOT_PRODUCT_DISTANCE
  --deploy projects/p/locations/l/indexEndpoints/ep,memory_v1,projects/p/locations/l/indexes/memory
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import Any

from emulators.vertex.errors import ApiError
from emulators.vertex.server import Server


def parse_index_flag(value: str) -> dict[str, Any]:
    name, sep, spec = value.partition("=")
    parts = spec.split(",") if sep else []
    if not name or not parts or not parts[0].isdigit() or len(parts) > 4:
        raise argparse.ArgumentTypeError(
            "expected NAME=DIMENSIONS[,DISTANCE[,FEATURE_NORM[,UPDATE_METHOD]]]"
        )
    keys = ("distanceMeasureType", "featureNormType", "indexUpdateMethod")
    return {"name": name, "dimensions": int(parts[0]), **dict(zip(keys, parts[1:], strict=False))}


def parse_deploy_flag(value: str) -> tuple[str, str, str]:
    parts = value.split(",")
    if len(parts) != 3 or not all(parts):
        raise argparse.ArgumentTypeError("expected ENDPOINT_NAME,DEPLOYED_INDEX_ID,INDEX_NAME")
    return parts[0], parts[1], parts[2]


def build_config(
    config_file: Path | None, indexes: list[dict[str, Any]], deploys: list[tuple[str, str, str]]
) -> dict[str, Any]:
    config: dict[str, Any] = {"indexes": [], "indexEndpoints": []}
    if config_file is not None:
        loaded = json.loads(config_file.read_text())
        config["indexes"].extend(loaded.get("indexes", []))
        config["indexEndpoints"].extend(loaded.get("indexEndpoints", []))
    config["indexes"].extend(indexes)
    endpoints = {e["name"]: e for e in config["indexEndpoints"]}
    for endpoint, deployed_id, index in deploys:
        entry = endpoints.setdefault(endpoint, {"name": endpoint, "deployedIndexes": []})
        if entry not in config["indexEndpoints"]:
            config["indexEndpoints"].append(entry)
        entry.setdefault("deployedIndexes", []).append({"id": deployed_id, "index": index})
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m emulators.vertex",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8095)
    parser.add_argument("--config", type=Path, help="JSON file with indexes and indexEndpoints")
    parser.add_argument(
        "--index",
        type=parse_index_flag,
        action="append",
        default=[],
        metavar="NAME=DIMS[,DISTANCE[,NORM[,UPDATE_METHOD]]]",
    )
    parser.add_argument(
        "--deploy",
        type=parse_deploy_flag,
        action="append",
        default=[],
        metavar="ENDPOINT,DEPLOYED_ID,INDEX",
    )
    parser.add_argument(
        "--no-preload", action="store_true", help="load the embedding model on first use"
    )
    args = parser.parse_args(argv)
    try:
        config = build_config(args.config, args.index, args.deploy)
        server = Server(args.host, args.port, config=config, preload_model=not args.no_preload)
    except (ApiError, OSError, ValueError) as error:
        print(f"vertex emulator: {error}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"vertex emulator listening on {server.base_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
