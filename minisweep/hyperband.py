"""Hyperband early termination: stop the runs that are behind at a checkpoint.

Training curves are informative early: a run far behind its peers after a few
epochs rarely wins.  Hyperband (Li et al., 2017) turns that into a rule with
*bands*, checkpoints counted in iterations, and a keep-fraction ``1/eta``:

- **Bands.**  From ``min_iter``: ``min_iter, min_iter*eta, min_iter*eta**2, ...``
  (each truncated to an int).  From ``max_iter`` and ``s``: divide ``max_iter``
  by ``eta`` ``s`` times, keep each ``int`` result that is at least 1, sort
  ascending (``max_iter=81, s=3, eta=3`` gives ``[3, 9, 27]``).  When both
  forms are given, W&B uses ``max_iter`` and ``s``.
- **Iterations.**  A run's *k*-th iteration is the *k*-th history row that
  contains the metric (with a finite value); ``_step`` plays no part.
- **Thresholds.**  For band *b*, take the *b*-th value of every run (in any
  state) that has at least *b* values, sort them (negated for ``maximize``),
  and the threshold is the element at index ``int(len / eta)``: only about the
  best ``1/eta`` are strictly better than it.
- **Decision.**  A *running* run is judged at the largest band it has reached.
  With ``strict: true`` (the default) it is stopped when its value *at* that
  band is worse than the threshold; with ``strict: false`` only when its best
  value so far is.  A run alone at a band sets the threshold itself, so it is
  never stopped.

>>> from .sweepconfig import parse_config
>>> from .runs import Run
>>> cfg = parse_config({"method": "random", "metric": {"name": "loss"},
...     "early_terminate": {"type": "hyperband", "min_iter": 1, "eta": 2},
...     "parameters": {"x": {"value": 1}}})
>>> runs = [Run("a", "finished", history=[{"loss": 1.0}]),
...         Run("b", "running", history=[{"loss": 5.0}])]
>>> [(d.run.id, d.band, d.threshold, d.value) for d in decisions(cfg, runs)]
[('b', 1, 5.0, 5.0)]
>>> [d.run.id for d in runs_to_stop(cfg, runs)]
[]
>>> runs.append(Run("c", "finished", history=[{"loss": 2.0}]))
>>> [str(d) for d in runs_to_stop(cfg, runs)]
['b: loss 5 at band 1 is worse than the threshold 2 (3 runs reached band 1, eta 2)']
"""

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

if TYPE_CHECKING:
    from .runs import Run
    from .sweepconfig import SweepConfig

__all__ = ["Hyperband", "bands", "thresholds", "decisions", "runs_to_stop", "Decision"]


