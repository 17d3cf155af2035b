"""The sweep store: a sweep's runs kept in plain files that many agents share.

A sweep lives in one directory, ``<root>/<project>/<sweep_id>/``, which can sit
on a laptop's disk or on NFS shared by a cluster.  Every file in it is strict
JSON that a person can read with ``cat``, and every file carries a format
version (see ``docs/store.md`` for the full layout)::

    sweep.json            the sweep: id, project, entity, seed, config, created_at
    state.json            running | paused | stopped | cancelled | finished
    lock                  the claim lock, while someone holds it (see :mod:`.lock`)
    claims/<k>.json       run number k is taken: a hard link to its writer's marker
    journal/<writer>.jsonl  one append-only log per store object: claim, start, beat, log, finish, crash
    journal/<writer>.mark   that writer's marker (one line naming it); .lock: its lock record
    stop/<run_id>.json    a request that the run's agent stop it

The division of labour is what makes it safe without a database:

- **Choosing run k** happens under the lock, and is then made exclusive on its
  own.  The claimer appends the claim (run id, config, agent, lease) to its
  journal, then hard-links its *marker* file to ``claims/<k>.json``; ``link``
  fails if run k is already taken.  Nothing new is created per run (making a
  file is the slowest metadata operation on many file systems): the marker
  exists once per store object, and ``claims/<k>.json`` is only a new name
  for it.  A claim line counts only once confirmed, by the marker of run k
  naming its writer or by a later line of that writer about the run (which
  it writes only after winning); a line whose writer lost the race for k, or
  died before linking, is never a run.  A marker whose line is missing (its
  line was lost in a power cut) still takes its number, and the run appears
  if the line ever does.  A claimer proposes run k only after reading claims
  ``0 .. k-1`` and the lines they point to (appended before the link, so
  already there), so even if a lock were wrongly broken, two agents could
  never both create run k, and a grid point is never proposed twice from the
  same view.
- **Everything after the claim** is appended to the journal of the store
  object that claimed the run.  Each journal has exactly one writer, so
  appends never interleave (``O_APPEND`` is not atomic across NFS clients), and
  no lock is needed to log.  Readers keep a byte offset per journal and read
  only what is new: the cost of a claim does not grow with the sweep.

The store's contract:

- *Atomic.*  ``sweep.json``, ``state.json`` and stop requests are written to a
  temporary file and renamed over the old one; a claim marker's name appears
  only after the claim line it confirms is written.  A journal line is
  either complete or ignored: readers skip a torn final line (and any line
  that is not valid JSON) and never crash on one.
- *Durable.*  :meth:`SweepStore.finish` syncs the journal (``fsync``) before
  it returns, and the journal also holds the run's claim, so a finished run
  survives a power cut: about one ``fsync`` per run.  History rows and
  ``start`` are appended and flushed but not synced: a power cut (not a
  ``kill -9``, which loses nothing that was written) can lose the rows and
  claims of runs that had not finished, and then their run numbers may be
  given out again, or stay unused.
- *Crash-safe.*  ``kill -9`` at any instant leaves a store that loads, with
  every finished run intact.  It can leave behind: a ``lock`` (broken once its
  owner's lease lapses), a run that is ``pending`` or ``running`` (shown as
  ``crashed`` once its lease lapses, and rewritten as ``crashed`` by the next
  agent that claims), a torn last journal line, a claim line that was never
  confirmed (ignored), a writer's ``.mark`` and ``.lock`` files in
  ``journal/``, and stray ``*.tmp`` files, which nothing reads.
- *Full disk.*  Any ``OSError`` while writing (``ENOSPC``) is raised as
  :class:`~.errors.StoreError` with the path and ``errno``; the store stays
  loadable, and a journal whose append failed half way is cut back to its
  last whole line.
- *Shared folders.*  What the store creates takes its permission bits from
  its folder, whatever the umask (a group folder stays usable by the whole
  group); it reads only regular files, without blocking (a stray FIFO or
  directory in ``journal/`` is skipped); it never writes through a symbolic
  link, and refuses a ``journal/``, ``claims/`` or ``stop/`` that is one
  (:mod:`.sharedfs`).
- *Threads, processes, hosts.*  One :class:`SweepStore` may be shared by an
  agent's threads.  Any number of store objects, in any processes on any
  hosts sharing the directory, may work on one sweep.  A :class:`~.runs.Run`
  the store has handed out never changes afterwards (treat it as read-only).
- *Leases.*  A claimed run holds a lease of ``lease_seconds``, renewed by
  :meth:`SweepStore.heartbeat`.  A reader shows a ``pending`` or ``running``
  run as ``crashed`` when its last sign of life, by the writer's clock, is
  older than the lease plus ``clock_skew`` by the reader's clock, or when the
  reader itself has watched it stay silent for a whole lease (on its own
  monotonic clock).  Only the second rule, which no clock skew can fool,
  makes a claiming agent *write* the verdict ``crashed``.  If the run's owner
  turns out to be alive and finishes the run, its own ``finish`` wins.

Ids: sweep ids and run ids are 8 random characters from ``[0-9a-z]``; every
id used in a path (project, sweep id, run id) must match
``[A-Za-z0-9][A-Za-z0-9_.-]{0,63}`` without ``..``, so nothing is ever written
outside the sweep's directory.

Values that JSON cannot hold are tagged, never written as invalid JSON:
``float('nan')`` becomes ``{"__float__": "nan"}``; tuples, sets, bytes and
dates have tags of their own; numpy-like scalars are unwrapped with
``.item()``; anything else is stored as ``{"__repr__": "..."}`` and reads back
as that string.

>>> import tempfile
>>> from minisweep.search import next_config
>>> tmp = tempfile.TemporaryDirectory()
>>> cfg = {"method": "grid", "parameters": {"lr": {"values": [0.1, 0.01]}}}
>>> store = SweepStore.create(tmp.name, "demo", cfg, sweep_id="s1")
>>> propose = lambda runs, index: next_config(cfg, runs, index=index)
>>> run = store.claim("agent-1", propose, lease_seconds=30)
>>> run.index, run.state, run.config
(0, 'pending', {'lr': 0.1})
>>> store.start(run.id)
>>> store.log(run.id, {"loss": float("nan")})
>>> store.log(run.id, {"loss": 0.25})
>>> store.finish(run.id, "finished")
>>> [r.summary for r in SweepStore.open(tmp.name, "demo", "s1").runs()]
[{'loss': 0.25}]
>>> import json
>>> with open(store.path + "/claims/0.json") as f:  # run 0's marker: which writer's journal holds it
...     json.load(f) == {"format": 2, "kind": "minisweep.mark", "writer": store.writer}
True
>>> store.close(); tmp.cleanup()
"""

import base64
import binascii
import datetime
import errno
import json
import math
import os
import re
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from ._compat import date_fromisoformat, datetime_fromisoformat
from .errors import InvalidIdError, RunNotFound, StateError, StoreError, SweepNotFound
from .lock import LeaseLock
from .runs import ACTIVE_STATES, TERMINAL_STATES, Run, is_number, real_number
from .sharedfs import O_NOFOLLOW, NotAFile, check_dir, create_file, make_dir, open_file, read_file

__all__ = [
    "SweepStore",
    "SWEEP_STATES",
    "FORMAT",
    "check_id",
    "check_project",
    "new_id",
    "encode_value",
    "decode_value",
]

