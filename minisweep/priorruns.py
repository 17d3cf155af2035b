"""Prior runs: results of earlier sweeps that a new sweep's search takes into account.

A sweep rarely starts from nothing: last week's sweep explored half the
grid, a random sweep mapped the space, and the new one should build on
them.  W&B's client takes ``sweep(config, prior_runs=[run ids])`` and
``wandb sweep -R/--prior_run RUN_ID`` for this (and users asked for a new
grid that skips points already run: wandb/wandb #2783, #2586).  minisweep
takes a run as ``SWEEP_ID/RUN_ID``, a bare run id (looked up in every
sweep of the store), or a whole earlier sweep by its id.

When the sweep is created, each prior run is copied into its config as a
frozen record (its sweep, id, state, config and the values it logged of
the sweep's metric), under the top-level key ``prior_runs``: the new
sweep never depends on the old one staying put, and every agent sees the
same prior runs.  That key is a minisweep extension (``minisweep check``
says so).  Then:

- **grid** skips the points they ran (the grid's own rule: a point is taken
  once any run has it, whatever its state);
- **bayes** conditions on them exactly as on its own runs;
- **random** draws as always (it learns nothing from any run);
- starting points a prior run already has are not run again;
- ``run_cap`` and ``metric.target`` count only the sweep's own runs, and
  ``minisweep status`` and the report show the prior runs apart, as prior.

This module is pure: :func:`record` turns a run into the stored record,
:func:`parse_prior_runs` checks the stored records, :func:`runs` gives them
back as :class:`~.runs.Run` objects.  Finding the runs by id reads the
store, so that is :func:`~.api.sweep`'s job.

>>> from .runs import Run
>>> old = Run("ab12cd34", "finished", {"lr": 0.1}, history=[{"loss": 0.5, "acc": 0.8}, {"loss": 0.4}])
>>> rec = record(old, "sweep001", "loss")
>>> rec
{'sweep': 'sweep001', 'id': 'ab12cd34', 'state': 'finished', 'config': {'lr': 0.1}, 'history': [{'loss': 0.5}, {'loss': 0.4}]}
>>> [(r.id, r.best("loss")) for r in runs([rec])]
[('sweep001/ab12cd34', 0.4)]
"""

from typing import Any, Dict, List, Optional, Sequence

from .runs import STATES, Run, copy_config, is_number

__all__ = ["KEY", "EXTENSION", "record", "parse_prior_runs", "runs"]

#: The top-level config key the records are stored under.
KEY = "prior_runs"
#: What ``minisweep check`` names when a config has prior runs.
EXTENSION = "prior runs ('prior_runs')"


def record(run: Run, sweep_id: Optional[str], metric: Optional[str]) -> Dict[str, Any]:
    """The frozen record of a prior run: where it came from, its state, its config, its metric values.

    Only the sweep's metric is kept from the history (the search uses nothing
    else), so a long run does not bloat the new sweep's config.
    """
    history: List[Dict[str, Any]] = []
    if metric is not None:
        history = [{metric: row[metric]} for row in run.history if metric in row and is_number(row[metric])]
        if not history and is_number(run.summary.get(metric)):
            history = [{metric: run.summary[metric]}]
    return {"sweep": sweep_id or "", "id": run.id, "state": run.state, "config": copy_config(run.config),
            "history": history}


def parse_prior_runs(checker: Any, raw: Any) -> List[Dict[str, Any]]:
    """Check the stored records (called by the config checker); the good ones, as written."""
    path = (KEY,)
    if not isinstance(raw, list):
        checker.error(path, "expected a list of prior-run records (sweep() and `minisweep sweep -R` write it), "
                      "got %s" % type(raw).__name__)
        return []
    out = []
    for i, rec in enumerate(raw):
        here = path + (i,)
        if not isinstance(rec, dict):
            checker.error(here, "expected a record {sweep, id, state, config, history}, got %s" % type(rec).__name__)
            continue
        bad = False
        for key, kind in (("id", str), ("state", str), ("config", dict)):
            if not isinstance(rec.get(key), kind):
                checker.error(here + (key,), "expected %s, got %r" % ("a mapping" if kind is dict else "a string",
                                                                     rec.get(key)))
                bad = True
        if isinstance(rec.get("state"), str) and rec["state"] not in STATES:
            checker.error(here + ("state",), "%r is not a run state (%s)" % (rec["state"], ", ".join(STATES)))
            bad = True
        history = rec.get("history", [])
        if not isinstance(history, list) or not all(isinstance(row, dict) for row in history):
            checker.error(here + ("history",), "expected a list of logged rows (mappings)")
            bad = True
        if not bad:
            out.append(rec)
    return out


def runs(records: Sequence[Dict[str, Any]]) -> List[Run]:
    """The prior runs as :class:`~.runs.Run` objects, their ids ``SWEEP/RUN`` (``RUN`` when no sweep)."""
    out = []
    for rec in records:
        name = "%s/%s" % (rec["sweep"], rec["id"]) if rec.get("sweep") else rec["id"]
        out.append(Run(name, rec["state"], rec["config"], history=rec.get("history", []),
                       info={"prior": True, "sweep": rec.get("sweep", "")}))
    return out
