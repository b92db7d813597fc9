"""Create and disable API keys for server-to-server callers.

    python -m shared.tools.api_keys create --tenant acme --user svc-reporting [--name NAME]
    python -m shared.tools.api_keys disable --key-hash HASH

`create` prints the key once (only its hash is stored, HMAC-SHA256 with HS_API_KEY_PEPPER when
set, so run it with the same environment as the functions) and the hash, which names the
record. A disabled key stops working within a minute (the functions cache lookups that long).

Exit status: 0 done; 2 bad arguments; 1 no such key.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from shared.auth import api_keys
from shared.bootstrap import services
from shared.ports.api_keys import ApiKeyRecord

_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,128}")


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise argparse.ArgumentTypeError("use letters, digits and _.@- (1-128)")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.tools.api_keys")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="mint a key bound to a tenant and service user")
    create.add_argument("--tenant", required=True, type=_name)
    create.add_argument("--user", required=True, type=_name, help="the service user it acts as")
    create.add_argument("--name", default="", help="what the key is for")
    disable = commands.add_parser("disable", help="stop a key from working")
    disable.add_argument("--key-hash", required=True)
    args = parser.parse_args(argv)

    running = services()
    store = running.api_keys
    if args.command == "create":
        key = api_keys.generate()
        key_hash = api_keys.hash_key(key, running.settings.api_key_pepper)
        store.put(
            ApiKeyRecord(
                key_hash=key_hash,
                tenant_id=args.tenant,
                user_id=args.user,
                name=args.name,
                created_at=datetime.now(UTC),
            )
        )
        print(f"key:      {key}\nkey_hash: {key_hash}\n(the key is shown only this once)")
        return 0
    record = store.get(args.key_hash)
    if record is None:
        print(f"no API key with hash {args.key_hash}", file=sys.stderr)
        return 1
    store.put(replace(record, disabled=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
