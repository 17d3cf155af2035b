"""What ``minisweep status ID --watch`` shows, kept up to date cheaply: :class:`SweepWatch`.

A sweep's store is a directory of append-only journals, one per agent, that
agents on any number of hosts keep writing.  Watching it means re-reading it
every second or so, and that must stay cheap however large the sweep grows:

- **Reading** is incremental.  One :class:`~.store.SweepStore` object stays
  open for the whole watch; each refresh reads only the bytes appended to
  each journal since the last one (the store remembers an offset per
  journal), plus ``state.json`` and one stop-request probe per running run.
  The watcher never writes: it takes no lock and leaves no file behind, so
  it can watch a sweep on a read-only mount.
- **Digesting** is incremental too.  The store hands back the very same
  :class:`~.runs.Run` object for a run that has not changed, so
  :class:`SweepWatch` recomputes a run's figures (iterations, latest and best
  value) only when its object is new, and keeps the counts, the best run and
  the series behind the sparkline up to date from those changes alone.

What the view shows, top to bottom: the sweep (id, project, method, state),
how many runs are in each state, the best run so far, a sparkline of each
finished run's best value by run number (the most recent that fit), the
runs in progress with their iteration (how many values of the metric they
have logged, as hyperband counts), latest and best value, and the latest
events: hyperband stops as they happen (a run asked to stop shows
``stopping`` until its agent ends it), failures and crashes.

Two faces show that content (:meth:`SweepWatch.lines`), both in :mod:`.watch`:
a ``curses`` screen redrawn in place, and a plain table printed each time
something changed.  This module only reads the store and writes text lines;
the terminals are :mod:`.watch`'s business.

>>> import tempfile
>>> from .store import SweepStore
>>> tmp = tempfile.TemporaryDirectory()
>>> cfg = {"method": "random", "metric": {"name": "loss"}, "parameters": {"x": {"min": 0.0, "max": 1.0}}}
>>> agent = SweepStore.create(tmp.name, "demo", cfg, sweep_id="s1")
>>> run = agent.claim("a1", lambda runs, index: {"x": 0.5}, lease_seconds=60)
>>> agent.start(run.id); agent.log(run.id, {"loss": 0.9}); agent.log(run.id, {"loss": 0.4})
>>> w = SweepWatch(SweepStore.open(tmp.name, "demo", "s1"))
>>> w.refresh()
True
>>> w.counts, [(f.run.id == run.id, f.iterations, f.latest) for f in w.active()]
({'running': 1}, [(True, 2, 0.4)])
>>> w.refresh()  # nothing new: nothing read
False
>>> agent.finish(run.id, "finished"); w.refresh(), w.counts, w.best.best
(True, {'finished': 1}, 0.4)
>>> agent.close(); tmp.cleanup()
"""

import bisect
import collections
import math
import time
from typing import TYPE_CHECKING, Any, Callable, Deque, Dict, List, Optional, Tuple  # noqa: F401 (Deque: a type comment)

from .formatting import duration
from .grid import size as grid_size
from .runs import ACTIVE_STATES, DONE_STATES, is_better, is_number
from .sweepconfig import parse_config

if TYPE_CHECKING:  # (for type checkers only)
    from .runs import Run
    from .store import SweepStore
    from .sweepconfig import Metric

__all__ = ["SweepWatch", "RunFacts", "Event", "sparkline", "OVER_STATES", "SPARK_UNICODE", "SPARK_ASCII"]

#: Sweep states after which no new run starts.
OVER_STATES = ("finished", "stopped", "cancelled")
#: Eight levels, low to high, for terminals that can show them (UTF-8), and their ASCII stand-ins.
SPARK_UNICODE = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"
SPARK_ASCII = "_.-:=+*#"


