"""Replay: a sweep's runs rebuilt in memory from its journal records, with no file in sight.

Everything a sweep knows about its runs is a stream of records (plain dicts
decoded from journal lines, see :mod:`.journal`), each tagged with the
*writer* whose journal held it.  :class:`Replay` applies them, one at a time
and in any order the journals are read, to a few in-memory tables, and shows
the result as :class:`~.runs.Run` objects.  It opens no file, and takes its
clocks as arguments, so it is tested on hand-written dicts (Optuna keeps the
same seam: ``JournalStorageReplayResult.apply_logs`` in
``optuna/storages/journal/_storage.py`` applies logs that its storage reads).

The records, and the rules that make replay safe when many writers race:

- ``claim`` (run id, index, config, agent, lease): a run is claimed only once
  its *marker* confirms it: :meth:`Replay.mark` says ``claims/<index>.json``
  names that writer.  Until then the claim is *tentative*; a claim whose
  writer lost the race for the number never becomes a run.  A marker seen
  before its line keeps the number taken, and the run appears when its line
  does.  A later line of the claiming writer about the run also confirms it
  (it writes one only after winning).  The first confirmed claim of a number
  wins; the same run id twice is ignored.
- ``start``, ``beat``, ``log`` (a history row), ``finish`` (a terminal state,
  summary, error, wall time, meta): only the run's owner, the writer that
  claimed it, speaks for it; lines of anyone else are ignored.  Each is a sign
  of life that renews the run's lease.
- ``crash`` (a verdict): another agent watched the run stay silent for its
  whole lease and wrote it off; an active run becomes ``crashed``, and a run
  claimed later (its claim read after the verdict) starts ``crashed``.  Its
  owner's own ``finish`` still wins if it comes.

A damaged record (not a dict, a missing key, a bad id or index) is skipped:
:meth:`Replay.apply` returns ``False``, and replay goes on with the next one.
Out-of-order records are normal (journals are read one after another, and a
marker may be seen before or after its claim line): the rules above give the
same runs whatever the order.

>>> t = [100.0]
>>> replay = Replay("me", clock=lambda: t[0], monotonic=lambda: t[0])
>>> replay.apply({"op": "claim", "run": "r1", "index": 0, "config": {"lr": 0.1}, "agent": "a",
...               "lease_seconds": 30, "at": 100.0}, "w1")
True
>>> replay.snapshot()            # claimed, but its marker is not seen yet: not a run
[]
>>> replay.mark(0, "w1")         # claims/0.json names w1: the claim is confirmed
>>> replay.apply({"op": "log", "run": "r1", "row": {"loss": {"__float__": "nan"}}, "at": 101.0}, "w2")
True
>>> replay.snapshot()[0].history  # w2 does not own r1: its line is ignored
[]
>>> replay.apply({"op": "finish", "run": "r1", "state": "finished", "summary": {"loss": 0.5}, "at": 102.0}, "w1")
True
>>> [(r.id, r.state, r.summary) for r in replay.snapshot()]
[('r1', 'finished', {'loss': 0.5})]
>>> replay.apply(["not", "a", "record"], "w1")
False
"""

from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from .ids import check_id
from .jsonvalues import decode_row, decode_value
from .runs import ACTIVE_STATES, TERMINAL_STATES, Run, is_number, number_or

__all__ = ["Replay", "RunRecord", "DEFAULT_CLOCK_SKEW", "check_lease"]

#: Seconds a reader allows between its clock and a writer's when judging a lease by timestamps.
DEFAULT_CLOCK_SKEW = 2.0

#: What a damaged record raises while it is applied (it is then skipped).
_DAMAGED = (ValueError, KeyError, TypeError, AttributeError, RecursionError)


def check_lease(value: Any, default: Optional[float] = None) -> float:
    """``value`` as a lease in seconds (a positive number), else ``default``.

    Raises:
        ValueError: not a positive number, and no ``default``.
    """
    if is_number(value) and value > 0:
        return float(value)
    if default is not None:
        return default
    raise ValueError("lease_seconds must be a positive number, got %r" % (value,))


