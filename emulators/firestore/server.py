"""The Firestore emulator: its state and the in-process gRPC `Server`.

Shaped like Go's pstest: all state lives in `Database` objects keyed by
`projects/{p}/databases/{d}`, behind one lock (`FirestoreState`); `servicer.py` has one method
per RPC, `rpc.py` the gRPC wiring. Errors carry Firestore's gRPC codes; an unexpected exception
becomes INTERNAL (logged with its traceback) and the server keeps serving.
"""

from __future__ import annotations

import logging
import threading
from concurrent import futures

import grpc

from .indexes import IndexConfig
from .listen import Listeners
from .locks import DEFAULT_LOCK_TIMEOUT_S, LockTable
from .rpc import generic_handler
from .servicer import Servicer
from .store import Database
from .transactions import Transactions

log = logging.getLogger("emulators.firestore")

TRANSACTION_LOCKS = ("optimistic", "pessimistic")
"""How read-write transactions isolate: ours (`transactions.py`) or Google's (`locks.py`)."""


class FirestoreState:
    """Every database, the transactions, the index declarations; one lock guards them all."""

    def __init__(
        self,
        index_config: IndexConfig | None = None,
        strict: bool = False,
        lock_timeout_s: float | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.dbs: dict[str, Database] = {}
        locks = None
        if lock_timeout_s is not None:  # pessimistic transactions (locks.py)
            locks = LockTable(threading.Condition(self.lock), lock_timeout_s)
        self.txns = Transactions(locks=locks)
        self.listeners = Listeners()
        self.index_config = index_config
        self.strict = strict
        self.dirty = False
        self.commits = 0

    def db(self, name: str) -> Database:
        d = self.dbs.get(name)
        if d is None:
            d = self.dbs[name] = Database(name)
        return d

    # --- test hooks (like pstest's): not RPCs ------------------------------------------------
    def clear(self) -> None:
        with self.lock:
            self.dbs.clear()


class Server:
    """An in-process emulator: `Server(port=0).start()`, then `address`, then `stop()`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        indexes: str | None = None,
        strict_indexes: bool = False,
        data_dir: str | None = None,
        save_interval_s: float = 30.0,
        transaction_locks: str = "optimistic",
        lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
        max_workers: int = 64,
    ) -> None:
        if transaction_locks not in TRANSACTION_LOCKS:
            raise ValueError(f"transaction_locks must be one of {TRANSACTION_LOCKS}")
        self.host = host
        self.state = FirestoreState(
            IndexConfig(indexes) if indexes else None,
            strict_indexes,
            lock_timeout_s if transaction_locks == "pessimistic" else None,
        )
        if strict_indexes and self.state.index_config is None:
            self.state.index_config = IndexConfig(None)
        self.data_dir = data_dir
        self.save_interval_s = save_interval_s
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="firestore"),
            options=[
                ("grpc.max_receive_message_length", 32 * 1024 * 1024),
                ("grpc.max_send_message_length", 32 * 1024 * 1024),
                ("grpc.so_reuseport", 0),
            ],
        )
        self._server.add_generic_rpc_handlers((generic_handler(Servicer(self.state)),))
        self.port = self._server.add_insecure_port(f"{host}:{port}")
        if not self.port:
            raise OSError(f"cannot listen on {host}:{port}")
        self._stop = threading.Event()
        self._saver: threading.Thread | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> Server:
        if self.data_dir:
            from .persistence import load

            load(self.state, self.data_dir)
            self._saver = threading.Thread(target=self._save_loop, daemon=True)
            self._saver.start()
        self._server.start()
        return self

    def save(self) -> None:
        if self.data_dir:
            from .persistence import save

            save(self.state, self.data_dir)

    def _save_loop(self) -> None:
        while not self._stop.wait(self.save_interval_s):
            if self.state.dirty:
                try:
                    self.save()
                except Exception:
                    log.exception("periodic save failed")

    def stop(self, grace: float | None = 1.0) -> None:
        self._stop.set()
        with self.state.lock:
            self.state.listeners.close_all()
        self._server.stop(grace).wait()
        self.save()

    def wait(self) -> None:
        self._server.wait_for_termination()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
