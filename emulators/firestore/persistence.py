"""Optional persistence: every database's live documents to one file in a directory.

`load` runs on start, `save` on a clean stop (SIGTERM / SIGINT) and periodically while there
are unsaved writes. The file holds one JSON line per document: the database name and the
serialized `google.firestore.v1.Document` (base64), which carries its create and update times.
Transactions and version history are not saved.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from typing import TYPE_CHECKING

from .paths import parse_document_name
from .store import Doc, ts_to_us
from .values import Document

if TYPE_CHECKING:
    from .server import FirestoreState

FILE_NAME = "firestore-documents.jsonl"


def save(state: FirestoreState, data_dir: str) -> None:
    os.makedirs(data_dir, exist_ok=True)
    with state.lock:
        lines = [
            json.dumps({"db": name, "doc": base64.b64encode(d.pb.SerializeToString()).decode()})
            for name, db in sorted(state.dbs.items())
            for d in db.all_docs()
        ]
        state.dirty = False
    fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".firestore-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + ("\n" if lines else ""))
    os.replace(tmp, os.path.join(data_dir, FILE_NAME))


def load(state: FirestoreState, data_dir: str) -> int:
    path = os.path.join(data_dir, FILE_NAME)
    if not os.path.exists(path):
        return 0
    n = 0
    with state.lock, open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            entry = json.loads(line)
            pb = Document.FromString(base64.b64decode(entry["doc"]))
            db = state.db(entry["db"])
            _, doc_path = parse_document_name(pb.name, entry["db"])
            doc = Doc(doc_path, pb, ts_to_us(pb.create_time), ts_to_us(pb.update_time))
            db.put(doc_path, doc, doc.update_us)
            db.last_commit_us = max(db.last_commit_us, doc.update_us)
            n += 1
    return n