def sparkline(values: List[float], chars: str = SPARK_UNICODE, log: bool = False) -> str:
    """One character per value, its height the value's place between the smallest and the largest.

    >>> sparkline([1, 2, 3, 4, 5, 6, 7, 8])
    '▁▂▃▄▅▆▇█'
    >>> sparkline([5, 5, 5], chars=SPARK_ASCII), sparkline([1, 10, 100], log=True, chars=SPARK_ASCII)
    (':::', '_=#')
    """
    if not values:
        return ""
    if log and min(values) > 0:
        values = [math.log10(v) for v in values]
    lo, hi = min(values), max(values)
    top = len(chars) - 1
    if hi <= lo:
        return chars[top // 2] * len(values)
    return "".join(chars[min(top, int((v - lo) / (hi - lo) * top + 0.5))] for v in values)


class RunFacts:
    """What the view shows of one run, computed once per version of the run."""

    __slots__ = ("run", "state", "iterations", "latest", "best")

    def __init__(self, run: "Run", metric: "Optional[Metric]") -> None:
        self.run = run
        self.state = run.state
        self.iterations = 0
        self.latest = None  # type: Optional[float]
        self.best = None  # type: Optional[float]
        if metric is not None:
            values = run.metric_values(metric.name)
            self.iterations = len(values)
            self.latest = values[-1] if values else None
            self.best = run.best(metric.name, metric.maximize)


class Event:
    """Something worth a line in the view: a hyperband stop, a failure, a crash."""

    __slots__ = ("at", "run", "kind", "text")

    def __init__(self, at: float, run: "Run", kind: str, text: str) -> None:
        self.at, self.run, self.kind, self.text = at, run, kind, text

    def __repr__(self) -> str:
        return "Event(%r, %r)" % (self.kind, self.text)


class SweepWatch:
    """A live digest of one sweep, refreshed incrementally from its store.

    Args:
        store: an open :class:`~.store.SweepStore`; the watch only reads it.
        clock: wall clock (for the time shown and the age of running runs).
        events: how many recent events to keep.

    Attributes:
        state: the sweep's state at the last refresh.
        counts: runs per state.
        best: the :class:`RunFacts` of the best finished (or stopped) run, or ``None``.
        events: recent :class:`Event` objects, oldest first.
        stopping: run id -> reason, for running runs asked to stop.
        bytes_read: bytes of journal and claim files the last refresh read.
        refreshes: how many refreshes so far.
    """

    def __init__(self, store: "SweepStore", *, clock: Callable[[], float] = time.time, events: int = 50) -> None:
        self.store = store
        self.config = parse_config(store.config, warn=False)
        self.metric = self.config.metric
        self.clock = clock
        self.state = "running"
        self.counts = {}  # type: Dict[str, int]
        self.best = None  # type: Optional[RunFacts]
        self.events = collections.deque(maxlen=events)  # type: Deque[Event]
        self.stopping = {}  # type: Dict[str, str]
        self.bytes_read = 0
        self.refreshes = 0
        self.total = 0
        self._facts = {}  # type: Dict[str, RunFacts]
        self._active = {}  # type: Dict[str, RunFacts]
        self._series_keys = []  # type: List[int]      # run numbers of done runs with a value, sorted
        self._series = {}  # type: Dict[int, float]    # run number -> best value
        self._best_dirty = False
        self._log_values = True  # whether every value so far is positive (a log sparkline may suit)
        self._grid_size = None  # type: Optional[int]

    # ------------------------------------------------------------------------------ reading

    def refresh(self) -> bool:
        """Read what changed since the last refresh; ``True`` if anything did."""
        before = self.store.bytes_read
        state = self.store.state()
        runs = self.store.runs()
        changed = state != self.state or self.refreshes == 0
        self.state = state
        for run in runs:
            old = self._facts.get(run.id)
            if old is not None and old.run is run:
                continue  # the store's very object: nothing about this run changed
            facts = RunFacts(run, self.metric)
            if old is not None and (old.state, old.iterations, old.latest, old.best) == (
                    facts.state, facts.iterations, facts.latest, facts.best):
                self._facts[run.id] = facts  # a heartbeat: a new object, nothing to show
                if run.id in self._active:
                    self._active[run.id] = facts
                continue
            changed = True
            self._update(old, facts)
        self.total = len(runs)
        stopping = {}
        for run_id, facts in self._active.items():  # a stop request shows before the agent acts on it
            if facts.state == "running":
                reason = self.store.stop_requested(run_id)
                if reason:
                    stopping[run_id] = reason
        if stopping != self.stopping:
            changed = True
            for run_id in set(stopping) - set(self.stopping):
                facts = self._active[run_id]
                self.events.append(Event(self.clock(), facts.run, "stopping",
                                         "run %s asked to stop: %s" % (self._name(facts.run), stopping[run_id])))
            self.stopping = stopping
        if self._best_dirty:
            self._recompute_best()
        self.bytes_read = self.store.bytes_read - before
        self.refreshes += 1
        return changed

    def _update(self, old: Optional[RunFacts], facts: RunFacts) -> None:
        run = facts.run
        self._facts[run.id] = facts
        if old is not None:
            self.counts[old.state] -= 1
            if not self.counts[old.state]:
                del self.counts[old.state]
        self.counts[facts.state] = self.counts.get(facts.state, 0) + 1
        if facts.state in ACTIVE_STATES:
            self._active[run.id] = facts
        else:
            self._active.pop(run.id, None)
            if old is None or old.state in ACTIVE_STATES:
                self._ended(facts)
        number = run.index if isinstance(run.index, int) else len(self._facts)
        value = facts.best if facts.state in DONE_STATES else None
        if value is not None:
            if number not in self._series:
                bisect.insort(self._series_keys, number)
            self._series[number] = value
            if value <= 0:
                self._log_values = False
            best = self.best
            if best is None or self._better(value, best.best):
                self.best = facts
            elif best.run.id == run.id:
                self._best_dirty = True  # the best run itself changed (rare): look again
        elif number in self._series:
            del self._series[number]
            self._series_keys.remove(number)
            if self.best is not None and self.best.run.id == run.id:
                self._best_dirty = True

    def _better(self, a: float, b: Optional[float]) -> bool:
        return is_better(a, b, self.metric is not None and self.metric.maximize)

    def _recompute_best(self) -> None:
        self._best_dirty = False
        self.best = None
        for facts in self._facts.values():
            if facts.state in DONE_STATES and facts.best is not None and (
                    self.best is None or self._better(facts.best, self.best.best)):
                self.best = facts

    def _ended(self, facts: RunFacts) -> None:
        """A run reached a terminal state: an event if it was stopped, failed or crashed."""
        run = facts.run
        info = run.info or {}
        reason = str(info.get("error") or "").strip()
        at = info.get("finished_at")
        at = at if is_number(at) else self.clock()
        self.stopping.pop(run.id, None)
        if run.state == "stopped":
            if reason.startswith("hyperband"):
                text = "run %s stopped by hyperband: %s" % (self._name(run), reason[len("hyperband:"):].strip())
                self.events.append(Event(at, run, "hyperband", text))
            else:
                self.events.append(Event(at, run, "stopped", "run %s stopped: %s" % (
                    self._name(run), reason or "stopped early")))
        elif run.state in ("failed", "crashed"):
            last = [line.strip() for line in reason.splitlines() if line.strip()]
            self.events.append(Event(at, run, run.state, "run %s %s%s" % (
                self._name(run), run.state, ": " + last[-1] if last else "")))

    @staticmethod
    def _name(run: "Run") -> str:
        return "%s (#%d)" % (run.id, run.index + 1) if isinstance(run.index, int) else run.id

    # ------------------------------------------------------------------------------- facts

    @property
    def over(self) -> bool:
        """The sweep will change no more: nothing is in progress, and it is stopped, cancelled or
        finished, or has nothing left to run (its grid done, its ``run_cap`` or its target reached)."""
        return not self._active and self.done_reason() is not None

    def done_reason(self) -> Optional[str]:
        """Why no run will start any more (even if some are still in progress), or ``None``."""
        if self.state in OVER_STATES:
            return "the sweep is %s" % self.state
        cfg = self.config
        if cfg.run_cap is not None and self.total >= cfg.run_cap:
            return "run_cap %d reached" % cfg.run_cap
        metric = self.metric
        if metric is not None and metric.target is not None and self.best is not None and (
                self.best.best >= metric.target if metric.maximize else self.best.best <= metric.target):
            return "the target %s = %s was reached" % (metric.name, _short(metric.target))
        if cfg.method == "grid":
            if self._grid_size is None:
                self._grid_size = grid_size(cfg)
            if self.total >= self._grid_size:
                return "every grid point has run"
        return None

    def active(self) -> List[RunFacts]:
        """The runs in progress (running first, then pending), by run number."""
        return sorted(self._active.values(), key=lambda f: (f.state != "running", _index(f.run)))

    def series(self) -> List[float]:
        """Each finished or stopped run's best value, by run number."""
        return [self._series[k] for k in self._series_keys]

    # ------------------------------------------------------------------------------- the view

    def lines(self, width: int = 100, height: int = 40, *, spark: str = SPARK_UNICODE,
              footer: str = "") -> List[Tuple[str, str]]:
        """The view as at most ``height`` lines of at most ``width`` characters, each with its style.

        Styles: ``title``, ``heading``, ``best``, ``event`` (a hyperband stop), ``bad`` (a failure or
        crash), ``dim``, ``""`` (plain).  Sections shrink to fit: the running runs and the events
        give up lines first.
        """
        width = max(20, width)
        height = max(6, height)
        metric = self.metric
        mname = metric.name if metric is not None else None
        now = self.clock()
        top = []  # type: List[Tuple[str, str]]
        top.append(("minisweep  sweep %s (%s)  %s  %s  %s" % (
            self.store.id, self.store.project, self.config.method, self.state.upper(),
            time.strftime("%H:%M:%S", time.localtime(now))), "title"))
        order = ("running", "pending", "finished", "stopped", "failed", "crashed", "killed")
        counts = ", ".join("%d %s" % (self.counts[s], s) for s in order if self.counts.get(s))
        top.append(("runs %d: %s" % (self.total, counts or "none yet"), ""))
        if mname is not None:
            if self.best is not None:
                flat = _flat(self.best.run.config)
                params = "  ".join("%s=%s" % (k, _short(v)) for k, v in flat.items())
                top.append(("best  %s  %s = %s   %s" % (self._name(self.best.run), mname, _short(self.best.best),
                                                       params), "best"))
            else:
                top.append(("best  no finished run with a value of %s yet" % mname, "dim"))
            values = self.series()
            if values:
                label = "%s by run " % mname
                room = max(4, width - len(label) - 30)
                shown = values[-room:]
                log = self._log_values and min(shown) > 0 and max(shown) / min(shown) >= 100
                tail = "  %s %s .. %s%s" % ("last %d:" % len(shown) if len(shown) < len(values) else "min-max",
                                           _short(min(shown)), _short(max(shown)), " (log)" if log else "")
                top.append((label + sparkline(shown, spark, log) + tail, ""))
        bottom = [(footer, "dim")] if footer else []
        room = height - len(top) - len(bottom) - (2 if self.over else 0)
        active = self.active()
        events = list(self.events)
        run_n, ev_n = len(active), min(len(events), 8)

        def cost(n: int) -> int:  # a section: a blank line, a heading, its lines
            return n + 2 if n else 0

        while cost(run_n) + cost(ev_n) > room and (run_n > 1 or ev_n > 1):
            if ev_n <= 1 or run_n > 2 * ev_n:  # the running runs give up lines first, down to twice the events
                run_n -= 1
            else:
                ev_n -= 1
        if cost(run_n) + cost(ev_n) > room:
            ev_n = 0
        if cost(run_n) > room:
            run_n = 0
        middle = []  # type: List[Tuple[str, str]]
        if run_n:
            middle.append(("", ""))
            middle.append(("%-24s %-9s %5s  %-12s %-12s %8s  %s" % (
                "in progress", "state", "iter", (mname or "metric") + " (last)", "best", "for", "agent"),
                "heading"))
            shown = active if run_n == len(active) else active[:run_n - 1]
            for f in shown:
                run = f.run
                started = (run.info or {}).get("started_at")
                age = duration(now - started, "age") if is_number(started) else "-"
                state = "stopping" if run.id in self.stopping else f.state
                middle.append(("%-24s %-9s %5d  %-12s %-12s %8s  %s" % (
                    self._name(run), state, f.iterations, _short(f.latest), _short(f.best), age,
                    (run.info or {}).get("agent", "")), "event" if state == "stopping" else ""))
            if len(shown) < len(active):
                middle.append(("... and %d more in progress" % (len(active) - len(shown)), "dim"))
        if ev_n:
            middle.append(("", ""))
            middle.append(("recent events: hyperband stops, failures", "heading"))
            for e in events[-ev_n:]:
                style = "event" if e.kind in ("hyperband", "stopping") else (
                    "bad" if e.kind in ("failed", "crashed") else "")
                middle.append(("%s  %s" % (time.strftime("%H:%M:%S", time.localtime(e.at)), e.text), style))
        if self.over:
            middle.append(("", ""))
            middle.append(("done: %s, and nothing is in progress" % self.done_reason(), "heading"))
        out = top + middle
        out = out[:height - len(bottom)] + bottom
        return [(_fit(text, width), style) for text, style in out]

    def text(self, width: int = 100, height: int = 40, spark: str = SPARK_UNICODE, footer: str = "") -> str:
        """The view as plain text."""
        return "\n".join(text for text, _ in self.lines(width, height, spark=spark, footer=footer)) + "\n"


def _index(run: "Run") -> int:
    return run.index if isinstance(run.index, int) else 0


def _fit(text: str, width: int) -> str:
    text = text.rstrip()
    return text if len(text) <= width else text[:width - 3] + "..."


def _short(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "%.4g" % value
    text = str(value)
    return text if len(text) <= 16 else text[:13] + "..."


def _flat(config: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    out = {}  # type: Dict[str, Any]
    for key, value in config.items():
        if isinstance(value, dict):
            out.update(_flat(value, prefix + str(key) + "."))
        else:
            out[prefix + str(key)] = value
    return out
