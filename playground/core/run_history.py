"""Every training run, remembered: a local history in SQLite (no Qt here; usable from any thread).

A learner experiments: changes one setting, trains again, compares. The history keeps each run
across launches: its design (the hidden layers and the engine's model config), the optimizer and
recipe (``TrainSettings`` as a dict), the seed, the dataset (name and content hash), the curves
(every batch's loss and accuracy, every epoch's logs), the final test metrics, how long it
trained, the engine's version, and the weights at the end of every epoch (epoch 0 is the random
start), each snapshot a compressed ``.npz`` in a BLOB.

Snapshots take room (the chapter's network is 1.6 MB an epoch), so each run has a cap
(``cap_bytes``, a setting kept in the database itself). Past the cap the run is *thinned*,
oldest first: the first and last snapshots always stay, and the snapshot removed is the one
closest to the snapshot kept before it (the earliest on a tie). With room for six, a run of 7
epochs keeps 0, 2, 4, 5, 6, 7: old epochs get sparser while recent ones stay whole, and as the
run goes on the gaps spread evenly over it (0, 2, 4, 6, 7, 8).

Robustness:

* every change is one transaction (WAL journal): a crash mid-write loses at most the run being
  written, and a run still "running" when the history is next opened is marked "interrupted";
* a database that cannot be opened (not a database, damaged, or locked by another program) is
  moved aside with a timestamp in its name (``runs.damaged-20261203-041500.sqlite``), a fresh one
  is started, and ``problem`` says so in the app's words, so the app always starts;
* ``export_csv`` writes atomically (a temporary file, then ``os.replace``).

One connection, shared by the threads that use it under a lock (``check_same_thread=False``):
the recorder writes from a background thread while the Runs panel reads on the UI thread.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.datasets.mnist import data_dir
from engine.serialization import atomic_write_bytes
from playground.core.damaged_files import move_aside

FILE_NAME = "runs.sqlite"
SCHEMA_VERSION = 1
DEFAULT_CAP_BYTES = 100 * 1024 * 1024  # per run: 60 epochs of the chapter's network
RUNNING, INTERRUPTED = "running", "interrupted"
EPOCH_LOG_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    started_at REAL NOT NULL,
    finished_at REAL,
    duration REAL NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'running',
    message TEXT NOT NULL DEFAULT '',
    layers TEXT NOT NULL DEFAULT '[]',
    model_config TEXT NOT NULL DEFAULT '{}',
    settings TEXT NOT NULL DEFAULT '{}',
    seed INTEGER,
    dataset_name TEXT NOT NULL DEFAULT '',
    dataset_hash TEXT NOT NULL DEFAULT '',
    engine_version TEXT NOT NULL DEFAULT '',
    epochs_done INTEGER NOT NULL DEFAULT 0,
    test_loss REAL,
    test_accuracy REAL
);
CREATE TABLE IF NOT EXISTS batches (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    x REAL NOT NULL, epoch INTEGER NOT NULL, batch INTEGER NOT NULL, loss REAL, accuracy REAL
);
CREATE INDEX IF NOT EXISTS batches_by_run ON batches(run_id);
CREATE TABLE IF NOT EXISTS epochs (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL, x REAL, seconds REAL, logs TEXT NOT NULL,
    PRIMARY KEY (run_id, epoch)
);
CREATE TABLE IF NOT EXISTS snapshots (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL, size INTEGER NOT NULL, weights BLOB NOT NULL,
    PRIMARY KEY (run_id, epoch)
);
"""


class HistoryError(Exception):
    """A history operation failed (disk full, a damaged file...); the message is the app's words."""


def default_path() -> Path:
    """``<the app's data folder>/runs.sqlite`` (``PLAYGROUND_DATA_DIR`` moves it, as it moves the rest)."""
    return data_dir() / FILE_NAME


@dataclass
class RunRecord:
    """One run as the history lists it (no curves, no weights: ``curves`` and ``weights_at`` read those)."""

    id: int
    name: str
    note: str
    started_at: float
    finished_at: float | None
    duration: float
    status: str  # "running", "completed", "stopped", "early_stopping", "nan", "error", "interrupted"
    message: str
    layers: list
    model_config: dict
    settings: dict
    seed: int | None
    dataset_name: str
    dataset_hash: str
    engine_version: str
    epochs_done: int
    test_loss: float | None
    test_accuracy: float | None
    snapshot_epochs: list[int] = field(default_factory=list)
    snapshot_bytes: int = 0


