"""Metrics from a program's output: the lines training code really prints.

A program run by the command-line agent may report nothing but its output.
This module reads metric values out of that output as it streams, in the
layouts that real training code prints:

=====================================  ===============================================
``epoch=3 loss=0.21 acc=0.93``         several ``name=value`` / ``name: value`` a line
``loss: 0.43``, ``Loss: 0.43``         one pair (names are case-sensitive: two names)
``epoch 3 loss 0.2134``                a *declared* name, then its value, after spaces
``- loss: 0.2958 - accuracy: 0.91``    Keras' progress bar (2 and 3, ANSI colours,
                                       ``\\b`` / ``\\r`` redraws); ``Epoch 3/10`` before
                                       it becomes the row's ``_step``
``..., 9.5it/s, loss=0.141, acc=0.9]`` a tqdm postfix
``INFO:root:loss=0.25``                a ``logging`` line with its prefix
``{'loss': 0.69, 'epoch': 1.0}``       a Python dict (Hugging Face's Trainer) or JSON;
                                       nested keys read as ``a.b``
``│  test_acc  │  0.91  │``            Lightning's ``test()`` table (boxed or plain)
``[3]\\tvalidation_0-logloss:0.52``     XGBoost's evaluation line (``_step`` 3)
``[3]\\tvalid_0's l2: 0.52``            LightGBM's, read as ``valid_0_l2`` (W&B's name)
=====================================  ===============================================

Only **declared** names are read: the sweep's metric and the names the user
lists (``--metrics acc,val_loss``), so a printed config dump (``lr: 0.001``)
or an echo of the command line never becomes a metric (nor does anything in
argparse's ``Namespace(...)`` or after a ``-``, as in ``--lr=0.1``).  ``every=True`` takes
every name that is followed by ``:`` or ``=`` and a number, every key of a
dict line and every row of a table.  Names match exactly, as in W&B:
``val_loss`` is never read as ``loss``.  A value is a number as Python and
JSON write it (``0.5``, ``-1e-3``, ``nan``, ``inf``, ``NaN``, ``Infinity``), also
inside ``tensor(0.5)`` or ``np.float64(0.5)``; ``93%``, ``3/10``, ``12:30`` and
``1s`` are not values.

A line is what lies between two line ends, ``\\n`` or ``\\r``.  A line ended by
``\\r`` alone is a progress display that will be drawn over, so it is not
read: a progress bar counts once, with what it finally shows (tqdm and Keras
end their last drawing with ``\\n``).  A line longer than ``max_line`` bytes is
read from its first ``max_line`` bytes and the rest is skipped, so a 300 MB
line without a newline costs ``max_line`` bytes of memory, not 300 MB.  Bytes
that are not UTF-8 are replaced, never fatal.

>>> reader = MetricReader(["loss", "acc"])
>>> reader.read_line("epoch=3 loss=0.21 acc=0.93 lr=0.001")
{'loss': 0.21, 'acc': 0.93}
>>> reader.read_line("{'loss': 0.69, 'learning_rate': 5e-05, 'epoch': 1.0}")
{'loss': 0.69}
>>> reader.read_line("val_loss: 0.3") is None       # not 'loss'
True
>>> MetricReader(every=True).read_line("[3]\\ttrain-rmse:0.41\\teval-rmse:0.52")
{'train-rmse': 0.41, 'eval-rmse': 0.52, '_step': 3}
>>> reader.feed(b"epoch 1 loss 0.5\\r"), reader.feed(b"\\n"), reader.feed(b"loss=0.4\\rloss=0.3\\n")
([], [{'loss': 0.5}], [{'loss': 0.3}])

``--metric-pattern`` replaces the built-in layouts with the user's regular
expression (groups ``name`` and ``value``); :func:`check_pattern` refuses one
without those groups or whose ``value`` can match something that is not a
number, before any run starts.

Katib's default collector, for comparison, reads ``name=value`` pairs only
(regular expression ``([\\w|-]+)\\s*=\\s*((-?\\d+)(\\.\\d+)?)`` in kubeflow/katib
``pkg/metricscollector/v1beta1/common/const.go``): no ``name: value``, no
exponents, no dicts; :data:`KATIB_DEFAULT_FILTER` holds it for the tests.
"""

import re
from typing import Any, Dict, Iterable, List, Optional, Pattern, Sequence, Tuple, Union

from .errors import ConfigError

__all__ = ["MetricReader", "LineSplitter", "parse_number", "check_pattern", "KATIB_DEFAULT_FILTER",
           "DEFAULT_MAX_LINE"]