class Hyperband:
    """A sweep's ``early_terminate: {type: hyperband, ...}``, with defaults filled.

    :func:`~.sweepconfig.parse_config` checks the keys and builds it; the
    rules that use it are below.
    """

    __slots__ = ("min_iter", "max_iter", "s", "eta", "strict")

    def __init__(self, min_iter: Optional[int] = None, max_iter: Optional[int] = None,
                 s: Optional[float] = None, eta: float = 3, strict: bool = True) -> None:
        self.min_iter = min_iter
        self.max_iter = max_iter
        self.s = s
        self.eta = eta
        self.strict = strict

    def spec(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"type": "hyperband", "eta": self.eta, "strict": self.strict}
        for key in ("min_iter", "max_iter", "s"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    def __repr__(self) -> str:
        return "Hyperband(%s)" % ", ".join("%s=%r" % kv for kv in self.spec().items() if kv[0] != "type")


def bands(hb: Hyperband) -> List[int]:
    """The iteration counts at which runs are compared.

    >>> bands(Hyperband(max_iter=81, s=3, eta=3))
    [3, 9, 27]
    >>> bands(Hyperband(min_iter=3, eta=3))[:5]
    [3, 9, 27, 81, 243]
    """
    out: List[int] = []
    if hb.max_iter is not None and hb.s is not None:
        band = float(hb.max_iter)
        for _ in range(int(hb.s)):
            band /= hb.eta
            if band < 1:
                break
            out.append(int(band))
        return sorted(out)
    band = float(hb.min_iter)
    for _ in range(100):
        out.append(int(band))
        band *= hb.eta
        if band > 1e18:  # beyond any run's history; W&B lists 100 bands regardless
            break
    return out


class Decision:
    """Hyperband's verdict on one running run at the largest band it reached."""

    __slots__ = ("run", "band", "threshold", "value", "stop", "metric", "reached", "eta", "strict")

    def __init__(self, run: "Run", band: int, threshold: float, value: float, stop: bool,
                 metric: str, reached: int, eta: float, strict: bool) -> None:
        self.run = run
        self.band = band
        self.threshold = threshold
        self.value = value
        self.stop = stop
        self.metric = metric
        self.reached = reached
        self.eta = eta
        self.strict = strict

    @property
    def reason(self) -> str:
        what = "%s %s at band %d" % (self.metric, _num(self.value), self.band)
        if not self.strict:
            what = "best %s %s by band %d" % (self.metric, _num(self.value), self.band)
        verdict = "is worse than" if self.stop else "is within"
        return "%s %s the threshold %s (%d runs reached band %d, eta %s)" % (
            what, verdict, _num(self.threshold), self.reached, self.band, _num(self.eta))

    def __str__(self) -> str:
        return "%s: %s" % (self.run.id, self.reason)

    def __repr__(self) -> str:
        return "Decision(%r, band=%r, threshold=%r, value=%r, stop=%r)" % (
            self.run.id, self.band, self.threshold, self.value, self.stop)


def _num(x: float) -> str:
    return "%g" % x


def _signed_history(run: "Run", metric: str, maximize: bool) -> List[float]:
    values = run.metric_values(metric)
    return [-v for v in values] if maximize else values


def _band_table(hb: Hyperband, histories: Sequence[List[float]]) -> Tuple[List[int], List[float]]:
    """Per band: how many runs reached it, and its threshold (signed so lower is better)."""
    r = 1.0 / hb.eta
    counts: List[int] = []
    limits: List[float] = []
    for band in bands(hb):
        values = sorted(h[band - 1] for h in histories if len(h) >= band)
        counts.append(len(values))
        limits.append(values[int(r * len(values))] if values else float("inf"))
    return counts, limits


def thresholds(sweep: "SweepConfig", runs: Sequence["Run"]) -> List[Optional[float]]:
    """Per band, the threshold in the metric's own sign, or ``None`` when no run reached it."""
    metric = sweep.metric
    histories = [_signed_history(r, metric.name, metric.maximize) for r in runs]
    counts, limits = _band_table(sweep.early_terminate, histories)
    sign = -1 if metric.maximize else 1
    return [sign * t if n else None for n, t in zip(counts, limits)]


def decisions(sweep: "SweepConfig", runs: Sequence["Run"]) -> List[Decision]:
    """Hyperband's verdict on every running run that has reached at least one band."""
    hb, metric = sweep.early_terminate, sweep.metric
    if hb is None or metric is None:
        return []
    histories = {id(r): _signed_history(r, metric.name, metric.maximize) for r in runs}
    band_list = bands(hb)
    counts, limits = _band_table(hb, list(histories.values()))
    out: List[Decision] = []
    for run in runs:
        if run.state != "running":
            continue
        history = histories[id(run)]
        at = -1
        for i, band in enumerate(band_list):
            if band <= len(history):
                at = i
            else:
                break
        if at < 0:
            continue
        band, limit = band_list[at], limits[at]
        value = history[band - 1] if hb.strict else min(history)
        stop = value > limit
        sign = -1 if metric.maximize else 1
        out.append(Decision(run, band, sign * limit, sign * value, stop, metric.name, counts[at],
                            hb.eta, hb.strict))
    return out


def runs_to_stop(sweep: "SweepConfig", runs: Sequence["Run"]) -> List[Decision]:
    """The running runs hyperband would stop now, each a :class:`Decision` with its reason.

    ``sweep`` is a parsed :class:`~.sweepconfig.SweepConfig` (as for every
    function here); :func:`minisweep.runs_to_stop` (:func:`.search.runs_to_stop`)
    also takes a raw config."""
    return [d for d in decisions(sweep, runs) if d.stop]