@dataclass
class Curves:
    """A run's curves: ``batches`` rows ``(x, epoch, batch, loss, accuracy)`` (epoch 1-based,
    batch 1-based within it, x in epochs of data seen) and ``epochs`` rows
    ``(x, loss, accuracy, val_loss, val_accuracy)`` with ``epoch_numbers`` beside them."""

    batches: np.ndarray
    epoch_numbers: list[int]
    epochs: np.ndarray

    def epoch_logs(self, i: int) -> dict:
        return {key: float(v) for key, v in zip(EPOCH_LOG_KEYS, self.epochs[i, 1:]) if math.isfinite(v)}


def encode_weights(weights: Sequence[np.ndarray]) -> bytes:
    """The arrays as a compressed ``.npz`` (``arr_0``, ``arr_1``... in the model's order)."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, *[np.asarray(w) for w in weights])
    return buffer.getvalue()


def decode_weights(blob: bytes) -> list[np.ndarray]:
    with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
        return [archive[f"arr_{i}"] for i in range(len(archive.files))]


def dataset_hash(*arrays: np.ndarray) -> str:
    """SHA-256 of the arrays' shapes, dtypes and bytes: the same digits give the same hash."""
    import hashlib

    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape};".encode())
        digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()


def thin(epochs: Sequence[int], sizes: Sequence[int], cap: int) -> list[int]:
    """Which snapshot epochs to drop so the rest fit in ``cap`` bytes (see the module docstring).

    The first and last always stay, even if they alone exceed the cap.
    """
    kept = sorted(zip(epochs, sizes))
    total = sum(size for _, size in kept)
    dropped = []
    while total > cap and len(kept) > 2:
        # the middle snapshot closest to the one kept before it; the earliest on a tie
        i = min(range(1, len(kept) - 1), key=lambda j: (kept[j][0] - kept[j - 1][0], kept[j][0]))
        epoch, size = kept.pop(i)
        dropped.append(epoch)
        total -= size
    return dropped