#: Longest line read, in bytes; the rest of a longer line is skipped (it is still copied to the log).
DEFAULT_MAX_LINE = 64 * 1024

#: Kubeflow Katib's default stdout filter (kubeflow/katib pkg/metricscollector/v1beta1/common/const.go).
KATIB_DEFAULT_FILTER = r"([\w|-]+)\s*=\s*((-?\d+)(\.\d+)?)"

_NUMBER = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|(?:inf|Inf|INF|infinity|Infinity|nan|NaN|NAN)(?![\w]))"
# a value may be wrapped the way torch and numpy print scalars: tensor(0.5), np.float64(0.5)
_VALUE = r"(?:(?:tensor|np\.float\d+|np\.int\d+|numpy\.float\d+|float\d*)\(\s*)?(?P<value>%s)" % _NUMBER
# after a value: not a letter, digit, '.', '%', '/', ':' or '-' (so 1s, 93%, 3/10, 12:30, 2024-01 are no values)
_END = r"(?![\w.%/:\-])"
_NAME = r"[A-Za-z_][\w.\-/@]*"
# name, then ':' or '=' (sep), or only spaces, then a value; never inside a word or after '-' (so --lr=0.1 is no pair)
_PAIR_FORM = r"(?<![\w.\-/@'\"])(?P<name>%s)(?:\s*(?P<sep>[:=])\s*|[ \t]+)%s%s"
_PAIR = re.compile(_PAIR_FORM % (_NAME, _VALUE, _END))
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/@'\"")
# a quoted key and its number, in a dict or JSON line without nesting
_QUOTED_FORM = r"""(?P<q>['"])(?P<name>%s)(?P=q)\s*:\s*%s%s"""
_QUOTED = re.compile(_QUOTED_FORM % (r"[^'\"\\]+", _VALUE, _END))
# LightGBM: "valid_0's l2: 0.52" (python-package/lightgbm/callback.py, _format_eval_result)
_LGBM = re.compile(r"(?<![\w.\-])(?P<data>[\w.\-]+)'s (?P<metric>[\w.@\-]+): %s%s" % (_VALUE, _END))
# XGBoost / LightGBM: a line opening with "[3]" and a tab is iteration 3
_ITERATION = re.compile(r"^\[(\d+)\]\t")
# Keras: "Epoch 3/10" alone on a line, before the epoch's progress bar
_EPOCH = re.compile(r"^Epoch (\d+)/\d+\s*$")
# a table row: one name (Lightning joins nested keys with ':') then numbers, nothing else
_ROW = re.compile(r"^\s*(?P<name>[A-Za-z_][\w.\-/@]*(?::[\w.\-/@]+)*)\s+%s%s(?:\s+%s%s)*\s*$"
                  % (_VALUE, _END, _NUMBER, _END))
_ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
# box drawing (U+2500-U+257F) and block elements (U+2580-U+259F): table borders and progress bars
_BOX = re.compile(u"[\u2500-\u259f]+")
_DICT_TOKEN = re.compile(r"""\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<num>%s)%s|(?P<open>[{\[(])"""
                         r"""|(?P<close>[}\])])|(?P<colon>:)|(?P<comma>,)|(?P<word>[A-Za-z_][\w.]*)|(?P<other>.))"""
                         % (_NUMBER, _END), re.S)
_WRAPPERS = re.compile(r"^(?:tensor|np\.float\d+|np\.int\d+|numpy\.float\d+|float\d*)$")


def parse_number(text: str) -> Any:
    """The number a value was printed as: an ``int`` when it has no point or exponent, else a ``float``.

    >>> parse_number("3"), parse_number("0.25"), parse_number("-1e-3"), parse_number("Infinity")
    (3, 0.25, -0.001, inf)
    """
    for ch in ".eEnNiI":
        if ch in text:
            return float(text)  # float() reads nan, inf, infinity in any case
    return int(text)