#: Format version written into every file (and every journal's header line).
#: 2: ``claims/<k>.json`` is a hard link to its writer's marker; the claim itself is a journal line.
FORMAT = 2

#: The states of a sweep as a whole.
SWEEP_STATES = ("running", "paused", "stopped", "cancelled", "finished")

#: Seconds a reader allows between its clock and a writer's when judging a lease by timestamps.
DEFAULT_CLOCK_SKEW = 2.0

_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
_PROJECT_FORBIDDEN = frozenset("/\\#?%:")
_PROJECT_RULE = "use 1 to 128 characters, none of / \\ # ? % : or a control character, not starting with '.'"
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_TAGS = frozenset(("__float__", "__tuple__", "__set__", "__bytes__", "__datetime__", "__date__",
                   "__repr__", "__dict__"))
_REPR_LIMIT = 10000
_DEPTH_LIMIT = 100


# ------------------------------------------------------------------------------------------- ids


def check_id(kind: str, value: Any) -> str:
    """Return ``value`` if it is a safe id (one path component), else raise.

    >>> check_id("run id", "a1-b.c_d")
    'a1-b.c_d'
    >>> check_id("sweep id", "../x")
    Traceback (most recent call last):
    ...
    minisweep.errors.InvalidIdError: invalid sweep id '../x': use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit, and no '..'

    Raises:
        InvalidIdError: ``value`` is not a string matching
            ``[A-Za-z0-9][A-Za-z0-9_.-]{0,63}``, or contains ``..``.
    """
    if not isinstance(value, str) or not _ID_RE.match(value) or ".." in value:
        raise InvalidIdError(kind, value)
    return value


def check_project(value: Any) -> str:
    """Return ``value`` if W&B would accept it as a project name and it is one safe folder name.

    W&B allows 1 to 128 characters except ``/ \\ # ? % :`` (spaces included:
    ``project="MNIST VAE SWEEP"`` is common); minisweep also refuses control
    characters and a leading ``.`` (so never ``.`` or ``..``), since the name
    is a folder under the store's root.

    >>> check_project("GCNN RNN with input mlp")
    'GCNN RNN with input mlp'
    >>> check_project("a/b")
    Traceback (most recent call last):
    ...
    minisweep.errors.InvalidIdError: invalid project 'a/b': use 1 to 128 characters, none of / \\ # ? % : or a control character, not starting with '.'

    Raises:
        InvalidIdError: ``value`` is not such a string.
    """
    if (not isinstance(value, str) or not 0 < len(value) <= 128 or value.startswith(".")
            or any(c in _PROJECT_FORBIDDEN or ord(c) < 32 or ord(c) == 127 for c in value)):
        raise InvalidIdError("project", value, _PROJECT_RULE)
    return value


def _is_id(name: str) -> bool:
    try:
        check_id("sweep id", name)
    except InvalidIdError:
        return False
    return True


def _is_project(name: str) -> bool:
    try:
        check_project(name)
    except InvalidIdError:
        return False
    return True


def _project_names(root: str, project: Optional[str]) -> List[str]:
    """The project folders under ``root`` to look in (sorted): ``project`` alone, or every valid one.

    Raises:
        InvalidIdError: a bad ``project``.
    """
    if project is not None:
        names = [check_project(project)]
    else:
        try:
            names = sorted(os.listdir(root))
        except OSError:
            return []
    return [name for name in names if _is_project(name)]


def new_id(length: int = 8) -> str:
    """A random id of ``length`` characters from ``[0-9a-z]``, from ``os.urandom``."""
    n = int.from_bytes(os.urandom(16), "big")
    chars = []
    for _ in range(length):
        n, r = divmod(n, 36)
        chars.append(_ALPHABET[r])
    return "".join(chars)


# ------------------------------------------------------------------------------------ JSON values


def encode_value(value: Any) -> Any:
    """A strict-JSON form of ``value``; :func:`decode_value` undoes it.

    >>> encode_value({"loss": float("nan"), "shape": (2, 3), "tags": {"b"}})
    {'loss': {'__float__': 'nan'}, 'shape': {'__tuple__': [2, 3]}, 'tags': {'__set__': ['b']}}
    >>> decode_value(encode_value([float("-inf"), b"\\x00", {"__float__": 1}]))
    [-inf, b'\\x00', {'__float__': 1}]
    >>> encode_value(object())  # doctest: +ELLIPSIS
    {'__repr__': '<object object at 0x...>'}
    """
    return _enc(value, 0)


def _enc(v: Any, depth: int) -> Any:
    if v is None or v is True or v is False:
        return v
    if isinstance(v, str):
        return str(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        if math.isfinite(v):
            return float(v)
        return {"__float__": "nan" if v != v else ("inf" if v > 0 else "-inf")}
    if depth > _DEPTH_LIMIT:
        return {"__repr__": _safe_repr(v)}
    if isinstance(v, dict) or isinstance(v, Mapping):
        out = {}
        for k, x in v.items():
            out[_key(k)] = _enc(x, depth + 1)
        if len(out) == 1 and next(iter(out)) in _TAGS:
            return {"__dict__": out}  # a user's dict that looks like one of our tags
        return out
    if isinstance(v, list):
        return [_enc(x, depth + 1) for x in v]
    if isinstance(v, tuple):
        return {"__tuple__": [_enc(x, depth + 1) for x in v]}
    if isinstance(v, (set, frozenset)):
        items = [_enc(x, depth + 1) for x in v]
        try:
            items.sort(key=_dumps)
        except (TypeError, ValueError):
            pass
        return {"__set__": items}
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"__bytes__": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, datetime.datetime):
        return {"__datetime__": v.isoformat()}
    if isinstance(v, datetime.date):
        return {"__date__": v.isoformat()}
    for name in ("item", "tolist"):  # numpy-like scalars and arrays
        method = getattr(v, name, None)
        if callable(method):
            try:
                plain = method()
            except Exception:
                continue
            if plain is not v and (plain is None or isinstance(plain, (bool, int, float, str, list, tuple, dict))):
                return _enc(plain, depth + 1)
    number = real_number(v)  # Decimal, Fraction, a scalar type with __float__ or __index__
    if number is not None:
        return _enc(number, depth + 1)
    return {"__repr__": _safe_repr(v)}


def _key(k: Any) -> str:
    if isinstance(k, str):
        return str(k)
    if k is None or isinstance(k, (bool, int, float)):
        return json.dumps(k)  # as json.dumps would: true, null, 1, 1.5, NaN
    return _safe_repr(k)


def _safe_repr(v: Any) -> str:
    try:
        text = repr(v)
    except Exception:
        text = "<unrepresentable %s>" % type(v).__name__
    return text if len(text) <= _REPR_LIMIT else text[:_REPR_LIMIT] + "...(truncated)"


