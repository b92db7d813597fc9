"""`hs` command: talk to a hybrid-sessions API from a terminal.

    hs chat [--session ID] [--json] MESSAGE   one message, the reply on stdout
    hs chat [--session ID]          interactive chat, replies streamed
    hs sessions [--status S]        your sessions, newest first
    hs show SESSION_ID              one session and its messages
    hs search QUERY [--session ID]  search your history by meaning
    hs similar SESSION_ID           your conversations most like this one
    hs analytics [--since --until --granularity --scope]
    hs status                       which features are live or degraded

The API URL and token come from HS_API_URL and HS_API_TOKEN (or --url / --token).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TextIO

import httpx

from hybrid_sessions.agent import ConversationAgent
from hybrid_sessions.cli.render import bars, table
from hybrid_sessions.client import HybridSessionsClient
from hybrid_sessions.config import ClientConfig
from hybrid_sessions.errors import ApiError
from hybrid_sessions.version import API_VERSION, __version__


def main(
    argv: Sequence[str] | None = None, out: TextIO = sys.stdout, stdin: TextIO | None = None
) -> int:
    args = _parser().parse_args(argv)
    config = ClientConfig.from_env()
    token = args.token or config.api_token
    if not token:
        print("error: no token: set HS_API_TOKEN or pass --token", file=sys.stderr)
        return 2
    args.stdin = stdin or sys.stdin
    client = HybridSessionsClient(args.url or config.api_url, token)
    try:
        return int(args.run(client, args, out) or 0)
    except ApiError as error:
        print(f"error: {error.status} {error.code}: {error.message}", file=sys.stderr)
        return 1
    except httpx.TransportError as error:
        print(f"error: cannot reach {client.base_url}: {error}", file=sys.stderr)
        return 1
    finally:
        client.close()


def _chat(client: HybridSessionsClient, args: argparse.Namespace, out: TextIO) -> None:
    agent = ConversationAgent(client=client, session_id=args.session)
    if args.message:
        _one_shot(agent, " ".join(args.message), args.json, out)
        return
    interactive = args.stdin.isatty()
    if interactive:
        print("Type a message; an empty line or Ctrl-D ends the chat.", file=out)
    for message in _lines(args.stdin, "you> " if interactive else None):
        for delta in agent.chat_stream(message):
            out.write(delta)
            out.flush()
        out.write("\n")
    if agent.session_id:
        print(f"session: {agent.session_id}", file=sys.stderr if not interactive else out)


def _one_shot(agent: ConversationAgent, message: str, as_json: bool, out: TextIO) -> None:
    """The reply alone on stdout (scripts pipe it); the session id on stderr."""
    reply = agent.chat(message)
    if as_json:
        print(json.dumps(agent.last_response, indent=2), file=out)
    else:
        print(reply, file=out)
    print(f"session: {agent.session_id}", file=sys.stderr)


def _lines(stdin: TextIO, prompt: str | None) -> Iterator[str]:
    """Messages until an empty line or end of input; `input()` (line editing) on a terminal."""
    while True:
        try:
            line = input(prompt) if prompt is not None else stdin.readline()
        except EOFError:
            return
        if not line.strip():
            return
        yield line.strip()


def _sessions(client: HybridSessionsClient, args: argparse.Namespace, out: TextIO) -> None:
    page = client.list_sessions(status=args.status, page_size=args.limit)
    columns = ["session_id", "title", "status", "message_count", "updated_at"]
    print(table(page["sessions"], columns), file=out)


def _show(client: HybridSessionsClient, args: argparse.Namespace, out: TextIO) -> None:
    session = client.get_session(args.session_id)
    print(f"{session['session_id']}  {session.get('title') or '(untitled)'}", file=out)
    print(f"status {session['status']}, {session['message_count']} messages", file=out)
    for message in client.iter_messages(args.session_id):
        print(f"[{message['seq']}] {message['role']}: {message['content']}", file=out)


def _search(client: HybridSessionsClient, args: argparse.Namespace, out: TextIO) -> None:
    answer = client.search(args.query, session_id=args.session, limit=args.limit)
    if answer.get("degraded"):
        print(f"(degraded: {answer.get('reason', 'keyword fallback')})", file=out)
    columns = ["score", "session_id", "role", "created_at", "content"]
    print(table(answer["results"], columns, width=50), file=out)


def _similar(client: HybridSessionsClient, args: argparse.Namespace, out: TextIO) -> None:
    answer = client.similar_sessions(args.session_id, limit=args.limit)
    print(table(answer["sessions"], ["score", "session_id", "title", "sample"]), file=out)


def _analytics(client: HybridSessionsClient, args: argparse.Namespace, out: TextIO) -> None:
    answer = client.analytics(
        since=args.since, until=args.until, granularity=args.granularity, scope=args.scope
    )
    totals: Mapping[str, Any] = answer["totals"]
    print(table([totals], list(totals)), file=out)
    series = answer.get("series", [])
    if series:
        print("\nmessages over time", file=out)
        print(bars([(str(p.get("period")), float(p.get("messages", 0))) for p in series]), file=out)


def _status(client: HybridSessionsClient, args: argparse.Namespace, out: TextIO) -> None:
    answer = client.status()
    rows = [{"feature": name, **info} for name, info in answer.get("features", {}).items()]
    print(table(rows, ["feature", "state", "reason"]), file=out)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hs", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--version", action="version", version=f"hs {__version__} (API {API_VERSION})"
    )
    parser.add_argument("--url", help="API base URL (default: HS_API_URL)")
    parser.add_argument("--token", help="bearer token (default: HS_API_TOKEN)")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    chat = commands.add_parser("chat", help="send one message, or chat interactively")
    chat.add_argument("message", nargs="*", help="the message; none: read messages from stdin")
    chat.add_argument("--session", help="continue this session")
    chat.add_argument("--json", action="store_true", help="one message: print the whole answer")
    chat.set_defaults(run=_chat)

    sessions = commands.add_parser("sessions", help="list your sessions")
    sessions.add_argument("--status", choices=["active", "archived"])
    sessions.add_argument("--limit", type=int, default=20)
    sessions.set_defaults(run=_sessions)

    show = commands.add_parser("show", help="show a session and its messages")
    show.add_argument("session_id")
    show.set_defaults(run=_show)

    search = commands.add_parser("search", help="search your history by meaning")
    search.add_argument("query")
    search.add_argument("--session")
    search.add_argument("--limit", type=int, default=10)
    search.set_defaults(run=_search)

    similar = commands.add_parser("similar", help="conversations like this one")
    similar.add_argument("session_id")
    similar.add_argument("--limit", type=int, default=5)
    similar.set_defaults(run=_similar)

    analytics = commands.add_parser("analytics", help="activity, tokens, latency")
    analytics.add_argument("--since")
    analytics.add_argument("--until")
    analytics.add_argument("--granularity", choices=["hour", "day", "week"], default="day")
    analytics.add_argument(
        "--scope", choices=["user", "tenant"], help="tenant: everyone's (admin role only)"
    )
    analytics.set_defaults(run=_analytics)

    status = commands.add_parser("status", help="which features are live")
    status.set_defaults(run=_status)
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