class LineSplitter:
    """Cuts a byte stream into lines at ``\\n`` and ``\\r``, keeping at most ``max_line`` bytes a line.

    :meth:`feed` returns the complete lines in a chunk as ``(bytes, final)``:
    ``final`` is False for a line ended by ``\\r`` alone (a display that will be
    drawn over) and True for one ended by ``\\n`` or ``\\r\\n``.  A ``\\r`` at the end
    of a chunk waits for the next chunk to tell which it is.

    >>> s = LineSplitter(max_line=8)
    >>> s.feed(b"ab\\rcd\\r"), s.feed(b"\\nefghijklmnop"), s.feed(b"q\\n"), s.close()
    ([(b'ab', False)], [(b'cd', True)], [(b'efghijkl', True)], [])
    """

    def __init__(self, max_line: int = DEFAULT_MAX_LINE) -> None:
        self.max_line = max(1, int(max_line))
        self._parts: List[bytes] = []   # the current line so far (at most max_line bytes in all)
        self._size = 0
        self._cr: Optional[bytes] = None  # a line ended by \r at the end of the last chunk

    def _add(self, data: bytes) -> None:
        room = self.max_line - self._size
        if room > 0 and data:
            data = data[:room]
            self._parts.append(data)
            self._size += len(data)

    def _take(self) -> bytes:
        line = b"".join(self._parts)
        self._parts, self._size = [], 0
        return line

    def feed(self, data: bytes) -> List[Tuple[bytes, bool]]:
        out: List[Tuple[bytes, bool]] = []
        start, n = 0, len(data)
        if self._cr is not None and n:
            out.append((self._cr, data[:1] == b"\n"))
            self._cr = None
            if data[:1] == b"\n":
                start = 1
        while start < n:
            nl = data.find(b"\n", start)
            cr = data.find(b"\r", start)
            if nl < 0 and cr < 0:
                self._add(data[start:])
                break
            end = nl if cr < 0 or (0 <= nl < cr) else cr
            self._add(data[start:end])
            line = self._take()
            if end == nl:
                out.append((line, True))
                start = end + 1
            elif end + 1 < n:
                if data[end + 1:end + 2] == b"\n":
                    out.append((line, True))
                    start = end + 2
                else:
                    out.append((line, False))
                    start = end + 1
            else:
                self._cr = line
                start = end + 1
        return out

    def close(self) -> List[Tuple[bytes, bool]]:
        """The last line, when the stream ended without a line end (it counts as final)."""
        out: List[Tuple[bytes, bool]] = []
        if self._cr is not None:
            out.append((self._cr, True))
            self._cr = None
        if self._size or self._parts:
            out.append((self._take(), True))
        return out


def _needle(name: str) -> str:
    """A piece of ``name`` that any line carrying it contains (``valid_0_l2`` prints as ``valid_0's l2``)."""
    piece = re.split(r"[._:]", name)[-1]
    return piece or name


def _clean(text: str) -> str:
    """The line as a terminal would show it: backspaces applied, colours and box drawing removed."""
    if "\b" in text:
        out: List[str] = []
        for ch in text:
            if ch == "\b":
                if out:
                    out.pop()
            else:
                out.append(ch)
        text = "".join(out)
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if _BOX.search(text):
        text = _BOX.sub(" ", text)
    return text


def _without_namespace(text: str) -> str:
    """The line without an echo of argparse's arguments (``Namespace(lr=0.1, acc=1)``): never metrics."""
    start = text.find("Namespace(")
    while start >= 0:
        depth, i = 0, start + len("Namespace")
        while i < len(text):
            if text[i] == "(":
                depth += 1
            elif text[i] == ")":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        text = text[:start] + text[i + 1:]
        start = text.find("Namespace(")
    return text


def _dict_pairs(text: str) -> List[Tuple[str, str]]:
    """``(name, value text)`` for every number in a Python-dict or JSON text, nested keys joined by '.'.

    Tolerant: a truncated or malformed dict yields the pairs read up to the damage.
    """
    pairs: List[Tuple[str, str]] = []
    # a frame: [kind, path, state, key, emit]; kind '{' reads keys, '[' and '(' are skipped
    # (except '(' after tensor/np.float64, whose first number is the value: emit holds its name)
    frames: List[List[Any]] = []
    wrapper = False
    for m in _DICT_TOKEN.finditer(text):
        kind = m.lastgroup
        top = frames[-1] if frames else None
        if kind == "open":
            ch = m.group("open")
            if top is None:
                if ch == "{":
                    frames.append(["{", (), "key", None, None])
                continue
            if top[0] == "{" and top[2] == "value" and top[3] is not None:
                path = top[1] + (top[3],)
                if ch == "{":
                    frames.append(["{", path, "key", None, None])
                else:
                    frames.append([ch, path, "", None, ".".join(path) if (ch == "(" and wrapper) else None])
                top[2] = "done"
            else:
                frames.append([ch, (), "", None, None])
            wrapper = False
            continue
        wrapper = False
        if top is None:
            continue
        if kind == "close":
            frames.pop()
        elif top[0] != "{":
            if kind == "num" and top[4] is not None:
                pairs.append((top[4], m.group("num")))
                top[4] = None
        elif kind == "str" or (kind == "word" and top[2] == "key"):
            if top[2] == "key":
                raw = m.group("str") if kind == "str" else m.group("word")
                top[3] = raw[1:-1] if kind == "str" else raw
                top[2] = "colon"
            else:
                top[2] = "done"
        elif kind == "colon":
            if top[2] == "colon":
                top[2] = "value"
        elif kind == "comma":
            top[2], top[3] = "key", None
        elif kind == "num":
            if top[2] == "value" and top[3] is not None:
                pairs.append((".".join(top[1] + (top[3],)), m.group("num")))
            top[2] = "done"
        elif kind == "word":
            if top[2] == "value":
                wrapper = bool(_WRAPPERS.match(m.group("word")))
                if not wrapper:
                    top[2] = "done"
        # 'other' tokens change nothing
    return pairs