class RunRecord:
    """What a reader knows about one run, merged from its claim and the journals (mutable; never handed out)."""

    __slots__ = ("id", "index", "config", "agent", "owner", "lease", "claimed_at", "started_at",
                 "last_at", "state", "history", "summary", "error", "wall_time", "finished_at",
                 "pulse", "seen_pulse", "seen_since", "pos", "meta")

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
        self.pos = -1           # position in the list of runs (by run number)
        self.meta: Optional[Dict[str, Any]] = None  # name, group, tags, notes, ... (from finish)

    def touch(self, at: Any) -> None:
        """A sign of life at ``at`` (the writer's clock): renews the lease."""
        self.pulse += 1
        self.last_at = max(self.last_at, number_or(at, self.last_at))

    def start(self, at: float) -> None:
        """The run started at ``at`` (unless it was written off meanwhile, it is now ``running``)."""
        if self.state == "pending":
            self.state = "running"
        self.started_at = at
        self.touch(at)

    def add_row(self, row: Dict[str, Any], at: Any) -> None:
        """A logged (decoded) history row."""
        self.history.append(row)
        self.touch(at)

    def to_run(self, state: str, extra: Optional[Dict[str, Any]] = None) -> Run:
        """A new :class:`~.runs.Run` showing this record in ``state`` (``extra`` goes into its ``info``)."""
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


