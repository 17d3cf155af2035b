"""The training function that every agent back-end runs in ``tests/test_agent_contract.py``.

One body for the four back-ends: ``train()`` is called in the agent's own threads, in another
Python's agent, in a ``concurrent.futures`` worker (so it is defined at module level, where a process
pool can send it), or run as the sweep's program (command mode: ``python agent_work.py --x=...``,
where ``minisweep.init()`` reads the run's config from the environment the agent sets).

What it does is decided by the run's config alone, so a sweep says it once for every back-end:

- ``x`` (a number): the run logs ``loss = |x| * (steps - step)`` for ``step`` in ``range(steps)``;
- ``steps`` (default 1) and ``pause`` (seconds slept after each row, default 0);
- ``fail``: ``"always"``, or a value of ``x`` at which the run raises ``ValueError`` before logging.

Every row also carries ``seen`` (the config the function was given, as sorted JSON) and ``pid`` (the
process that ran it), so a test can check what each run received and where it ran.
"""

import json
import os
import time

import minisweep

__all__ = ["train"]


def train():
    minisweep.init()
    config = dict(minisweep.config.items())
    x = config.get("x", 0)
    if config.get("fail") in ("always", x):
        raise ValueError("broken on purpose at x=%r" % (x,))
    steps = config.get("steps", 1)
    seen = json.dumps(config, sort_keys=True)
    for step in range(steps):
        minisweep.log({"loss": abs(x) * (steps - step), "seen": seen, "pid": os.getpid()})
        time.sleep(config.get("pause", 0))


if __name__ == "__main__":
    train()