class MetricReader:
    """Reads metric rows out of a program's output (see the module docs for the layouts).

    Args:
        names: the declared metric names (the sweep's metric, ``--metrics``).
        every: also take undeclared names (every ``name: number``, dict key and table row).
        pattern: a regular expression with groups ``name`` and ``value`` that replaces the
            built-in layouts (``--metric-pattern``); its matches are taken whatever their name.
        max_line: the longest line read, in bytes.

    :meth:`feed` takes raw bytes as they arrive and returns the rows read from
    the lines they complete; :meth:`close` reads a last line without a line
    end.  :meth:`read_line` reads one line of text.  A row is a dict of
    metric values, with ``_step`` when the line says which step it is.
    """

    def __init__(self, names: Iterable[str] = (), *, every: bool = False,
                 pattern: Optional[Union[str, Pattern[str]]] = None, max_line: int = DEFAULT_MAX_LINE) -> None:
        self.names = frozenset(str(n) for n in names if n)
        self.every = bool(every)
        self.pattern = re.compile(pattern) if isinstance(pattern, str) else pattern
        self._needles = tuple(sorted({_needle(n) for n in self.names}))
        self._pairs, self._quoted = _PAIR, _QUOTED
        if not self.every and self.names:  # look for the declared names themselves: much faster
            # the names first, so the regex engine can skip ahead to them; what precedes a match is
            # checked in read_line instead of by a look-behind
            alternation = "|".join(re.escape(n) for n in sorted(self.names, key=lambda n: (-len(n), n)))
            self._pairs = re.compile(_PAIR_FORM.split(")", 1)[1] % ("(?:%s)" % alternation, _VALUE, _END))
            self._quoted = re.compile(_QUOTED_FORM % ("(?:%s)" % alternation, _VALUE, _END))
        self._splitter = LineSplitter(max_line)
        self._epoch: Optional[int] = None

    # -- streaming --------------------------------------------------------------------------
    def feed(self, data: bytes) -> List[Dict[str, Any]]:
        return self._rows(self._splitter.feed(data))

    def close(self) -> List[Dict[str, Any]]:
        return self._rows(self._splitter.close())

    def _rows(self, lines: List[Tuple[bytes, bool]]) -> List[Dict[str, Any]]:
        rows = []
        for raw, final in lines:
            if not final:
                continue  # drawn over: only the last drawing, ended by a newline, counts
            row = self.read_line(raw.decode("utf-8", "replace"))
            if row is not None:
                rows.append(row)
        return rows

    # -- one line ---------------------------------------------------------------------------
    def wants(self, name: str) -> bool:
        return self.every or name in self.names

    def read_line(self, line: str) -> Optional[Dict[str, Any]]:
        """The row one line holds (declared names only, unless ``every``), or ``None``."""
        if self.pattern is not None:
            return self._read_pattern(line)
        if not self.every:
            if not self.names:
                return None
            if not any(n in line for n in self._needles):
                if line.startswith("Epoch "):
                    self._see_epoch(_clean(line))
                return None
        text = _clean(line)
        if "Namespace(" in text:
            text = _without_namespace(text)
        if text.startswith("Epoch "):
            if self._see_epoch(text):
                return None
        row: Dict[str, Any] = {}
        step: Optional[int] = None
        brace = text.find("{")
        head = text if brace < 0 else text[:brace]
        if brace >= 0:
            body = text[brace:]
            if "{" in body[1:] or "[" in body:  # nested: walk it (keys become a.b)
                pairs = _dict_pairs(body)
            else:
                pairs = [(g.group("name"), g.group("value")) for g in self._quoted.finditer(body)]
            for name, value in pairs:
                if self.wants(name) and name not in row:
                    row[name] = parse_number(value)
        m = _ITERATION.match(head) if head.startswith("[") else None
        if m:
            step = int(m.group(1))
            for g in (_LGBM.finditer(head) if "'s " in head else ()):
                name = "%s_%s" % (g.group("data"), g.group("metric"))
                if self.wants(name) and name not in row:
                    row[name] = parse_number(g.group("value"))
        table = _ROW.match(head) if brace < 0 else None
        if table is not None:
            name = table.group("name").replace(":", ".")
            if self.wants(name) and name not in row:
                row[name] = parse_number(table.group("value"))
        else:
            for name, value in (self._generic_pairs(head) if self._pairs is _PAIR else self._declared_pairs(head)):
                if name not in row:
                    row[name] = parse_number(value)
        if not row:
            return None
        if step is None and self._epoch is not None:
            step, self._epoch = self._epoch, None
        if step is not None and "_step" not in row:
            row["_step"] = step
        return row

    def _generic_pairs(self, head: str) -> List[Tuple[str, str]]:
        return [(g.group("name"), g.group("value")) for g in _PAIR.finditer(head)
                if g.group("name") in self.names or (self.every and g.group("sep"))]

    def _declared_pairs(self, head: str) -> List[Tuple[str, str]]:
        """The declared names' pairs, found with ``str.find`` (far faster than a regex scan), in line order."""
        found = []
        match = self._pairs.match
        for name in self.names:
            at = head.find(name)
            while at >= 0:
                if not at or head[at - 1] not in _NAME_CHARS:  # not inside val_loss, nor a flag --loss=1
                    g = match(head, at)
                    if g is not None and g.group("name") == name:
                        found.append((at, name, g.group("value")))
                at = head.find(name, at + len(name))
        found.sort()
        return [(name, value) for _, name, value in found]

    def _see_epoch(self, text: str) -> bool:
        m = _EPOCH.match(text)
        if m:
            self._epoch = int(m.group(1))
        return m is not None

    def _read_pattern(self, line: str) -> Optional[Dict[str, Any]]:
        row: Dict[str, Any] = {}
        for m in self.pattern.finditer(line.rstrip("\r\n")):
            try:
                value = parse_number(m.group("value").strip())
            except (ValueError, TypeError, AttributeError):
                continue  # the pattern caught something that is no number: not a metric
            name = m.group("name")
            if name and name not in row:
                row[name] = value
        return row or None