class Replay:
    """The runs of one sweep, as one reader rebuilds them from records.

    Args:
        reader: the reading store object's own writer id: its own runs are
            never judged by watching (it knows they are alive).
        clock: wall clock, to judge a lease by the writer's timestamps.
        monotonic: this reader's clock, to time how long it has watched a run stay silent.
        clock_skew: seconds of clock difference between hosts tolerated before a
            silent run is shown as crashed.

    Not thread-safe: its owner (:class:`~.store.SweepStore`) holds a lock around every call.

    Attributes:
        runs: run id -> :class:`RunRecord`, for every confirmed run.
        by_index: run number -> its :class:`RunRecord`.
        taken: run numbers whose claim file exists but cannot be read (never given out again).
        marks: run numbers whose marker names a writer whose claim line is not read yet.
        active: ids of ``pending`` / ``running`` runs without a verdict.
    """

    def __init__(self, reader: str, *, clock: Callable[[], float], monotonic: Callable[[], float],
                 clock_skew: float = DEFAULT_CLOCK_SKEW) -> None:
        self.reader = reader
        self._clock = clock
        self._monotonic = monotonic
        self._clock_skew = float(clock_skew)
        self.runs: Dict[str, RunRecord] = {}
        self.by_index: Dict[int, RunRecord] = {}
        self.taken: Set[int] = set()
        self.marks: Dict[int, str] = {}
        self._tentative: Dict[str, Tuple[str, Dict[str, Any]]] = {}  # run id -> (writer, claim)
        self._tentative_at: Dict[int, List[str]] = {}                # run number -> those run ids
        self._order: List[RunRecord] = []        # runs by run number ...
        self._list: List[Optional[Run]] = []     # ... and the Run shown for each one that is over
        self._order_dirty = False
        self._changed: Set[RunRecord] = set()    # runs whose entry in _list is out of date
        self.active: Set[str] = set()
        self._verdicts: Dict[str, Dict[str, Any]] = {}

    # ------------------------------------------------------------------------------ run numbers

    def is_used(self, index: int) -> bool:
        """Whether run number ``index`` is a run, or known to be taken."""
        return index in self.by_index or index in self.taken or index in self.marks

    def next_free(self, index: int) -> int:
        """The first run number from ``index`` on that is not :meth:`used <is_used>`."""
        while self.is_used(index):
            index += 1
        return index

    # ---------------------------------------------------------------------------------- records

    def apply(self, record: Any, writer: str) -> bool:
        """Apply one journal record of ``writer``; ``False`` if it is damaged (and skipped)."""
        try:
            self._apply(record, writer)
        except _DAMAGED:
            return False
        return True

    def _apply(self, r: Dict[str, Any], writer: str) -> None:
        op = r.get("op")
        if op == "claim":
            self._claim_line(r, writer)
            return
        if op == "crash":
            self.verdict(r)
            return
        rec = self.runs.get(r["run"])
        if rec is None:
            rec = self._confirm(r["run"], writer)
        if rec is None or rec.owner != writer:
            return  # only a run's owner speaks for it
        if op == "start":
            rec.start(number_or(r.get("at"), rec.last_at))
        elif op == "beat":
            rec.touch(r.get("at"))
        elif op == "log":
            row = r["row"]
            if isinstance(row, dict):
                rec.add_row(decode_row(row), r.get("at"))
            else:
                rec.touch(r.get("at"))
        elif op == "finish":
            if r.get("state") in TERMINAL_STATES:
                self.finish(rec, r)

    def _claim_line(self, r: Dict[str, Any], writer: str) -> None:
        """A ``claim`` line: a run once its marker confirms it, until then a tentative one."""
        run_id = check_id("run id", r["run"])
        index = r["index"]
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise ValueError("bad index")
        if run_id in self.runs or index in self.by_index:
            return  # known, or the number is taken (the first claim read wins)
        doc = {"run": run_id, "index": index, "config": r.get("config"), "agent": r.get("agent"),
               "writer": writer, "lease_seconds": r.get("lease_seconds"), "claimed_at": r.get("at")}
        marked = self.marks.get(index)
        if marked == writer:
            del self.marks[index]
            self.add_claim(doc)
        elif marked is None:  # its marker not seen yet (or its writer lost the race for the number)
            self._tentative[run_id] = (writer, doc)
            self._tentative_at.setdefault(index, []).append(run_id)
        # else: another writer's marker holds the number; this claim lost the race

    def mark(self, index: int, writer: str) -> None:
        """``claims/<index>.json`` names ``writer``: confirm its claim line, or wait for it."""
        for run_id in self._tentative_at.pop(index, ()):
            owner, doc = self._tentative.pop(run_id)
            if owner == writer and index not in self.by_index:
                self.add_claim(doc)
        if index not in self.by_index:
            self.marks[index] = writer  # the number is taken; the run appears when its line is read

    def _confirm(self, run_id: Any, writer: str) -> Optional[RunRecord]:
        """A run's owner wrote about it, so its claim succeeded (its marker may be lost or unread)."""
        tentative = self._tentative.get(run_id) if isinstance(run_id, str) else None
        if tentative is None or tentative[0] != writer:
            return None
        doc = tentative[1]
        index = doc["index"]
        if index in self.by_index or self.marks.get(index, writer) != writer:
            return None
        del self._tentative[run_id]
        self._tentative_at[index].remove(run_id)
        if not self._tentative_at[index]:
            del self._tentative_at[index]
        self.marks.pop(index, None)
        return self.add_claim(doc)

    def add_claim(self, doc: Dict[str, Any]) -> RunRecord:
        """Record a confirmed claim (``run``, ``index``, ``config``, ``agent``, ``writer``,
        ``lease_seconds``, ``claimed_at``); the known record if the run id is known already.

        Raises:
            InvalidIdError, ValueError: a bad run id or index, or the run number is another run's.
        """
        run_id = check_id("run id", doc["run"])
        index = doc["index"]
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise ValueError("bad index")
        known = self.runs.get(run_id)
        if known is not None:
            return known
        if index in self.by_index:
            raise ValueError("run number %d is taken" % index)  # the claim file wins over a journal echo
        config = decode_value(doc.get("config"))
        rec = RunRecord(run_id, index, config if isinstance(config, dict) else {}, str(doc.get("agent") or ""),
                        str(doc.get("writer") or ""), check_lease(doc.get("lease_seconds"), 60.0),
                        number_or(doc.get("claimed_at")))
        rec.seen_since = self._monotonic()
        rec.seen_pulse = 0
        self.runs[run_id] = rec
        self.by_index[index] = rec
        if self._order and self._order[-1].index > index:
            self._order_dirty = True
        rec.pos = len(self._order)
        self._order.append(rec)
        self._list.append(None)
        self._changed.add(rec)
        if run_id in self._verdicts:
            rec.state = "crashed"
        else:
            self.active.add(run_id)
        return rec

    def finish(self, rec: RunRecord, r: Dict[str, Any]) -> None:
        """Apply a ``finish`` record (its ``state`` is terminal) to the run ``rec``."""
        rec.state = r["state"]
        summary = r.get("summary")
        if isinstance(summary, dict):
            rec.summary = decode_row(summary)
        rec.error = r.get("error") if isinstance(r.get("error"), str) else None
        rec.wall_time = float(r["wall_time"]) if is_number(r.get("wall_time")) else None
        meta = r.get("meta")
        rec.meta = decode_row(meta) if isinstance(meta, dict) else None
        rec.finished_at = number_or(r.get("at"), rec.last_at)
        rec.touch(r.get("at"))
        self.active.discard(rec.id)
        self._changed.add(rec)

    def verdict(self, r: Dict[str, Any]) -> None:
        """Apply a ``crash`` record: another agent wrote the run off."""
        run_id = r["run"]
        if not isinstance(run_id, str):
            raise TypeError("bad run id")
        self._verdicts.setdefault(run_id, r)
        rec = self.runs.get(run_id)
        if rec is not None and rec.state in ACTIVE_STATES:
            rec.state = "crashed"
            self.active.discard(run_id)
            self._changed.add(rec)

    # ---------------------------------------------------------------------------------- leases

    def observe(self) -> None:
        """After reading: note, on the monotonic clock, when each active run last showed a sign of life."""
        now = self._monotonic()
        for run_id in self.active:
            rec = self.runs[run_id]
            if rec.pulse != rec.seen_pulse:
                rec.seen_pulse, rec.seen_since = rec.pulse, now

    def lapsed(self, agent_id: str) -> List[Dict[str, Any]]:
        """``crash`` records for other writers' runs this reader has watched stay silent for a whole lease.

        Only this rule, which no clock skew between hosts can fool, makes a
        claiming agent write a verdict.  The records are not applied: the
        caller journals them first, then applies them (:meth:`verdict`).
        """
        now = self._monotonic()
        verdicts = []
        for run_id in list(self.active):
            rec = self.runs[run_id]
            if rec.owner != self.reader and now - rec.seen_since >= rec.lease:
                verdicts.append({"op": "crash", "run": run_id, "agent": agent_id, "at": self._clock(),
                                 "reason": "lease lapsed: no sign of life for %.3g s" % (now - rec.seen_since)})
        return verdicts

    # ------------------------------------------------------------------------------------ view

    def snapshot(self, shown: bool = True) -> List[Run]:
        """The runs as a reader should see them, by run number.

        Runs that are over are kept as ready-made :class:`~.runs.Run` objects,
        rebuilt (as new objects) only when they change, so a snapshot costs a
        list copy plus the runs still in progress, not a rebuild of every run.

        A ``pending`` or ``running`` run is shown as ``crashed`` (with
        ``info["lapsed"] = True``) when its last sign of life, by its writer's
        clock, is older than its lease plus the clock skew, or when this reader
        has watched it stay silent for a whole lease.

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
            if rec.id not in self.active:
                extra = {}
                verdict = self._verdicts.get(rec.id)
                if verdict is not None and rec.state == "crashed" and rec.finished_at is None:
                    extra = {"crashed_by": verdict.get("agent"), "error": verdict.get("reason")}
                self._list[rec.pos] = rec.to_run(rec.state, extra)
        self._changed.clear()
        out = list(self._list)
        if self.active and not shown:
            for run_id in self.active:
                rec = self.runs[run_id]
                out[rec.pos] = rec.to_run(rec.state)
        elif self.active:
            now = self._clock()
            mono = self._monotonic()
            for run_id in self.active:
                rec = self.runs[run_id]
                silent = now - rec.last_at
                watched = mono - rec.seen_since if rec.owner != self.reader else 0.0
                if silent > rec.lease + self._clock_skew or watched >= rec.lease:
                    out[rec.pos] = rec.to_run("crashed", {"lapsed": True, "state_before": rec.state})
                else:
                    out[rec.pos] = rec.to_run(rec.state)
        return out  # type: ignore[return-value]
