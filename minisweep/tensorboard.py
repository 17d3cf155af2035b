"""TensorBoard scalars, read from event files in pure Python (no TensorFlow, no protobuf package).

Many programs report only through TensorBoard: plain PyTorch with
``torch.utils.tensorboard.SummaryWriter``, stable-baselines3, Keras' TensorBoard
callback, W&B users with ``wandb.init(sync_tensorboard=True)``.  An event file
(``events.out.tfevents.<time>.<host>...``) is a TFRecord file: a sequence of
records, each framed as

=========  =======================================================
8 bytes    the data's length, little-endian
4 bytes    masked CRC-32C of those 8 bytes
n bytes    the data: one serialized ``Event`` protocol buffer
4 bytes    masked CRC-32C of the data
=========  =======================================================

where the mask is ``((crc >> 15 | crc << 17) + 0xa282ead8) mod 2**32``
(tensorflow/tsl ``lib/hash/crc32c.h``).  Of an ``Event`` this module reads
``step`` (field 2) and ``summary`` (5); of each ``Summary.Value`` the ``tag``
(1) and either ``simple_value`` (2, what ``SummaryWriter.add_scalar`` writes) or
a one-element ``tensor`` (8) whose ``metadata`` (9) names the ``scalars``
plugin (what TF2's ``tf.summary.scalar``, ``tensorboard.summary.Writer`` and
``add_scalar(..., new_style=True)`` write), as float, double, half, bfloat16 or
integer, in ``float_val``/``double_val``/... or ``tensor_content``.  Histograms,
images and text are skipped.

A reader keeps its offset, so a file that is still being written is read
incrementally: a record not yet complete is left for the next call.  A record
whose data fails its CRC is skipped and counted; a length that fails its CRC
means the framing is lost, so the rest of that file is skipped (TensorBoard
does the same), and ``problems`` says so.

>>> import io, struct
>>> event = b"\\x10\\x03" + b"\\x2a\\x0b" + b"\\x0a\\x09" + b"\\x0a\\x02lr" + b"\\x15" + struct.pack("<f", 0.5)
>>> framed = record(event)
>>> reader = EventFileReader(io.BytesIO(framed[:20]))
>>> reader.read(), reader.offset                     # half a record: nothing yet
([], 0)
>>> reader.source = io.BytesIO(framed); reader.read()
[Scalar(step=3, tag='lr', value=0.5)]
>>> crc32c(b"123456789") == 0xE3069283                # the standard check value
True

Which files belong to a run (see :class:`Watcher`): the agent watches the
run's own directory (``$MINISWEEP_RUN_DIR``, handed to the program) and the
directories given with ``--tensorboard DIR`` (``{run_id}`` in DIR is replaced
by the run's id; without it, only event files that appear after the run
started are the run's).  Inside a program, :func:`follow` reads new event files
in a thread and passes their rows to a ``log`` function — what
``wandb.init(sync_tensorboard=True)`` uses.
"""

import os
import struct
import threading
import time
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Tuple

__all__ = ["crc32c", "masked_crc32c", "record", "Scalar", "EventFileReader", "find_event_files", "Watcher",
           "follow", "rows_from_scalars"]


# ----------------------------------------------------------------------------- CRC-32C

def _table() -> List[int]:
    poly = 0x82F63B78  # the Castagnoli polynomial, bit-reversed
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _table()
# "slicing by 8": table k gives the CRC of a byte followed by k zero bytes, so 8 bytes take one step
_SLICES = [_TABLE]
for _k in range(7):
    _SLICES.append([(c >> 8) ^ _TABLE[c & 0xFF] for c in _SLICES[-1]])
del _k


