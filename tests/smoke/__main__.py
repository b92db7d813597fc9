"""Run the smoke suite: `make smoke [ARGS="..."]`.

    python -m tests.smoke                                  # against a local stack it starts
    python -m tests.smoke --outputs infra/envs/dev/outputs.json --run-id BUILD_ID

With `--outputs` (`terraform output -json` of an environment root) it checks that deployment:
it takes the functions' settings from `env_vars`, reads the API key pepper from Secret Manager
with the caller's credentials, mints two API keys for the users `smoke-user` and `smoke-other`
of the tenant `smoke-<run id>`, runs tests/smoke against `api_url` with them, and disables the
keys whatever happened (the suite itself erases the two users). Exit status: pytest's; 5 ("no
tests ran") is turned into a failure, never a pass.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

SUITE = Path(__file__).resolve().parent


def _secret(project: str, secret: str) -> str:
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    url = (
        "https://secretmanager.googleapis.com/v1/"
        f"projects/{project}/secrets/{secret}/versions/latest:access"
    )
    response = AuthorizedSession(credentials).get(url, timeout=30)
    response.raise_for_status()
    return base64.b64decode(response.json()["payload"]["data"]).decode()


@contextmanager
def _deployment(outputs: Path, run_id: str) -> Iterator[None]:
    values = {k: v["value"] for k, v in json.loads(outputs.read_text(encoding="utf-8")).items()}
    os.environ.update(values["env_vars"])
    pepper_secret = values.get("api_key_pepper_secret")
    if pepper_secret:
        os.environ["HS_API_KEY_PEPPER"] = _secret(os.environ["GOOGLE_CLOUD_PROJECT"], pepper_secret)

    from shared.bootstrap import services
    from shared.tools import api_keys

    running = services()
    tenant = f"smoke-{run_id}"
    minted = [
        api_keys.create_key(running, tenant, user, "smoke suite")
        for user in ("smoke-user", "smoke-other")
    ]
    os.environ["HS_SMOKE_API_URL"] = values["api_url"]
    os.environ["HS_SMOKE_TOKEN"], os.environ["HS_SMOKE_OTHER_TOKEN"] = (k for k, _ in minted)
    try:
        yield
    finally:
        for _, key_hash in minted:
            api_keys.disable_key(running, key_hash)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.smoke", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--outputs", type=Path, help="terraform output -json of the deployment")
    parser.add_argument("--run-id", default=uuid.uuid4().hex[:12], help="names the smoke tenant")
    args, pytest_args = parser.parse_known_args(argv)
    run = [str(SUITE), "-p", "no:randomly", *pytest_args]
    if args.outputs is None:
        code = pytest.main(run)
    else:
        with _deployment(args.outputs, args.run_id.lower()):
            code = pytest.main(run)
    return 1 if code == pytest.ExitCode.NO_TESTS_COLLECTED else int(code)


if __name__ == "__main__":
    sys.exit(main())
