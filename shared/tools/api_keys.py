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
from shared.bootstrap import Services, services
from shared.ports.api_keys import ApiKeyRecord

_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,128}")


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise argparse.ArgumentTypeError("use letters, digits and _.@- (1-128)")
    return value


def create_key(running: Services, tenant: str, user: str, name: str = "") -> tuple[str, str]:
    """Store a new key bound to `tenant`/`user`; return the key (shown once) and its hash."""
    key = api_keys.generate()
    key_hash = api_keys.hash_key(key, running.settings.api_key_pepper)
    running.api_keys.put(
        ApiKeyRecord(
            key_hash=key_hash,
            tenant_id=tenant,
            user_id=user,
            name=name,
            created_at=datetime.now(UTC),
        )
    )
    return key, key_hash


def disable_key(running: Services, key_hash: str) -> bool:
    """Stop a key from working; False when there is no such key."""
    record = running.api_keys.get(key_hash)
    if record is None:
        return False
    running.api_keys.put(replace(record, disabled=True))
    return True


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
    if args.command == "create":
        key, key_hash = create_key(running, args.tenant, args.user, args.name)
        print(f"key:      {key}\nkey_hash: {key_hash}\n(the key is shown only this once)")
        return 0
    if not disable_key(running, args.key_hash):
        print(f"no API key with hash {args.key_hash}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
