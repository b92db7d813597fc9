"""Turns through LangChain's FirestoreChatMessageHistory, timed; run in the peer's own venv.

Its pins (`requirements.txt` here) conflict with ours, so `make bench` installs it into
`.venv-peer` and runs this script there against the same Firestore emulator. A turn is what
a LangChain app does per exchange: load the history, add the user message, add the reply.
Prints one JSON object: {"sizes": {size: {"seconds": [...], "error": str|null}}}.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid

from google.cloud import firestore
from langchain_core.messages import AIMessage, HumanMessage
from langchain_google_firestore import FirestoreChatMessageHistory
from langchain_google_firestore.chat_message_history import encode_messages


def seed(client: firestore.Client, collection: str, session_id: str, size: int) -> None:
    messages = []
    for i in range(size // 2):
        messages.append(HumanMessage(content=f"question {i} about the quarterly report"))
        messages.append(AIMessage(content=f"answer {i}: the figures are in section {i % 7}"))
    client.collection(collection).document(session_id).set({"messages": encode_messages(messages)})


def turn(client: firestore.Client, collection: str, session_id: str, i: int) -> None:
    history = FirestoreChatMessageHistory(session_id, collection=collection, client=client)
    history.add_user_message(f"follow-up question {i}")
    history.add_ai_message(f"follow-up answer {i}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", required=True)
    parser.add_argument("--sizes", default="10,1000,5000")
    parser.add_argument("--turns", type=int, default=10)
    args = parser.parse_args()
    client = firestore.Client(project=args.project)
    collection = "ChatHistory"
    results: dict[str, dict] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        session_id = uuid.uuid4().hex
        samples: list[float] = []
        error = None
        try:
            seed(client, collection, session_id, size)
            for i in range(args.turns):
                start = time.perf_counter()
                turn(client, collection, session_id, i)
                samples.append(time.perf_counter() - start)
        except Exception as exc:  # a peer failure is a finding to report, not a crash
            error = f"{type(exc).__name__}: {str(exc)[:200]}"
        results[str(size)] = {"seconds": samples, "error": error}
    print(json.dumps({"sizes": results}))


if __name__ == "__main__":
    main()