def _crc32c_bytewise(data: bytes, crc: int = 0) -> int:
    """CRC-32C one byte a step: the plain table-driven form (the tests check the fast one against it)."""
    table = _TABLE
    crc ^= 0xFFFFFFFF
    for byte in bytearray(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def crc32c(data: bytes, crc: int = 0) -> int:
    """CRC-32C (Castagnoli) of ``data``: table-driven, eight bytes a step, then the rest one at a time."""
    t0, t1, t2, t3, t4, t5, t6, t7 = _SLICES
    crc ^= 0xFFFFFFFF
    whole = len(data) - len(data) % 8
    for lo, hi in struct.iter_unpack("<II", data[:whole]):
        lo ^= crc
        crc = (t7[lo & 255] ^ t6[(lo >> 8) & 255] ^ t5[(lo >> 16) & 255] ^ t4[lo >> 24]
               ^ t3[hi & 255] ^ t2[(hi >> 8) & 255] ^ t1[(hi >> 16) & 255] ^ t0[hi >> 24])
    for byte in bytearray(data[whole:]):
        crc = t0[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """The CRC TFRecord stores: rotated right by 15 bits, plus a constant."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(data: bytes) -> bytes:
    """``data`` framed as one TFRecord record (for tests and tools)."""
    head = struct.pack("<Q", len(data))
    return head + struct.pack("<I", masked_crc32c(head)) + data + struct.pack("<I", masked_crc32c(data))


# ----------------------------------------------------------------------------- protobuf, the few fields needed

def _varint(buf: bytes, i: int) -> Tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(buf: bytes) -> Iterable[Tuple[int, int, Any]]:
    """(field number, wire type, value) of each field of a message; bytes for length-delimited ones."""
    i, n = 0, len(buf)
    while i < n:
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 2:
            size, i = _varint(buf, i)
            value, i = buf[i:i + size], i + size
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        if i > n:
            raise ValueError("truncated field")
        yield field, wire, value


_DT_FLOAT, _DT_DOUBLE, _DT_INT32, _DT_UINT8, _DT_INT16, _DT_INT8, _DT_INT64 = 1, 2, 3, 4, 5, 6, 9
_DT_BFLOAT16, _DT_HALF = 14, 19
_CONTENT = {_DT_FLOAT: "<f", _DT_DOUBLE: "<d", _DT_INT32: "<i", _DT_UINT8: "<B", _DT_INT16: "<h", _DT_INT8: "<b",
            _DT_INT64: "<q", _DT_HALF: "<e"}


def _signed64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _tensor_scalar(buf: bytes) -> Optional[float]:
    """The value of a one-element numeric TensorProto, or None."""
    dtype, dims, content, values = 0, [], None, []
    for field, wire, value in _fields(buf):
        if field == 1 and wire == 0:
            dtype = value
        elif field == 2 and wire == 2:
            for f, w, v in _fields(value):
                if f == 2 and w == 2:  # one Dim; its size is field 1
                    dims.append(next((s for ff, ww, s in _fields(v) if ff == 1 and ww == 0), 0))
        elif field == 4 and wire == 2:
            content = value
        elif field == 5:    # float_val
            values += _unpack(value, wire, "<f", 4)
        elif field == 6:    # double_val
            values += _unpack(value, wire, "<d", 8)
        elif field in (7, 10):  # int_val, int64_val: varints (packed or not)
            values += [_signed64(v) for v in _varints(value, wire)]
        elif field == 13:   # half_val: each half's bits in an int32
            values += [struct.unpack("<e", struct.pack("<H", v & 0xFFFF))[0] for v in _varints(value, wire)]
    count = 1
    for d in dims:
        count *= _signed64(d)
    if count != 1:
        return None
    if content:
        if dtype == _DT_BFLOAT16 and len(content) >= 2:
            return struct.unpack("<f", b"\x00\x00" + content[:2])[0]
        fmt = _CONTENT.get(dtype)
        if fmt is None or len(content) < struct.calcsize(fmt):
            return None
        return struct.unpack(fmt, content[:struct.calcsize(fmt)])[0]
    if values and dtype in _CONTENT or (values and dtype == _DT_BFLOAT16):
        return values[0]
    return None


def _unpack(value: Any, wire: int, fmt: str, size: int) -> List[float]:
    if wire == 2:
        return [v[0] for v in struct.iter_unpack(fmt, value[:len(value) - len(value) % size])]
    if (wire == 5 and size == 4) or (wire == 1 and size == 8):
        return [struct.unpack(fmt, value)[0]]
    return []


def _varints(value: Any, wire: int) -> List[int]:
    if wire == 0:
        return [value]
    out, i = [], 0
    while wire == 2 and i < len(value):
        v, i = _varint(value, i)
        out.append(v)
    return out


class Scalar(NamedTuple):
    """One scalar point: the step, the tag (with the file's sub-directory, see :class:`Watcher`) and the value."""
    step: int
    tag: str
    value: float


def _event_scalars(data: bytes) -> List[Scalar]:
    step, summaries = 0, []
    for field, wire, value in _fields(data):
        if field == 2 and wire == 0:
            step = _signed64(value)
        elif field == 5 and wire == 2:
            summaries.append(value)
    out = []
    for summary in summaries:
        for field, wire, value in _fields(summary):
            if field == 1 and wire == 2:
                point = _value_scalar(value)
                if point is not None:
                    out.append(Scalar(step, point[0], point[1]))
    return out


def _value_scalar(buf: bytes) -> Optional[Tuple[str, float]]:
    tag, simple, tensor, plugin = None, None, None, ""
    for field, wire, value in _fields(buf):
        if field == 1 and wire == 2:
            tag = value.decode("utf-8", "replace")
        elif field == 2 and wire == 5:
            simple = struct.unpack("<f", value)[0]
        elif field == 8 and wire == 2:
            tensor = value
        elif field == 9 and wire == 2:
            for f, w, v in _fields(value):
                if f == 1 and w == 2:  # plugin_data; its plugin_name is field 1
                    plugin = next((p.decode("utf-8", "replace") for ff, ww, p in _fields(v) if ff == 1 and ww == 2),
                                  plugin)
    if tag is None:
        return None
    if simple is not None:
        return tag, simple
    if tensor is not None and plugin in ("scalars", ""):
        value = _tensor_scalar(tensor)
        if value is not None:
            return tag, value
    return None


# ----------------------------------------------------------------------------- one file

class EventFileReader:
    """Reads the scalars of one event file, from where it stopped last time.

    Args:
        source: a path, or a binary file object (tests).
        prefix: put before each tag (the file's sub-directory, ``"train/"``).
        max_read: bytes read at most per call (a huge file is read over several calls).

    Attributes:
        offset: the byte offset of the first record not read yet.
        skipped: records whose data failed the CRC (or did not parse) and were skipped.
        problems: what went wrong, in words (a lost framing stops the file).
    """

    def __init__(self, source: Any, prefix: str = "", max_read: int = 4 * 1024 * 1024) -> None:
        self.source = source
        self.prefix = prefix
        self.max_read = max_read
        self.offset = 0
        self.skipped = 0
        self.problems: List[str] = []
        self.broken = False

    def _read_bytes(self) -> bytes:
        if isinstance(self.source, (str, bytes, os.PathLike)):
            try:
                with open(self.source, "rb") as fh:
                    fh.seek(self.offset)
                    return fh.read(self.max_read)
            except OSError:
                return b""
        self.source.seek(self.offset)
        return self.source.read(self.max_read)

    def read(self) -> List[Scalar]:
        """The scalars in the records completed since the last call."""
        if self.broken:
            return []
        data = self._read_bytes()
        out: List[Scalar] = []
        i, n = 0, len(data)
        while n - i >= 12:
            head = data[i:i + 8]
            if struct.unpack("<I", data[i + 8:i + 12])[0] != masked_crc32c(head):
                self.broken = True
                self.problems.append("byte %d: the record length fails its CRC; the rest of the file is skipped"
                                     % (self.offset + i))
                break
            size = struct.unpack("<Q", head)[0]
            end = i + 12 + size + 4
            if end > n:
                if size + 16 > self.max_read:
                    self.max_read = size + 16  # one record bigger than a read: read it whole next time
                break  # not complete yet: a file still being written
            body = data[i + 12:i + 12 + size]
            if struct.unpack("<I", data[end - 4:end])[0] != masked_crc32c(body):
                self.skipped += 1
                self.problems.append("byte %d: a record fails its CRC and is skipped" % (self.offset + i))
            else:
                try:
                    points = _event_scalars(body)
                except (ValueError, IndexError, struct.error):
                    self.skipped += 1
                    self.problems.append("byte %d: a record is not an Event and is skipped" % (self.offset + i))
                else:
                    out += [Scalar(p.step, self.prefix + p.tag, p.value) for p in points]
            i = end
        self.offset += i
        return out


def rows_from_scalars(points: Iterable[Scalar]) -> List[Dict[str, Any]]:
    """History rows: consecutive points of one step share a row, which carries ``_step``.

    >>> rows_from_scalars([Scalar(0, "loss", 1.0), Scalar(0, "acc", 0.5), Scalar(1, "loss", 0.5)])
    [{'_step': 0, 'loss': 1.0, 'acc': 0.5}, {'_step': 1, 'loss': 0.5}]
    """
    rows: List[Dict[str, Any]] = []
    for p in points:
        if not rows or rows[-1]["_step"] != p.step or p.tag in rows[-1]:
            rows.append({"_step": p.step})
        rows[-1][p.tag] = p.value
    return rows


# ----------------------------------------------------------------------------- a run's files

_SKIP_DIRS = frozenset([".git", ".hg", ".svn", "__pycache__", "node_modules", "site-packages", ".venv", "venv",
                        ".tox", ".mypy_cache"])


def find_event_files(root: str, max_depth: int = 6) -> List[str]:
    """Every event file (a name containing ``.tfevents.``) under ``root``, sorted; hidden and tool
    directories (``.git``, ``venv``, ``node_modules``, ...) are not entered."""
    found: List[str] = []
    root = os.path.abspath(root)
    base = root.rstrip(os.sep).count(os.sep)
    for here, dirs, files in os.walk(root):
        if here.count(os.sep) - base >= max_depth:
            dirs[:] = []
        else:
            dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")]
        found += [os.path.join(here, f) for f in files if ".tfevents." in f]
    return sorted(found)


class Watcher:
    """Follows the event files under some directories and turns their new scalars into rows.

    Args:
        roots: directories to watch (they need not exist yet).
        only_new: take only event files that were not there when the watcher was made
            (a directory that several runs share, one after the other).
        interval: the least number of seconds between two looks (``poll`` is cheap to call often).
        clock: injected time.

    A tag is prefixed with the file's directory relative to its root, as
    TensorBoard names runs: ``train/epoch_loss`` for ``epoch_loss`` in ``<root>/train/``.
    """

    def __init__(self, roots: Iterable[str], *, only_new: bool = False, interval: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.roots = [os.path.abspath(r) for r in roots]
        self.interval = interval
        self.clock = clock
        self.readers: Dict[str, EventFileReader] = {}
        self.ignored = set()
        self._last: Optional[float] = None
        if only_new:
            for root in self.roots:
                self.ignored.update(find_event_files(root))

    def poll(self, force: bool = False) -> List[Dict[str, Any]]:
        """Rows for the scalars written since the last look (nothing when the last look was too recent)."""
        now = self.clock()
        if not force and self._last is not None and now - self._last < self.interval:
            return []
        self._last = now
        rows: List[Dict[str, Any]] = []
        for root in self.roots:
            if not os.path.isdir(root):
                continue
            for path in find_event_files(root):
                if path in self.ignored:
                    continue
                reader = self.readers.get(path)
                if reader is None:
                    sub = os.path.relpath(os.path.dirname(path), root).replace(os.sep, "/")
                    reader = self.readers[path] = EventFileReader(path, prefix="" if sub == "." else sub + "/")
                rows += rows_from_scalars(reader.read())
        return rows

    @property
    def problems(self) -> List[str]:
        return ["%s: %s" % (path, p) for path, r in sorted(self.readers.items()) for p in r.problems]


def follow(roots: Iterable[str], log: Callable[[Dict[str, Any]], None], *, interval: float = 1.0,
           only_new: bool = True) -> Callable[[], None]:
    """Read new event files under ``roots`` in a daemon thread and ``log`` each row; returns ``stop``.

    For a program that reports through TensorBoard inside a run, e.g.
    ``wandb.init(sync_tensorboard=True)``: ``stop()`` reads what is left and
    ends the thread (call it from ``finish()``).  An exception from ``log``
    ends the following (the run is over).
    """
    watcher = Watcher(roots, only_new=only_new, interval=0.0)
    done = threading.Event()
    lock = threading.Lock()

    def step() -> bool:
        with lock:
            try:
                for row in watcher.poll(force=True):
                    log(row)
            except Exception:  # the run is gone (finished, stopped): stop following
                return False
        return True

    def loop() -> None:
        while not done.wait(interval):
            if not step():
                return

    thread = threading.Thread(target=loop, name="minisweep-tensorboard", daemon=True)
    thread.start()

    def stop() -> None:
        done.set()
        thread.join(interval + 5.0)
        step()

    return stop