def decode_value(value: Any) -> Any:
    """Undo :func:`encode_value` (a ``__repr__`` tag comes back as its string)."""
    if isinstance(value, list):
        return [decode_value(x) for x in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((tag, x),) = value.items()
        if tag in _TAGS:
            try:
                if tag == "__float__" and x in ("nan", "inf", "-inf"):
                    return float(x)
                if tag == "__tuple__" and isinstance(x, list):
                    return tuple(decode_value(i) for i in x)
                if tag == "__set__" and isinstance(x, list):
                    items = [decode_value(i) for i in x]
                    try:
                        return set(items)
                    except TypeError:
                        return items
                if tag == "__bytes__" and isinstance(x, str):
                    return base64.b64decode(x.encode("ascii"), validate=True)
                if tag == "__datetime__" and isinstance(x, str):
                    return datetime_fromisoformat(x)
                if tag == "__date__" and isinstance(x, str):
                    return date_fromisoformat(x)
                if tag == "__repr__" and isinstance(x, str):
                    return x
                if tag == "__dict__" and isinstance(x, dict):
                    return {k: decode_value(i) for k, i in x.items()}
            except (ValueError, TypeError, binascii.Error):
                pass
    return {k: decode_value(x) for k, x in value.items()}


def _dumps(obj: Any, indent: Optional[int] = None) -> str:
    return json.dumps(obj, allow_nan=False, sort_keys=True, indent=indent, ensure_ascii=False)


def _doc_bytes(obj: Dict[str, Any]) -> bytes:
    """A whole-file document: indented for people, keys in the order given (a config stays as written)."""
    try:
        return (json.dumps(obj, allow_nan=False, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(obj, allow_nan=False, indent=2) + "\n").encode("ascii")


def _line(record: Dict[str, Any]) -> bytes:
    """One record as one line of strict JSON (keys in the order given)."""
    text = json.dumps(record, allow_nan=False, ensure_ascii=False)
    try:
        return text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # lone surrogates: fall back to \\u escapes, still valid JSON
        return json.dumps(record, allow_nan=False).encode("ascii") + b"\n"



# ------------------------------------------------------------------------------------ file helpers


def _fsync(fd: int) -> None:
    """``os.fsync``; a module-level name so tests can simulate a failing disk."""
    os.fsync(fd)


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # Windows cannot open directories; its renames are durable enough
        return
    try:
        _fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.EACCES):  # some filesystems refuse
            raise
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:
            raise OSError(errno.EIO, "write returned %d" % n)
        view = view[n:]


def _error(action: str, path: str, exc: OSError) -> StoreError:
    return StoreError("%s %s: %s" % (action, path, exc.strerror or exc), path=path, errno=exc.errno)


def _tmp_name(path: str) -> str:
    head, tail = os.path.split(path)
    return os.path.join(head, ".%s.%s.tmp" % (tail, new_id(12)))


def _write_atomic(path: str, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` by ``data`` all at once: temporary file, (fsync,) rename (, fsync the directory)."""
    tmp = _tmp_name(path)
    try:
        fd = create_file(tmp)
        try:
            _write_all(fd, data)
            if durable:
                _fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        if durable:
            _fsync_dir(os.path.dirname(path))
    except OSError as exc:
        _unlink_quietly(tmp)
        raise _error("cannot write", path, exc) from exc


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _read_bytes(path: str) -> bytes:
    """A regular file's bytes; never blocks, never follows a symbolic link (:mod:`.sharedfs`)."""
    return read_file(path)


class _Damaged(ValueError):
    """A file or line that is not what it should be (readers skip it; :meth:`SweepStore.open` reports it)."""


def _check_format(doc: Any, kind: Any, path: str) -> Dict[str, Any]:
    """``doc`` if it is a ``kind`` record this version can read.

    Raises:
        _Damaged: not such a record.
        StoreError: written by a newer minisweep (mixing versions on one sweep is refused).
    """
    kinds = (kind,) if isinstance(kind, str) else kind
    if not isinstance(doc, dict) or doc.get("kind") not in kinds:
        raise _Damaged("%s is not a %s file" % (path, kinds[0]))
    fmt = doc.get("format")
    if not isinstance(fmt, int) or isinstance(fmt, bool) or fmt < 1:
        raise _Damaged("%s has no valid format version" % path)
    if fmt > FORMAT:
        raise StoreError("%s has format %d; this minisweep reads format %d: upgrade minisweep"
                         % (path, fmt, FORMAT), path=path)
    return doc


def _number(value: Any, default: float = 0.0) -> float:
    """``value`` as a float if it is a usable number (:func:`~.runs.is_number`), else ``default``."""
    return float(value) if is_number(value) else default


# ------------------------------------------------------------------------------------ run records


class _Rec:
    """What a store knows about one run, merged from its claim and the journals."""

    __slots__ = ("id", "index", "config", "agent", "owner", "lease", "claimed_at", "started_at",
                 "last_at", "state", "history", "summary", "error", "wall_time", "finished_at",
                 "pulse", "seen_pulse", "seen_since", "version", "pos", "meta")

    def __init__(self, run_id: str, index: int, config: Dict[str, Any], agent: str, owner: str,
                 lease: float, claimed_at: float) -> None:
        self.id = run_id
        self.index = index
        self.config = config
        self.agent = agent
        self.owner = owner
        self.lease = lease
        self.claimed_at = claimed_at
        self.started_at: Optional[float] = None
        self.last_at = claimed_at
        self.state = "pending"
        self.history: List[Dict[str, Any]] = []
        self.summary: Optional[Dict[str, Any]] = None
        self.error: Optional[str] = None
        self.wall_time: Optional[float] = None
        self.finished_at: Optional[float] = None
        self.pulse = 0          # bumped by every record from the owner: "still alive"
        self.seen_pulse = -1    # the pulse this reader last saw change ...
        self.seen_since = 0.0   # ... and when, on the reader's monotonic clock
        self.version = 0
        self.pos = -1           # position in the store's list of runs (by run number)
        self.meta: Optional[Dict[str, Any]] = None  # name, group, tags, notes, ... (from finish)

    def touch(self, at: Any) -> None:
        self.pulse += 1
        self.version += 1
        self.last_at = max(self.last_at, _number(at, self.last_at))

    def to_run(self, state: str, extra: Optional[Dict[str, Any]] = None) -> Run:
        info: Dict[str, Any] = {"agent": self.agent, "claimed_at": self.claimed_at,
                                "lease_seconds": self.lease, "last_heartbeat": self.last_at}
        if self.started_at is not None:
            info["started_at"] = self.started_at
        if self.finished_at is not None:
            info["finished_at"] = self.finished_at
        if self.error is not None:
            info["error"] = self.error
        if self.wall_time is not None:
            info["wall_time"] = self.wall_time
        if self.meta:
            info.update(self.meta)
        if extra:
            info.update(extra)
        summary = None
        if self.summary is not None:
            summary = {}
            for row in self.history:
                summary.update(row)
            summary.update(self.summary)
        return Run(self.id, state, self.config, history=self.history, summary=summary,
                   index=self.index, info=info)


class _Journal:
    """A reader's position in one writer's journal."""

    __slots__ = ("path", "offset", "writer", "done")

    def __init__(self, path: str) -> None:
        self.path = path
        self.offset = 0
        self.writer: Optional[str] = None
        self.done = False  # closed by its writer, or not a journal: never read again


# ------------------------------------------------------------------------------------------ store


class SweepStore:
    """One sweep's directory: its config, state and runs, shared safely by many agents.

    Build one with :meth:`create` or :meth:`open`, not directly.

    Attributes:
        id, project, entity, seed, config, created_at: from ``sweep.json``
            (``config`` is the sweep config as it was given).
        path: the sweep's directory.
        writer: this object's journal name (``journal/<writer>.jsonl``).
        bytes_read: bytes this object has read from claim and journal files
            (a measure of the incremental cost of :meth:`runs` and :meth:`claim`).
    """

    def __init__(self, path: str, doc: Dict[str, Any], *, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 clock_skew: float = DEFAULT_CLOCK_SKEW) -> None:
        self.path = path
        self.id: str = doc["id"]
        self.project: str = doc["project"]
        self.entity: Optional[str] = doc.get("entity")
        self.seed: Any = doc.get("seed")
        self.config: Dict[str, Any] = decode_value(doc.get("config"))
        self.created_at: float = _number(doc.get("created_at"))
        self.writer = new_id()
        self.bytes_read = 0
        self._clock = clock
        self._monotonic = monotonic
        self._clock_skew = float(clock_skew)
        self._claims_dir = os.path.join(path, "claims")
        self._journal_dir = os.path.join(path, "journal")
        self._stop_dir = os.path.join(path, "stop")
        self._mutex = threading.RLock()        # in-memory state and our journal
        self._claim_mutex = threading.Lock()   # this object's threads take turns to claim
        self._lock = LeaseLock(os.path.join(path, "lock"), {"writer": self.writer},
                               monotonic=monotonic, sleep=sleep, clock=clock,
                               record=os.path.join(self._journal_dir, self.writer + ".lock"))
        self._runs: Dict[str, _Rec] = {}
        self._by_index: Dict[int, _Rec] = {}
        self._taken: Set[int] = set()          # run numbers whose claim file exists but is unreadable
        self._marks: Dict[int, str] = {}       # run numbers claimed (marker seen) whose claim line is not yet read
        self._tentative: Dict[str, Tuple[str, Dict[str, Any]]] = {}  # run id -> (writer, claim) not yet confirmed
        self._tentative_at: Dict[int, List[str]] = {}                # run number -> those run ids
        self._marker: Optional[str] = None      # our marker file (claims/<k>.json are hard links to it)
        self._marker_id: Optional[Tuple[int, int]] = None
        self._order: List[_Rec] = []            # runs by run number ...
        self._list: List[Optional[Run]] = []    # ... and the Run shown for each one that is over
        self._order_dirty = False
        self._changed: Set[_Rec] = set()        # runs whose entry in _list is out of date
        self._active: Set[str] = set()         # ids of pending/running runs with no verdict
        self._verdicts: Dict[str, Dict[str, Any]] = {}
        self._probe = 0                         # next claims/<k>.json to look for
        self._journals: Dict[str, _Journal] = {}
        self._fd: Optional[int] = None          # our journal, opened on first write
        self._good_size = 0                     # its length up to the last whole line
        self._torn = False
        self._closed = False

    # ---------------------------------------------------------------------------- create / open

    @classmethod
    def create(cls, root: Any, project: str, config: Dict[str, Any], *, sweep_id: Optional[str] = None,
               seed: Any = None, entity: Optional[str] = None, clock: Callable[[], float] = time.time,
               **options: Any) -> "SweepStore":
        """Create a new sweep directory and return its store.

        Args:
            root: the store's root directory (created if missing).
            project: the project's name (a safe id).
            config: the sweep config, stored as given.
            sweep_id: the new sweep's id; a random 8-character id if omitted.
            seed: the sweep's seed; a random integer if omitted, so every
                agent draws the same configs for the same run number.
            entity: recorded, not used.
            clock: wall clock (seconds); tests pass a fake one.
            options: ``monotonic``, ``sleep`` and ``clock_skew``, as for :meth:`open`.

        Raises:
            InvalidIdError: a bad project or sweep id.
            StoreError: the sweep id exists already, or the directory cannot be written.
        """
        check_project(project)
        sweep_id = check_id("sweep id", sweep_id) if sweep_id is not None else new_id()
        if not isinstance(config, dict):
            raise TypeError("config must be a dict, got %s" % type(config).__name__)
        if entity is not None and not isinstance(entity, str):
            raise TypeError("entity must be a string or None")
        if seed is None:
            seed = int.from_bytes(os.urandom(4), "big")
        root = os.path.abspath(os.fspath(root))
        project_dir = os.path.join(root, project)
        final = os.path.join(project_dir, sweep_id)
        now = clock()
        doc = {"format": FORMAT, "kind": "minisweep.sweep", "id": sweep_id, "project": project,
               "entity": entity, "seed": encode_value(seed), "config": encode_value(config),
               "created_at": now}
        try:
            os.makedirs(root, exist_ok=True)
            if not os.path.isdir(project_dir):
                try:
                    make_dir(project_dir)  # shared as the root is (see sharedfs)
                except FileExistsError:
                    pass
        except OSError as exc:
            raise _error("cannot create", project_dir, exc) from exc
        if os.path.lexists(final):
            raise StoreError("sweep %r exists already in %s" % (sweep_id, project_dir), path=final,
                             errno=errno.EEXIST)
        # build the whole sweep under a hidden name, then rename it into place: all or nothing
        tmp = os.path.join(project_dir, ".%s.%s.tmp" % (sweep_id, new_id()))
        try:
            make_dir(tmp)
            for sub in ("claims", "journal", "stop"):
                make_dir(os.path.join(tmp, sub))
            _write_atomic(os.path.join(tmp, "sweep.json"), _doc_bytes(doc))
            _write_atomic(os.path.join(tmp, "state.json"), _doc_bytes(
                {"format": FORMAT, "kind": "minisweep.state", "state": "running", "at": now}))
            os.rename(tmp, final)
            _fsync_dir(project_dir)
        except OSError as exc:
            _remove_tree_quietly(tmp)
            if isinstance(exc, StoreError):
                raise
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                raise StoreError("sweep %r exists already in %s" % (sweep_id, project_dir), path=final,
                                 errno=errno.EEXIST) from exc
            raise _error("cannot create the sweep", final, exc) from exc
        return cls(final, doc, clock=clock, **options)

    @classmethod
    def open(cls, root: Any, project: str, sweep_id: str, *, clock: Callable[[], float] = time.time,
             monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
             clock_skew: float = DEFAULT_CLOCK_SKEW) -> "SweepStore":
        """Open an existing sweep.

        Args:
            root, project, sweep_id: where the sweep is.
            clock: wall clock for timestamps and for judging leases by them.
            monotonic: this reader's clock for watching leases and the lock.
            sleep: how to wait for the lock.
            clock_skew: seconds of clock difference between hosts that a
                reader tolerates before it shows a silent run as crashed.

        Raises:
            InvalidIdError: a bad project or sweep id.
            SweepNotFound: no such sweep.
            StoreError: ``sweep.json`` is unreadable or from a newer minisweep.
        """
        check_project(project)
        check_id("sweep id", sweep_id)
        path = os.path.join(os.path.abspath(os.fspath(root)), project, sweep_id)
        doc_path = os.path.join(path, "sweep.json")
        try:
            raw = _read_bytes(doc_path)
        except FileNotFoundError:
            raise SweepNotFound(sweep_id, os.path.join(os.path.abspath(os.fspath(root)), project)) from None
        except OSError as exc:
            raise _error("cannot read", doc_path, exc) from exc
        try:
            doc = json.loads(raw.decode("utf-8"))
            _check_format(doc, "minisweep.sweep", doc_path)
        except (ValueError, UnicodeDecodeError) as exc:
            raise StoreError("%s is damaged: %s" % (doc_path, exc), path=doc_path) from exc
        if doc.get("id") != sweep_id or doc.get("project") != project:
            raise StoreError("%s describes sweep %r of project %r, not %r of %r" % (
                doc_path, doc.get("id"), doc.get("project"), sweep_id, project), path=doc_path)
        return cls(path, doc, clock=clock, monotonic=monotonic, sleep=sleep, clock_skew=clock_skew)

    @staticmethod
    def find(root: Any, sweep_id: str, project: Optional[str] = None) -> List[Tuple[str, str]]:
        """Every ``(project, sweep_id)`` under ``root`` holding this sweep id (sorted).

        Raises:
            InvalidIdError: a bad sweep id or project.
        """
        check_id("sweep id", sweep_id)
        root = os.fspath(root)
        found = []
        for name in _project_names(root, project):
            if os.path.isfile(os.path.join(root, name, sweep_id, "sweep.json")):
                found.append((name, sweep_id))
        return found

    @staticmethod
    def listing(root: Any, project: Optional[str] = None) -> List[Tuple[str, str]]:
        """Every ``(project, sweep_id)`` under ``root`` that may be a sweep (sorted), for ``ls``.

        Only folders whose names are a valid project and sweep id and that hold a
        ``sweep.json``: the hidden ``.<id>.<nonce>.tmp`` folder of a create still
        running (or killed before its rename) is not one, nor is anything else
        that is not a valid id.  A folder may still fail to :meth:`open` (a
        backup copy ``cp -r <id> <id>.bak`` names another sweep; a sweep
        removed meanwhile): the caller skips those.

        Raises:
            InvalidIdError: a bad ``project``.
        """
        root = os.fspath(root)
        found = []
        for name in _project_names(root, project):
            try:
                ids = sorted(os.listdir(os.path.join(root, name)))
            except OSError:  # not a folder, or removed meanwhile
                continue
            for sweep_id in ids:
                if _is_id(sweep_id) and os.path.isfile(os.path.join(root, name, sweep_id, "sweep.json")):
                    found.append((name, sweep_id))
        return found

    # ------------------------------------------------------------------------------ sweep state

    def state(self) -> str:
        """The sweep's state, read afresh: one of :data:`SWEEP_STATES`."""
        path = os.path.join(self.path, "state.json")
        try:
            doc = _check_format(json.loads(_read_bytes(path).decode("utf-8")), "minisweep.state", path)
        except FileNotFoundError:
            return "running"
        except OSError as exc:
            raise _error("cannot read", path, exc) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise StoreError("%s is damaged: %s" % (path, exc), path=path) from exc
        state = doc.get("state")
        return state if state in SWEEP_STATES else "running"

    def set_state(self, state: str) -> None:
        """Set the sweep's state (atomically, durably).

        Raises:
            StateError: ``state`` is not one of :data:`SWEEP_STATES`.
            StoreError: the file cannot be written.
        """
        if state not in SWEEP_STATES:
            raise StateError("sweep state %r is not one of %s" % (state, ", ".join(SWEEP_STATES)), state=state)
        _write_atomic(os.path.join(self.path, "state.json"), _doc_bytes(
            {"format": FORMAT, "kind": "minisweep.state", "state": state, "at": self._clock()}))

    # ------------------------------------------------------------------------------------- runs

    def runs(self) -> List[Run]:
        """Every run of the sweep, by run number, read incrementally.

        A ``pending`` or ``running`` run whose lease has lapsed is shown as
        ``crashed`` (with ``info["lapsed"] = True``) even before an agent
        rewrites it.  The store never modifies a :class:`Run` it has handed
        out (a changed run is a new object), so callers may keep them; they
        are shared between calls, so treat them as read-only.
        """
        with self._mutex:
            self._refresh()
            return self._snapshot()

    def claim(self, agent_id: str, propose: Callable[[List[Run], int], Optional[Dict[str, Any]]], *,
              lease_seconds: float) -> Optional[Run]:
        """Choose and record the sweep's next run, under the lock.

        Under the lock this refreshes the runs, marks runs whose lease has
        lapsed as ``crashed``, and calls ``propose(runs, index)``.  If it
        returns a config, run number ``index`` is recorded as ``pending``,
        owned by this store object, its lease starting now.

        Args:
            agent_id: the agent's name, recorded with the run.
            propose: ``(runs, index) -> config dict or None``; called with the
                lock held, possibly more than once if another agent took
                ``index`` first.
            lease_seconds: the run's lease (and this claim's lock lease).

        Returns:
            The new run, or ``None`` when ``propose`` returns ``None``.

        Raises:
            StoreError: the claim could not be written.  If it was written but
                not journaled, the run stays ``pending`` until its lease lapses.
        """
        if not isinstance(agent_id, str) or not agent_id:
            raise TypeError("agent_id must be a non-empty string")
        lease = _check_lease(lease_seconds)
        self._check_open()
        self._check_dir(self._journal_dir)  # (the lock record and our journal go there)
        self._check_dir(self._claims_dir)
        with self._claim_mutex:
            self._lock.owner["agent"] = agent_id
            self._lock.acquire(lease)
            try:
                with self._mutex:
                    self._refresh()
                    self._judge(agent_id)
                while True:
                    with self._mutex:
                        runs = self._snapshot(shown=False)
                        index = self._probe
                        while index in self._by_index or index in self._taken or index in self._marks:
                            index += 1
                    config = propose(runs, index)
                    if config is None:
                        return None
                    if not isinstance(config, dict):
                        raise TypeError("propose returned %s, not a dict or None" % type(config).__name__)
                    with self._mutex:
                        run_id = new_id()
                        while run_id in self._runs:
                            run_id = new_id()
                    now = self._clock()
                    record = {"format": FORMAT, "kind": "minisweep.claim", "index": index, "run": run_id,
                              "config": encode_value(config), "agent": agent_id, "writer": self.writer,
                              "lease_seconds": lease, "claimed_at": now}
                    if self._write_claim(index, record):
                        break
                    with self._mutex:  # another agent took run number `index`: learn it, propose again
                        self._refresh(wait_for=index)
                with self._mutex:
                    rec = self._add_claim(record)
                    return rec.to_run(rec.state)
            finally:
                self._lock.release()

    def start(self, run_id: str) -> None:
        """Mark a run this store claimed as ``running`` (renews its lease)."""
        with self._mutex:
            rec = self._own(run_id)
            if rec.started_at is not None or rec.finished_at is not None:
                raise StateError("run %r is %s, not pending" % (run_id, rec.state), state=rec.state, run_id=run_id)
            now = self._clock()
            self._append([{"op": "start", "run": run_id, "at": now}])
            if rec.state == "pending":  # (not if another agent has written it off meanwhile)
                rec.state = "running"
            rec.started_at = now
            rec.touch(now)

    def heartbeat(self, run_id: str) -> None:
        """Renew a run's lease: one journal line, synced so other hosts see it."""
        with self._mutex:
            rec = self._own(run_id)
            if rec.finished_at is not None:
                return
            now = self._clock()
            fd = self._append([{"op": "beat", "run": run_id, "at": now}])
            rec.touch(now)
        try:
            _fsync(fd)
        except OSError as exc:
            raise _error("cannot sync", self._journal_path(), exc) from exc

    def log(self, run_id: str, row: Dict[str, Any]) -> None:
        """Append a history row to a run (flushed, not synced); the summary is the last value per key."""
        if not isinstance(row, Mapping):
            raise TypeError("a history row must be a dict, got %s" % type(row).__name__)
        encoded = encode_value(dict(row))
        if "__dict__" in encoded and len(encoded) == 1:
            encoded = encoded["__dict__"]
        with self._mutex:
            rec = self._own(run_id)
            if rec.finished_at is not None:
                raise StateError("run %r is %s: it takes no more rows" % (run_id, rec.state),
                                 state=rec.state, run_id=run_id)
            now = self._clock()
            self._append([{"op": "log", "run": run_id, "row": encoded, "at": now}])
            rec.history.append(_decode_row(encoded))
            rec.touch(now)

    def finish(self, run_id: str, state: str, *, summary: Optional[Dict[str, Any]] = None,
               error: Optional[str] = None, wall_time: Optional[float] = None,
               meta: Optional[Dict[str, Any]] = None) -> None:
        """Give a run its terminal state; synced to disk before returning.

        Args:
            state: one of ``finished``, ``failed``, ``crashed``, ``killed``, ``stopped``.
            summary: values to add to (or override in) the summary.
            error: what went wrong, for ``failed`` runs.
            wall_time: seconds the run took.
            meta: what the run said about itself (``name``, ``group``, ``tags``,
                ``notes``, ``job_type``, ``config_changes``, ``metrics``,
                ``exit_code``); shown in ``Run.info``.

        Raises:
            StateError: ``state`` is not terminal, or the run is finished already.
            StoreError: the journal could not be written or synced; the
                run is then not finished, and ``finish`` may be called again.
        """
        if state not in TERMINAL_STATES:
            raise StateError("%r is not a terminal run state (%s)" % (state, ", ".join(TERMINAL_STATES)),
                             state=state, run_id=run_id)
        enc_summary = None
        if summary is not None:
            if not isinstance(summary, Mapping):
                raise TypeError("summary must be a dict")
            enc_summary = encode_value(dict(summary))
            if "__dict__" in enc_summary and len(enc_summary) == 1:
                enc_summary = enc_summary["__dict__"]
        with self._mutex:
            rec = self._own(run_id)
            if rec.finished_at is not None:  # (a verdict of another agent does not count: the owner's word wins)
                raise StateError("run %r is %s already" % (run_id, rec.state), state=rec.state, run_id=run_id)
            now = self._clock()
            record = {"op": "finish", "run": run_id, "state": state, "at": now}
            if enc_summary is not None:
                record["summary"] = enc_summary
            if error is not None:
                record["error"] = str(error)
            if wall_time is not None:
                record["wall_time"] = _number(wall_time)
            if meta:
                record["meta"] = encode_value(dict(meta))
            fd = self._append([record])
        try:
            _fsync(fd)
        except OSError as exc:
            raise _error("cannot sync", self._journal_path(), exc) from exc
        with self._mutex:
            self._apply_finish(rec, record)

    def request_stop(self, run_id: str, reason: str) -> None:
        """Ask the agent running ``run_id`` to stop it (hyperband, or a cancel)."""
        check_id("run id", run_id)
        doc = {"format": FORMAT, "kind": "minisweep.stop", "run": run_id, "reason": str(reason),
               "at": self._clock(), "host": socket.gethostname(), "pid": os.getpid()}
        self._check_dir(self._stop_dir)
        _write_atomic(os.path.join(self._stop_dir, run_id + ".json"), _doc_bytes(doc), durable=False)

    def stop_requested(self, run_id: str) -> Optional[str]:
        """The reason someone asked for ``run_id`` to stop, or ``None``."""
        check_id("run id", run_id)
        path = os.path.join(self._stop_dir, run_id + ".json")
        try:
            raw = _read_bytes(path)
        except (FileNotFoundError, NotAFile):  # (a stray FIFO or directory there is no request)
            return None
        except OSError as exc:
            raise _error("cannot read", path, exc) from exc
        try:
            reason = json.loads(raw.decode("utf-8")).get("reason")
        except (ValueError, AttributeError, UnicodeDecodeError):
            reason = None
        return reason if isinstance(reason, str) and reason else "stop requested"

    def close(self) -> None:
        """Mark this object's journal closed (readers stop polling it) and let go of the lock."""
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            if self._fd is not None:
                try:
                    self._append([{"op": "close", "at": self._clock()}], closing=True)
                except StoreError:
                    pass
                try:
                    os.close(self._fd)
                except OSError:
                    pass
                self._fd = None
            if self._marker is not None:  # its links under claims/ keep it; only its own name goes
                _unlink_quietly(self._marker)
                self._marker = None
        self._lock.close()

    def __enter__(self) -> "SweepStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return "SweepStore(%r)" % self.path

    # ---------------------------------------------------------------------------- writing (ours)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store of sweep %r is closed" % self.id, path=self.path)

    def _check_dir(self, path: str) -> None:
        """Refuse to write into a folder of the sweep that is a symbolic link (or not a folder)."""
        try:
            check_dir(path)
        except OSError as exc:
            raise _error("cannot write to", path, exc) from exc

    def _own(self, run_id: str) -> _Rec:
        check_id("run id", run_id)
        self._check_open()
        rec = self._runs.get(run_id)
        if rec is None or rec.owner != self.writer:
            raise RunNotFound(run_id, "run %r was not claimed through this store object" % (run_id,))
        return rec

    def _journal_path(self) -> str:
        return os.path.join(self._journal_dir, self.writer + ".jsonl")

    def _open_journal(self) -> int:
        path = self._journal_path()
        header = _line({"format": FORMAT, "kind": "minisweep.journal", "writer": self.writer,
                        "sweep": self.id, "host": socket.gethostname(), "pid": os.getpid(),
                        "created_at": self._clock()})
        self._check_dir(self._journal_dir)
        try:
            fd = create_file(path, os.O_WRONLY | os.O_APPEND)
        except OSError as exc:
            raise _error("cannot create the journal", path, exc) from exc
        try:
            _write_all(fd, header)
            _fsync(fd)
            self._new_marker()
            _fsync_dir(self._journal_dir)  # the files' names must survive a power cut too
        except OSError as exc:
            os.close(fd)
            _unlink_quietly(path)
            raise _error("cannot create the journal", path, exc) from exc
        self._good_size = len(header)
        return fd

    def _new_marker(self) -> None:
        """Create our claim marker ``journal/<writer>.mark`` (synced): what ``claims/<k>.json`` link to."""
        path = os.path.join(self._journal_dir, self.writer + ".mark")
        if self._marker is not None:  # the old one reached its file system's link limit: a new inode
            _unlink_quietly(path)
        self._marker = self._marker_id = None
        fd = create_file(path)
        try:
            _write_all(fd, _line({"format": FORMAT, "kind": "minisweep.mark", "writer": self.writer}))
            _fsync(fd)
            st = os.fstat(fd)
        except OSError:
            os.close(fd)
            _unlink_quietly(path)
            raise
        os.close(fd)
        self._marker, self._marker_id = path, (st.st_dev, st.st_ino)

    def _append(self, records: Sequence[Dict[str, Any]], closing: bool = False, publish: bool = False) -> int:
        """Append whole lines to our journal (called with the mutex held); returns the descriptor.

        ``publish``: write them through a descriptor of their own and close it,
        so that on NFS they reach the server (close-to-open) before we go on.
        """
        if not closing:
            self._check_open()
        if self._fd is None:
            self._fd = self._open_journal()
        fd = self._fd
        data = b"".join(_line(r) for r in records)
        if self._torn:
            self._repair(fd)
        try:
            if publish:
                wfd = os.open(self._journal_path(), os.O_WRONLY | os.O_APPEND | O_NOFOLLOW)
                try:
                    _write_all(wfd, data)
                finally:
                    os.close(wfd)
            else:
                _write_all(fd, data)
        except OSError as exc:
            self._torn = True
            self._repair(fd)
            raise _error("cannot append to", self._journal_path(), exc) from exc
        self._good_size += len(data)
        return fd

    def _repair(self, fd: int) -> None:
        """Cut a half-written line off our journal, or at least end it, so the next line is whole."""
        try:
            os.ftruncate(fd, self._good_size)
            self._torn = False
            return
        except OSError:
            pass
        try:  # cannot cut it: end it, so readers skip just that one damaged line
            n = os.write(fd, b"\n")
            if n == 1:
                self._good_size = os.fstat(fd).st_size
                self._torn = False
        except OSError:
            pass

    def _write_claim(self, index: int, record: Dict[str, Any]) -> bool:
        """Claim run number ``index`` for ``record`` (a claim document); False if somebody has.

        The claim line goes into our journal first (published: on the
        server before anyone can see the marker), then ``claims/<index>.json``
        is made a hard link to our marker.  ``link`` fails if the number is
        taken; the line then stays unconfirmed and readers drop it.
        """
        line = {"op": "claim", "run": record["run"], "index": index, "config": record["config"],
                "agent": record["agent"], "lease_seconds": record["lease_seconds"], "at": record["claimed_at"]}
        with self._mutex:
            self._append([line], publish=True)
        path = os.path.join(self._claims_dir, "%d.json" % index)
        for _ in range(3):
            try:
                if self._marker is None:  # (making a new one failed last time)
                    with self._mutex:
                        self._new_marker()
                os.link(self._marker, path)
                return True
            except FileExistsError:
                return self._is_ours(path)  # an NFS replay of our own link reports EEXIST
            except OSError as exc:
                if self._is_ours(path):
                    return True
                if exc.errno == errno.EMLINK:  # the marker has as many names as its file system allows
                    try:
                        with self._mutex:
                            self._new_marker()
                        continue
                    except OSError as exc2:
                        exc = exc2
                raise _error("cannot claim run number %d in" % index, self._claims_dir, exc) from exc
        raise StoreError("cannot claim run number %d in %s: no marker can be linked" % (index, self._claims_dir),
                         path=self._claims_dir, errno=errno.EMLINK)

    def _is_ours(self, path: str) -> bool:
        try:
            st = os.stat(path)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self._marker_id

    def _judge(self, agent_id: str) -> None:
        """Write ``crashed`` for other agents' runs this reader has watched stay silent for a lease."""
        now = self._monotonic()
        verdicts = []
        for run_id in list(self._active):
            rec = self._runs[run_id]
            if rec.owner != self.writer and now - rec.seen_since >= rec.lease:
                verdicts.append({"op": "crash", "run": run_id, "agent": agent_id, "at": self._clock(),
                                 "reason": "lease lapsed: no sign of life for %.3g s" % (now - rec.seen_since)})
        if verdicts:
            self._append(verdicts)
            for v in verdicts:
                self._apply_verdict(v)

    # -------------------------------------------------------------------------------- reading

    def _refresh(self, wait_for: Optional[int] = None) -> None:
        """Read what is new (called with the mutex held): claim files, then every journal's tail."""
        self._read_claims(wait_for)
        self._read_journals()
        now = self._monotonic()
        for run_id in self._active:
            rec = self._runs[run_id]
            if rec.pulse != rec.seen_pulse:
                rec.seen_pulse, rec.seen_since = rec.pulse, now

    def _read_claims(self, wait_for: Optional[int]) -> None:
        k = self._probe
        waited = 0.0
        while True:
            if k in self._by_index or k in self._taken or k in self._marks:
                k += 1
                continue
            path = os.path.join(self._claims_dir, "%d.json" % k)
            try:
                raw = _read_bytes(path)
            except NotAFile:  # a stray directory, FIFO or symlink: the number stays used, as if damaged
                self._taken.add(k)
                k += 1
                continue
            except FileNotFoundError:
                if wait_for is not None and k <= wait_for and waited < 30.0:
                    # link said it exists; an NFS client may still cache "no such file" briefly
                    time.sleep(0.01)
                    waited += 0.01
                    continue
                break
            except OSError as exc:
                raise _error("cannot read", path, exc) from exc
            self.bytes_read += len(raw)
            try:
                doc = _check_format(json.loads(raw.decode("utf-8")), ("minisweep.mark", "minisweep.claim"), path)
                if doc["kind"] == "minisweep.mark":
                    self._mark(k, check_id("writer", doc["writer"]))
                else:  # format 1: the claim file held the claim itself
                    if doc["index"] != k:
                        raise _Damaged("%s holds run number %r" % (path, doc["index"]))
                    self._add_claim(doc)
            except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
                self._taken.add(k)  # damaged (only a power cut can do that): the number stays used
            k += 1
        self._probe = k

    def _read_journals(self) -> None:
        try:
            names = os.listdir(self._journal_dir)
        except OSError as exc:
            raise _error("cannot list", self._journal_dir, exc) from exc
        mine = self.writer + ".jsonl"
        for name in names:
            if not name.endswith(".jsonl") or name == mine or name.startswith("."):
                continue
            j = self._journals.get(name)
            if j is None:
                j = self._journals[name] = _Journal(os.path.join(self._journal_dir, name))
            if not j.done:
                self._read_journal(j)

    def _read_journal(self, j: _Journal) -> None:
        try:
            fd = open_file(j.path)  # opening revalidates an NFS client's cache
        except FileNotFoundError:
            return
        except NotAFile:  # a directory, FIFO, socket or symlink named like a journal: never read
            j.done = True
            return
        except OSError as exc:
            raise _error("cannot read", j.path, exc) from exc
        try:
            with os.fdopen(fd, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size <= j.offset:
                    return
                f.seek(j.offset)
                data = f.read(size - j.offset)
        except OSError as exc:
            raise _error("cannot read", j.path, exc) from exc
        self.bytes_read += len(data)
        end = data.rfind(b"\n")
        if end < 0:
            return  # only a partial line so far (or a torn last line): look again later
        for raw in data[:end].split(b"\n"):
            if j.writer is None:  # the first line is the header: which writer, which format
                try:
                    header = _check_format(json.loads(raw.decode("utf-8")), "minisweep.journal", j.path)
                    j.writer = check_id("writer", header["writer"])
                    continue
                except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
                    j.done = True  # not a journal of ours: ignore the file
                    return
            try:
                record = json.loads(raw.decode("utf-8"))
                if record.get("op") == "close":
                    j.done = True
                self._apply(record, j.writer)
            except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError, RecursionError):
                continue  # a damaged line (garbage, or cut by a full disk): skip it
        j.offset += end + 1

    def _apply(self, r: Dict[str, Any], writer: str) -> None:
        op = r.get("op")
        if op == "claim":
            self._claim_line(r, writer)
            return
        if op == "crash":
            self._apply_verdict(r)
            return
        rec = self._runs.get(r["run"])
        if rec is None:
            rec = self._confirm(r["run"], writer)
        if rec is None or rec.owner != writer:
            return  # only a run's owner speaks for it
        if op == "start":
            if rec.state == "pending":
                rec.state = "running"
            rec.started_at = _number(r.get("at"), rec.last_at)
            rec.touch(r.get("at"))
        elif op == "beat":
            rec.touch(r.get("at"))
        elif op == "log":
            row = r["row"]
            if isinstance(row, dict):
                rec.history.append(_decode_row(row))
            rec.touch(r.get("at"))
        elif op == "finish":
            if r.get("state") in TERMINAL_STATES:
                self._apply_finish(rec, r)

    def _claim_line(self, r: Dict[str, Any], writer: str) -> None:
        """A ``claim`` line: a run once its marker confirms it, until then a tentative one."""
        run_id = check_id("run id", r["run"])
        index = r["index"]
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise ValueError("bad index")
        if run_id in self._runs or index in self._by_index:
            return  # known, or the number is taken (the first claim read wins)
        doc = {"run": run_id, "index": index, "config": r.get("config"), "agent": r.get("agent"),
               "writer": writer, "lease_seconds": r.get("lease_seconds"), "claimed_at": r.get("at")}
        marked = self._marks.get(index)
        if marked == writer:
            del self._marks[index]
            self._add_claim(doc)
        elif marked is None:  # its marker not seen yet (or its writer lost the race for the number)
            self._tentative[run_id] = (writer, doc)
            self._tentative_at.setdefault(index, []).append(run_id)
        # else: another writer's marker holds the number; this claim lost the race

    def _mark(self, index: int, writer: str) -> None:
        """``claims/<index>.json`` names ``writer``: confirm its claim line, or wait for it."""
        for run_id in self._tentative_at.pop(index, ()):
            owner, doc = self._tentative.pop(run_id)
            if owner == writer and index not in self._by_index:
                self._add_claim(doc)
        if index not in self._by_index:
            self._marks[index] = writer  # the number is taken; the run appears when its line is read

    def _confirm(self, run_id: Any, writer: str) -> Optional[_Rec]:
        """A run's owner wrote about it, so its claim succeeded (its marker may be lost or unread)."""
        tentative = self._tentative.get(run_id) if isinstance(run_id, str) else None
        if tentative is None or tentative[0] != writer:
            return None
        doc = tentative[1]
        index = doc["index"]
        if index in self._by_index or self._marks.get(index, writer) != writer:
            return None
        del self._tentative[run_id]
        self._tentative_at[index].remove(run_id)
        if not self._tentative_at[index]:
            del self._tentative_at[index]
        self._marks.pop(index, None)
        return self._add_claim(doc)

    def _add_claim(self, doc: Dict[str, Any]) -> _Rec:
        run_id = check_id("run id", doc["run"])
        index = doc["index"]
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise ValueError("bad index")
        known = self._runs.get(run_id)
        if known is not None:
            return known
        if index in self._by_index:
            raise ValueError("run number %d is taken" % index)  # the claim file wins over a journal echo
        config = decode_value(doc.get("config"))
        rec = _Rec(run_id, index, config if isinstance(config, dict) else {}, str(doc.get("agent") or ""),
                   str(doc.get("writer") or ""), _check_lease(doc.get("lease_seconds"), 60.0),
                   _number(doc.get("claimed_at")))
        rec.seen_since = self._monotonic()
        rec.seen_pulse = 0
        self._runs[run_id] = rec
        self._by_index[index] = rec
        if self._order and self._order[-1].index > index:
            self._order_dirty = True
        rec.pos = len(self._order)
        self._order.append(rec)
        self._list.append(None)
        self._changed.add(rec)
        if run_id in self._verdicts:
            rec.state = "crashed"
        else:
            self._active.add(run_id)
        return rec

    def _apply_finish(self, rec: _Rec, r: Dict[str, Any]) -> None:
        rec.state = r["state"]
        summary = r.get("summary")
        if isinstance(summary, dict):
            rec.summary = _decode_row(summary)
        rec.error = r.get("error") if isinstance(r.get("error"), str) else None
        rec.wall_time = float(r["wall_time"]) if is_number(r.get("wall_time")) else None
        meta = r.get("meta")
        rec.meta = _decode_row(meta) if isinstance(meta, dict) else None
        rec.finished_at = _number(r.get("at"), rec.last_at)
        rec.touch(r.get("at"))
        self._active.discard(rec.id)
        self._changed.add(rec)

    def _apply_verdict(self, r: Dict[str, Any]) -> None:
        run_id = r["run"]
        if not isinstance(run_id, str):
            raise TypeError("bad run id")
        self._verdicts.setdefault(run_id, r)
        rec = self._runs.get(run_id)
        if rec is not None and rec.state in ACTIVE_STATES:
            rec.state = "crashed"
            rec.version += 1
            self._active.discard(run_id)
            self._changed.add(rec)

    def _snapshot(self, shown: bool = True) -> List[Run]:
        """The runs as a reader should see them (mutex held).

        Runs that are over are kept as ready-made :class:`Run` objects, rebuilt
        (as new objects) only when they change, so a snapshot costs a list
        copy plus the runs still in progress, not a rebuild of every run.

        ``shown=False`` is the view ``propose`` gets: a run is ``crashed`` only
        by a verdict (which only the watching rule writes), never because its
        owner's timestamps look old by this host's clock.  A live run on a host
        whose clock is behind must not look failed to the search, or
        ``retry_failed`` would run its point a second time.
        """
        if self._order_dirty:
            self._order.sort(key=lambda rec: rec.index)
            for pos, rec in enumerate(self._order):
                rec.pos = pos
            self._list = [None] * len(self._order)
            self._changed.update(self._order)
            self._order_dirty = False
        for rec in self._changed:
            if rec.id not in self._active:
                extra = {}
                verdict = self._verdicts.get(rec.id)
                if verdict is not None and rec.state == "crashed" and rec.finished_at is None:
                    extra = {"crashed_by": verdict.get("agent"), "error": verdict.get("reason")}
                self._list[rec.pos] = rec.to_run(rec.state, extra)
        self._changed.clear()
        out = list(self._list)
        if self._active and not shown:
            for run_id in self._active:
                rec = self._runs[run_id]
                out[rec.pos] = rec.to_run(rec.state)
        elif self._active:
            now = self._clock()
            mono = self._monotonic()
            for run_id in self._active:
                rec = self._runs[run_id]
                silent = now - rec.last_at
                watched = mono - rec.seen_since if rec.owner != self.writer else 0.0
                if silent > rec.lease + self._clock_skew or watched >= rec.lease:
                    out[rec.pos] = rec.to_run("crashed", {"lapsed": True, "state_before": rec.state})
                else:
                    out[rec.pos] = rec.to_run(rec.state)
        return out  # type: ignore[return-value]


def _decode_row(row: Dict[str, Any]) -> Dict[str, Any]:
    return {k: decode_value(v) for k, v in row.items()}


def _check_lease(value: Any, default: Optional[float] = None) -> float:
    if is_number(value) and value > 0:
        return float(value)
    if default is not None:
        return default
    raise ValueError("lease_seconds must be a positive number, got %r" % (value,))


def _remove_tree_quietly(path: str) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