# ------------------------------------------------------------------------- --metric-pattern

_NOT_NUMBERS = ("", "abc", "loss", "-", ".", "e5", "1.2.3", "0.5s", "12:30", "3/10", "1,5", "x1", "True", "None")


def _group_source(pattern: str, name: str) -> Optional[str]:
    """The text of the named group ``name`` inside ``pattern`` (escapes and classes respected)."""
    start = pattern.find("(?P<%s>" % name)
    if start < 0:
        return None
    i = start + len("(?P<%s>" % name)
    depth, in_class, body_start = 1, False, i
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
        elif ch == "[":
            in_class = True
            if pattern[i + 1:i + 2] == "]":
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return pattern[body_start:i]
        i += 1
    return None


def check_pattern(pattern: str) -> "re.Pattern":
    """Compile a ``--metric-pattern``, refusing one that cannot work; returns the compiled pattern.

    It needs the groups ``name`` and ``value``, and its ``value`` group must not
    match text that is not a number (it is tried on a few such texts).

    >>> check_pattern(r"(?P<name>\\w+)=(?P<value>\\S+)")
    Traceback (most recent call last):
      ...
    minisweep.errors.ConfigError: --metric-pattern: the group 'value' also matches 'abc', which is not a number
    """
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ConfigError("not a regular expression: %s" % exc, key_path="--metric-pattern") from None
    missing = [g for g in ("name", "value") if g not in compiled.groupindex]
    if missing:
        raise ConfigError("needs the named groups (?P<name>...) and (?P<value>...); %s missing"
                          % " and ".join(repr(g) for g in missing), key_path="--metric-pattern")
    source = _group_source(pattern, "value")
    if source is not None:
        try:
            value_only = re.compile("(?:%s)\\Z" % source, compiled.flags)
        except re.error:
            value_only = None  # the group refers to other groups; the full pattern is checked at run time
        if value_only is not None:
            for text in _NOT_NUMBERS:
                if value_only.match(text):
                    raise ConfigError("the group 'value' also matches %r, which is not a number"
                                      % text, key_path="--metric-pattern")
    return compiled


def declared_names(metric: Optional[str], extra: Optional[Sequence[str]]) -> List[str]:
    """The names a run's output is read for: the sweep's metric, then the extra ones, without repeats."""
    names: List[str] = []
    for name in ([metric] if metric else []) + list(extra or []):
        name = str(name).strip()
        if name and name not in names:
            names.append(name)
    return names
