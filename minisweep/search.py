"""The search layer: given a sweep and its runs, what to run next.

This is minisweep's brain, and it is pure: no files, no clock, no global
state.  Everything it knows arrives as arguments, so the agent, a user's own
controller and a test all call it the same way:

- :func:`next_config` returns the next run's config, or ``None`` when the
  sweep has nothing left to run: the grid is exhausted, ``run_cap`` runs exist,
  or a finished run reached ``metric.target``.
- :func:`runs_to_stop` returns the running runs hyperband would stop now,
  each with its reason (:mod:`.hyperband`).

This module is the dispatcher; each search method is a *sampler* in the
module named for it, all with one signature, a pure function of the parsed
sweep, its runs and a random generator::

    propose(sweep: SweepConfig, runs: Sequence[Run], rng: random.Random, *,
            retry_failed: int = 0) -> Optional[dict]

returning the next run's config (``None``: nothing left).  ``grid`` is
:func:`.grid.propose` (it draws nothing), ``random`` is
:func:`random_config` below (one draw per parameter, see
:mod:`.distributions`), ``bayes`` is :func:`.bayes.propose`.  A new method is
a new sampler in :data:`SAMPLERS`.

Randomness is owned: run number *k* of a sweep with seed *s* draws from
``random.Random`` seeded with ``(s, k)``, so a random sweep proposes the same
configs whether one agent runs it or twenty.

>>> cfg = {"method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}}}
>>> a = next_config(cfg, [], seed=7)
>>> a == next_config(cfg, [], seed=7), 0.0 <= a["x"] <= 1.0
(True, True)
>>> next_config({"method": "grid", "run_cap": 1, "parameters": {"x": {"values": [1, 2]}}},
...             [Run("r0", "finished", {"x": 1})]) is None
True
"""

import random
from typing import Any, Callable, Dict, List, Optional, Sequence

from . import bayes, conditional, distributions, grid, hyperband
from .conditional import has_branches
from .runs import DONE_STATES, Run, copy_config
from .startpoints import next_start
from .sweepconfig import SweepConfig, parse_config
from .values import value_key

__all__ = ["next_config", "recheck", "runs_to_stop", "rng_for", "sweep_done", "random_config", "SAMPLERS", "Run"]

def random_config(sweep: SweepConfig, runs: Sequence[Run], rng: random.Random, *,
                  retry_failed: int = 0) -> Dict[str, Any]:
    """Random search as a sampler: each parameter drawn from its own distribution, whatever the runs.

    ``runs`` and ``retry_failed`` are part of the sampler signature; random search uses neither.
    With conditional parameters only the active ones are drawn (:func:`.conditional.sample`).
    """
    if has_branches(sweep.parameters):
        return conditional.sample(sweep, rng)
    return sweep.nest({p.path: distributions.sample(p, rng) for p in sweep.params})


#: The sampler of each ``method``: ``propose(sweep, runs, rng, *, retry_failed=0) -> config or None``.
SAMPLERS: Dict[str, Callable[..., Optional[Dict[str, Any]]]] = {
    "grid": grid.propose,
    "random": random_config,
    "bayes": bayes.propose,
}



def rng_for(seed: Any, index: int) -> random.Random:
    """The random generator of run number ``index`` in a sweep seeded with ``seed``.

    String seeds are hashed with SHA-512 by :mod:`random`, identically on every
    Python version and platform.
    """
    if seed is None:
        return random.Random()
    return random.Random("minisweep:%s:%d" % (seed, index))


def runs_to_stop(sweep: Any, runs: Sequence[Run]) -> List[hyperband.Decision]:
    """The running runs hyperband would stop now, each a :class:`~.hyperband.Decision` with its reason.

    ``sweep`` is anything :func:`~.sweepconfig.parse_config` accepts; see
    :func:`.hyperband.runs_to_stop` for the rule.
    """
    return hyperband.runs_to_stop(parse_config(sweep), runs)