class RunHistory:
    """The runs kept in ``path`` (an SQLite file, created with its folder when missing).

    ``problem`` is "" or a sentence for the learner: the old file could not be used and was moved
    to ``moved_to``. ``timeout`` is how long a locked database is waited for, in seconds.
    """

    def __init__(self, path: str | os.PathLike | None = None, timeout: float = 2.0):
        self.path = Path(path) if path is not None else default_path()
        self.timeout = timeout
        self.problem = ""
        self.moved_to: Path | None = None
        self._lock = threading.RLock()
        self._db = self._open_or_replace()

    # -- opening ---------------------------------------------------------------------------------
    def _open_or_replace(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            return self._in_memory(f"The run history cannot be kept: its folder {self.path.parent} cannot be "
                                   f"created ({error.strerror or error}).")
        try:
            return self._open()
        except sqlite3.Error as error:
            reason = _reason(error)
        self._move_aside(reason)
        if self.moved_to is None:  # it could not be moved: keep it untouched, work in memory
            return self._in_memory(f"The run history could not be opened ({reason}), and the file could not be "
                                   "moved aside, so it was left as it is.")
        try:
            return self._open()
        except sqlite3.Error as error:
            return self._in_memory(f"{self.problem} The new history could not be opened either ({_reason(error)}).")

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        try:
            _prepare(db)
        except BaseException:
            db.close()
            raise
        return db

    def _move_aside(self, reason: str) -> None:
        """Keep the unusable file under another name (never delete it), with its WAL files."""
        try:
            aside = move_aside(self.path)
        except OSError:
            return
        for extra in ("-wal", "-shm"):
            companion = Path(f"{self.path}{extra}")
            if companion.exists():
                try:
                    os.replace(companion, Path(f"{aside}{extra}"))
                except OSError:
                    companion.unlink(missing_ok=True)
        self.moved_to = aside
        self.problem = (f"The run history could not be opened ({reason}). The file was kept as “{aside.name}” "
                        f"in {aside.parent}, and a new, empty history was started.")

    def _in_memory(self, what_happened: str) -> sqlite3.Connection:
        """No file can be used: runs are kept in memory, and ``problem`` says so."""
        self.problem = f"{what_happened} Runs are remembered only until the app closes."
        db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        _prepare(db)
        return db

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self):
        """One atomic change: all of it is written, or none of it (a crash rolls it back)."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise HistoryError(f"The run history cannot be written: {_reason(error)}.") from error
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as error:
                if self._db.in_transaction:  # (SQLite may have rolled back already, e.g. when the disk is full)
                    self._db.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    raise HistoryError(f"The run history cannot be written: {_reason(error)}.") from error
                raise

    def _read(self, sql: str, parameters=()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, parameters).fetchall()
            except sqlite3.Error as error:
                raise HistoryError(f"The run history cannot be read: {_reason(error)}.") from error

    # -- the setting ----------------------------------------------------------------------------------
    @property
    def cap_bytes(self) -> int:
        """At most this many bytes of weight snapshots per run (older epochs thinned beyond it)."""
        rows = self._read("SELECT value FROM meta WHERE key = 'cap_bytes'")
        try:
            return max(0, int(rows[0][0])) if rows else DEFAULT_CAP_BYTES
        except ValueError:
            return DEFAULT_CAP_BYTES

    def set_cap_bytes(self, cap: int) -> None:
        """A new cap, applied at once to every run already kept."""
        cap = max(0, int(cap))
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('cap_bytes', ?)", (str(cap),))
            for (run_id,) in db.execute("SELECT id FROM runs").fetchall():
                self._apply_cap(db, run_id, cap)
        self._give_back_room()

    # -- recording ------------------------------------------------------------------------------------
    def start_run(self, *, name: str = "", layers: list | None = None, settings: dict | None = None,
                  seed: int | None = None, dataset_name: str = "", dataset_hash: str = "",
                  model_config: dict | None = None, engine_version: str = "",
                  started_at: float | None = None) -> int:
        """A new run, "running" until ``finish``; returns its id."""
        settings = dict(settings or {})
        seed = settings.get("seed") if seed is None else seed
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (name, started_at, layers, model_config, settings, seed, dataset_name, "
                "dataset_hash, engine_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, time.time() if started_at is None else started_at, json.dumps(layers or []),
                 json.dumps(model_config or {}), json.dumps(settings, sort_keys=True), seed, dataset_name,
                 dataset_hash, engine_version))
            return int(cursor.lastrowid)

    def add_batch(self, run_id: int, x: float, epoch: int, batch: int, loss: float, accuracy: float) -> None:
        self.add_batches(run_id, [(x, epoch, batch, loss, accuracy)])

    def add_batches(self, run_id: int, rows: Iterable[Sequence[float]]) -> None:
        """Rows of ``(x, epoch, batch, loss, accuracy)`` (epoch and batch 1-based); NaN is kept as NULL."""
        values = [(run_id, float(x), int(e), int(b), _real(loss), _real(acc)) for x, e, b, loss, acc in rows]
        if values:
            with self._transaction() as db:
                db.executemany("INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?)", values)

    def end_epoch(self, run_id: int, epoch: int, logs: dict, weights: Sequence[np.ndarray] | None = None,
                  x: float | None = None, seconds: float | None = None,
                  batches: Iterable[Sequence[float]] = ()) -> None:
        """Epoch ``epoch`` (1-based) ended with ``logs``; ``weights`` as they are now (compressed
        here, before the transaction, so the lock is held only to write). ``batches`` not yet
        written go in the same transaction. An epoch run again (after Stop) replaces its row."""
        blob = encode_weights(weights) if weights is not None else None
        values = [(run_id, float(bx), int(e), int(b), _real(loss), _real(acc)) for bx, e, b, loss, acc in batches]
        logs = {key: float(value) for key, value in (logs or {}).items() if isinstance(value, (int, float))}
        with self._transaction() as db:
            if values:
                db.executemany("INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?)", values)
            db.execute("INSERT OR REPLACE INTO epochs VALUES (?, ?, ?, ?, ?)",
                       (run_id, int(epoch), x, seconds, json.dumps(_finite(logs))))
            db.execute("UPDATE runs SET epochs_done = MAX(epochs_done, ?) WHERE id = ?", (int(epoch), run_id))
            if blob is not None:
                self._store_snapshot(db, run_id, int(epoch), blob)

    def add_weights(self, run_id: int, epoch: int, weights: Sequence[np.ndarray]) -> None:
        """A snapshot outside an epoch's end (epoch 0: the random start)."""
        blob = encode_weights(weights)
        with self._transaction() as db:
            self._store_snapshot(db, run_id, int(epoch), blob)

    def _store_snapshot(self, db, run_id: int, epoch: int, blob: bytes) -> None:
        db.execute("INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?)", (run_id, epoch, len(blob), blob))
        self._apply_cap(db, run_id, self._cap_in(db))

    @staticmethod
    def _cap_in(db) -> int:
        row = db.execute("SELECT value FROM meta WHERE key = 'cap_bytes'").fetchone()
        return max(0, int(row[0])) if row and row[0].isdigit() else DEFAULT_CAP_BYTES

    @staticmethod
    def _apply_cap(db, run_id: int, cap: int) -> None:
        rows = db.execute("SELECT epoch, size FROM snapshots WHERE run_id = ?", (run_id,)).fetchall()
        for epoch in thin([e for e, _ in rows], [s for _, s in rows], cap):
            db.execute("DELETE FROM snapshots WHERE run_id = ? AND epoch = ?", (run_id, epoch))

    def finish(self, run_id: int, metrics: dict | None, reason: str, seconds: float = 0.0, message: str = "") -> None:
        """A fit of this run ended (``reason`` is the engine's stop reason); ``metrics``
        ``{"loss", "accuracy"}`` on the test set, or None; ``seconds`` it trained, added to its duration."""
        metrics = metrics or {}
        with self._transaction() as db:
            db.execute("UPDATE runs SET status = ?, message = ?, finished_at = ?, duration = duration + ?, "
                       "test_loss = ?, test_accuracy = ? WHERE id = ?",
                       (reason, message, time.time(), float(seconds), _real(metrics.get("loss")),
                        _real(metrics.get("accuracy")), run_id))

    def set_test_metrics(self, run_id: int, metrics: dict) -> None:
        with self._transaction() as db:
            db.execute("UPDATE runs SET test_loss = ?, test_accuracy = ? WHERE id = ?",
                       (_real(metrics.get("loss")), _real(metrics.get("accuracy")), run_id))

    def reopen(self, run_id: int) -> None:
        """The run trains on (Continue): "running" again; its test metrics were of older weights."""
        with self._transaction() as db:
            db.execute("UPDATE runs SET status = ?, test_loss = NULL, test_accuracy = NULL WHERE id = ?",
                       (RUNNING, run_id))

    # -- the learner's edits --------------------------------------------------------------------------
    def rename(self, run_id: int, name: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE runs SET name = ? WHERE id = ?", (str(name), run_id))

    def set_note(self, run_id: int, note: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE runs SET note = ? WHERE id = ?", (str(note), run_id))

    def delete(self, run_ids: Iterable[int]) -> None:
        ids = [(int(i),) for i in run_ids]
        with self._transaction() as db:
            for table in ("batches", "epochs", "snapshots"):
                db.executemany(f"DELETE FROM {table} WHERE run_id = ?", ids)
            db.executemany("DELETE FROM runs WHERE id = ?", ids)
        self._give_back_room()

    def _give_back_room(self) -> None:
        """Shrink the file by the pages deleted runs and thinned snapshots left free."""
        with self._lock:
            try:
                self._db.executescript("PRAGMA incremental_vacuum;")  # (execute would free one page a step)
            except sqlite3.Error:  # only room: never worth an error
                pass

    # -- reading -----------------------------------------------------------------------------------------
    def runs(self) -> list[RunRecord]:
        """Every run, oldest first."""
        snapshots: dict[int, tuple[list, int]] = {}
        for run_id, epoch, size in self._read("SELECT run_id, epoch, size FROM snapshots ORDER BY run_id, epoch"):
            epochs, total = snapshots.get(run_id, ([], 0))
            epochs.append(epoch)
            snapshots[run_id] = (epochs, total + size)
        records = [_record(row) for row in self._read(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY id")]
        for record in records:
            record.snapshot_epochs, record.snapshot_bytes = snapshots.get(record.id, ([], 0))
        return records

    def run(self, run_id: int) -> RunRecord | None:
        return next((record for record in self.runs() if record.id == run_id), None)

    def curves(self, run_id: int) -> Curves:
        batches = self._read("SELECT x, epoch, batch, loss, accuracy FROM batches WHERE run_id = ? ORDER BY rowid",
                             (run_id,))
        epochs = self._read("SELECT epoch, x, logs FROM epochs WHERE run_id = ? ORDER BY epoch", (run_id,))
        batch_rows = np.array([[_float(v) for v in row] for row in batches], dtype=float).reshape(-1, 5)
        epoch_rows = np.full((len(epochs), 1 + len(EPOCH_LOG_KEYS)), np.nan)
        for i, (epoch, x, logs) in enumerate(epochs):
            values = json.loads(logs)
            epoch_rows[i] = [_float(x if x is not None else epoch)] + [_float(values.get(k)) for k in EPOCH_LOG_KEYS]
        return Curves(batch_rows, [int(e) for e, _, _ in epochs], epoch_rows)

    def snapshot_epochs(self, run_id: int) -> list[int]:
        return [e for (e,) in self._read("SELECT epoch FROM snapshots WHERE run_id = ? ORDER BY epoch", (run_id,))]

    def weights_at(self, run_id: int, epoch: int) -> list[np.ndarray]:
        """The weights at the end of epoch ``epoch`` (0: the start); KeyError if not kept."""
        rows = self._read("SELECT weights FROM snapshots WHERE run_id = ? AND epoch = ?", (run_id, int(epoch)))
        if not rows:
            raise KeyError(f"run {run_id} keeps no weights for epoch {epoch}")
        return decode_weights(rows[0][0])

    # -- export ---------------------------------------------------------------------------------------------
    def export_csv(self, run_ids: Iterable[int], path: str | os.PathLike) -> Path:
        """One CSV of the runs' curves: a row per batch and per epoch (``kind``), written atomically."""
        path = Path(path)
        names = {record.id: record.name for record in self.runs()}
        text = io.StringIO(newline="")
        writer = csv.writer(text)
        writer.writerow(("run", "name", "kind", "epoch", "batch", "x", *EPOCH_LOG_KEYS))
        for run_id in run_ids:
            curves = self.curves(run_id)
            for x, epoch, batch, loss, accuracy in curves.batches:
                writer.writerow((run_id, names.get(run_id, ""), "batch", int(epoch), int(batch), _csv(x),
                                 _csv(loss), _csv(accuracy), "", ""))
            for epoch, row in zip(curves.epoch_numbers, curves.epochs):
                writer.writerow((run_id, names.get(run_id, ""), "epoch", epoch, "", *(_csv(v) for v in row)))
        atomic_write_bytes(path, text.getvalue().encode("utf-8"))
        return path


# -- helpers ------------------------------------------------------------------------------------------------
_RUN_COLUMNS = ("id, name, note, started_at, finished_at, duration, status, message, layers, model_config, settings, "
                "seed, dataset_name, dataset_hash, engine_version, epochs_done, test_loss, test_accuracy")


def _prepare(db: sqlite3.Connection) -> None:
    """WAL journal, the tables, and runs a crash left "running" marked "interrupted". Raises
    ``sqlite3.Error`` for a file that is not a usable history (damaged, locked, a newer schema)."""
    db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # (a new file only) deleted runs give their room back
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # WAL: a crash keeps every committed transaction but the last few ms
    db.execute("BEGIN IMMEDIATE")  # (not executescript: it would commit after each statement)
    try:
        for statement in filter(str.strip, _SCHEMA.split(";")):
            db.execute(statement)
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None:
            db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif not row[0].isdigit() or int(row[0]) > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"it was written by a newer version (schema {row[0]})")
        db.execute("SELECT count(*) FROM runs").fetchone()
        db.execute("UPDATE runs SET status = ? WHERE status = ?", (INTERRUPTED, RUNNING))
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _record(row) -> RunRecord:
    (run_id, name, note, started, finished, duration, status, message, layers, config, settings, seed,
     dataset_name, dataset_hash_, version, epochs_done, test_loss, test_accuracy) = row
    return RunRecord(run_id, name, note, started, finished, duration, status, message, _json(layers, list),
                     _json(config, dict), _json(settings, dict), seed, dataset_name, dataset_hash_, version,
                     epochs_done, test_loss, test_accuracy)


def _json(text, kind):
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return kind()
    return value if isinstance(value, kind) else kind()


def _real(value) -> float | None:
    """A float for SQLite, or None (NULL) for NaN, infinities and missing values."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _float(value) -> float:
    return float("nan") if value is None else float(value)


def _finite(logs: dict) -> dict:
    return {key: value for key, value in logs.items() if math.isfinite(value)}


def _csv(value) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.6g}"


def _reason(error: sqlite3.Error) -> str:
    """sqlite's words, as a learner can read them."""
    text = str(error)
    if "locked" in text or "busy" in text:
        return "another program is using it (is Neural Playground open twice?)"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return "the file is damaged or is not a run history"
    return text