def sweep_done(sweep: Any, runs: Sequence[Run]) -> Optional[str]:
    """Why the sweep must start no new run (``run_cap``, ``metric.target``), or ``None``."""
    sweep = parse_config(sweep)
    if sweep.run_cap is not None and len(runs) >= sweep.run_cap:
        return "run_cap %d reached" % sweep.run_cap
    metric = sweep.metric
    if metric is not None and metric.target is not None:
        for run in runs:
            if run.state in DONE_STATES:
                best = run.best(metric.name, metric.maximize)
                if best is not None and (best >= metric.target if metric.maximize else best <= metric.target):
                    return "run %s reached the target %s = %g" % (run.id, metric.name, metric.target)
    return None


def next_config(sweep: Any, runs: Sequence[Run], *, seed: Any = None, retry_failed: int = 0,
                index: Optional[int] = None) -> Optional[Dict[str, Any]]:
    """The config of the sweep's next run, or ``None`` when there is nothing left to run.

    Args:
        sweep: anything :func:`~.sweepconfig.parse_config` accepts.
        runs: every run of the sweep so far, in any state.
        seed: the sweep's seed; with the same seed and the same runs the answer
            is the same.  ``None`` draws fresh randomness.
        retry_failed: grid only: extra attempts for a point whose runs all
            failed or crashed (0 keeps W&B's rule: every run counts).
        index: the new run's number in the sweep; defaults to ``len(runs)``.

    Returns:
        The config as a plain (nested) dict of its own: it shares no object with
        the sweep's ``values`` or an earlier answer, so the caller may mutate it.
    """
    config = _next_config(sweep, runs, seed=seed, retry_failed=retry_failed, index=index)
    return None if config is None else copy_config(config)


def _next_config(sweep: Any, runs: Sequence[Run], *, seed: Any, retry_failed: int,
                 index: Optional[int]) -> Optional[Dict[str, Any]]:
    sweep = parse_config(sweep)
    runs = list(runs)
    if sweep_done(sweep, runs):
        return None
    k = len(runs) if index is None else index
    if sweep.prior_runs:  # earlier sweeps' runs count as seen and observed, not towards run_cap (priorruns.py)
        runs = runs + sweep.prior_runs
    start = next_start(sweep, runs)  # starting points first (startpoints.py), then the method
    if start is not None:
        return start
    return SAMPLERS[sweep.method](sweep, runs, rng_for(seed, k), retry_failed=retry_failed)


def recheck(sweep: Any, draft: Optional[Dict[str, Any]], seen: Sequence[Run], runs: Sequence[Run]) -> str:
    """May a config proposed from the runs ``seen`` still be claimed now that the runs are ``runs``?

    A Bayesian suggestion costs a GP fit, so an agent computes it *before*
    taking the claim lock, from what it saw then, and holds the lock only to
    claim it.  Under the lock it asks this question of what changed meanwhile:

    - ``"done"``: the sweep must start nothing (it was already done when the
      draft was made, or has become so: ``run_cap``, ``metric.target``);
    - ``"again"``: a run claimed meanwhile has exactly the draft's config (a
      small discrete space): propose again from ``runs``;
    - ``"claim"``: claim the draft.  Runs that finished or started meanwhile
      only mean the draft was made from slightly older news, as when two
      agents ask at the same moment.

    >>> cfg = {"method": "bayes", "run_cap": 2, "metric": {"name": "loss"}, "parameters": {"x": {"values": [1, 2]}}}
    >>> seen = [Run("a", "finished", {"x": 1})]
    >>> recheck(cfg, {"x": 2}, seen, seen), recheck(cfg, {"x": 2}, seen, seen + [Run("b", "pending", {"x": 2})])
    ('claim', 'done')
    >>> recheck(dict(cfg, run_cap=3), {"x": 2}, seen, seen + [Run("b", "pending", {"x": 2.0})])
    'again'
    """
    if draft is None or sweep_done(sweep, runs):
        return "done"
    old = {run.id for run in seen}
    key = value_key(draft)
    for run in runs:
        if run.id not in old and value_key(run.config) == key:
            return "again"
    return "claim"
