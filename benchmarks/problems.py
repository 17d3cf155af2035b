"""Benchmark problems for Bayesian search, as W&B sweep configs.

Every problem is what a user would write: a W&B sweep ``parameters`` dict
and an objective of a run's config.  The same config goes to
``minisweep.next_config`` (``method: bayes`` and ``method: random``), to W&B's
own ``sweeps`` engine and, translated parameter by parameter, to Optuna.  All
objectives are minimised and have a known minimum, so results are reported as
*simple regret*: best value found minus the minimum.

* ``branin``: 2-d, x1 in [-5, 10], x2 in [0, 15]; three global minima, 0.397887.
* ``hartmann6``: 6-d on [0, 1]^6; one narrow minimum, -3.32237.
* ``rosenbrock4``: 4-d on [-2, 2]^4; a curved valley, minimum 0 at (1, 1, 1, 1).
* ``ackley5``: 5-d on [-5, 5]^5; a bowl covered in ripples, minimum 0 at 0.
* ``levy10``: 10-d on [-10, 10]^10; many local minima along a valley, minimum 0
  at (1, ..., 1).
* ``hartmann6in20``: Hartmann-6 on the first six of twenty parameters in
  [0, 1]; the other fourteen do nothing (a search must learn to ignore them).
* ``hpo``: a mixed space where the parameters interact as real ones do:
  ``lr`` log-uniform in [1e-5, 1e-1], ``opt`` one of five optimizers,
  ``batch`` q-uniform in [16, 512] with q = 16, ``layers`` integer 1..8.
  The best learning rate depends on the optimizer and grows with the batch
  size (half a decade per decade of batch):

      base[opt] + 0.08 (log10 lr - best_log_lr[opt] - 0.5 log10(batch / 128))^2
                + 0.01 (layers - 5)^2 + 0.01 log2(batch / 128)^2

  The minimum 0 is at adam, lr = 1e-3, batch 128, 5 layers.
* ``mixed``: a synthetic "training run" over five parameters of every kind:
  ``lr`` log-uniform in [1e-5, 1e-1], ``layers`` integer 1..8, ``opt`` one of
  adam / sgd / rmsprop, ``dropout`` uniform in [0, 0.5] and ``batch``
  q-log-uniform in [16, 512] with q = 16.  The loss is

      base[opt] + 0.08 (log10 lr - best_log_lr[opt])^2 + 0.01 (layers - 5)^2
                + 0.6 (dropout - 0.05 layers)^2 + 0.02 log2(batch / 64)^2

  with base = {adam: 0, rmsprop: 0.03, sgd: 0.08} and best_log_lr =
  {adam: -3, rmsprop: -3.5, sgd: -1.5}: each optimizer has its own best
  learning rate, deeper nets want more dropout.  The minimum 0 is at adam,
  lr = 1e-3, 5 layers, dropout 0.25, batch 64.

>>> p = PROBLEMS["branin"]
>>> round(p.objective({"x1": -math.pi, "x2": 12.275}) - p.minimum, 6)
0.0
>>> round(PROBLEMS["mixed"].objective(MIXED_OPTIMUM), 12)
0.0
>>> PROBLEMS["hpo"].objective(HPO_OPTIMUM), round(PROBLEMS["levy10"].objective({f"x{i}": 1.0 for i in range(1, 11)}), 12)
(0.0, 0.0)
>>> PROBLEMS["rosenbrock4"].sweep_config("random")["parameters"]["x4"]
{'min': -2.0, 'max': 2.0}
"""

import math
from typing import Callable, Dict, List, Sequence

__all__ = ["Problem", "PROBLEMS", "MIXED_OPTIMUM", "MIXED_PARAMETERS", "HPO_OPTIMUM", "HPO_PARAMETERS"]

Config = Dict[str, object]


class Problem:
    """A minimisation problem given as a W&B sweep.

    Attributes:
        name: short name.
        parameters: the W&B sweep ``parameters`` dict.
        minimum: the known global minimum of ``objective``.
        objective: run config -> objective value (the metric ``loss``).
    """

    def __init__(self, name: str, parameters: Dict[str, dict], minimum: float,
                 objective: Callable[[Config], float]) -> None:
        self.name = name
        self.parameters = parameters
        self.minimum = minimum
        self.objective = objective

    def sweep_config(self, method: str = "bayes") -> dict:
        """The complete W&B sweep config: ``parameters`` plus ``method`` and the metric."""
        return {"method": method, "metric": {"name": "loss", "goal": "minimize"},
                "parameters": {k: dict(v) for k, v in self.parameters.items()}}


def _box(name: str, lows: Sequence[float], highs: Sequence[float], f: Callable[[List[float]], float],
         minimum: float) -> Problem:
    """A problem on a box: parameters x1, x2, ... each ``{min: lo, max: hi}`` (floats: uniform)."""
    keys = [f"x{i + 1}" for i in range(len(lows))]
    params = {k: {"min": float(lo), "max": float(hi)} for k, lo, hi in zip(keys, lows, highs)}

    def objective(cfg: Config) -> float:
        return f([float(cfg[k]) for k in keys])  # type: ignore[arg-type]

    return Problem(name, params, minimum, objective)


def branin(x: List[float]) -> float:
    x1, x2 = x
    b = 5.1 / (4.0 * math.pi ** 2)
    c = 5.0 / math.pi
    t = 1.0 / (8.0 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - 6.0) ** 2 + 10.0 * (1.0 - t) * math.cos(x1) + 10.0


_H_ALPHA = (1.0, 1.2, 3.0, 3.2)
_H_A = ((10, 3, 17, 3.5, 1.7, 8), (0.05, 10, 17, 0.1, 8, 14), (3, 3.5, 1.7, 10, 17, 8), (17, 8, 0.05, 10, 0.1, 14))
_H_P = ((0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886), (0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991),
        (0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650), (0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381))


def hartmann6(x: List[float]) -> float:
    return -sum(a * math.exp(-sum(Aij * (xj - Pij) ** 2 for Aij, xj, Pij in zip(Ai, x, Pi)))
                for a, Ai, Pi in zip(_H_ALPHA, _H_A, _H_P))


def rosenbrock(x: List[float]) -> float:
    return sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2 for a, b in zip(x, x[1:]))


def levy(x: List[float]) -> float:
    w = [1.0 + (v - 1.0) / 4.0 for v in x]
    body = sum((wi - 1.0) ** 2 * (1.0 + 10.0 * math.sin(math.pi * wi + 1.0) ** 2) for wi in w[:-1])
    return (math.sin(math.pi * w[0]) ** 2 + body
            + (w[-1] - 1.0) ** 2 * (1.0 + math.sin(2.0 * math.pi * w[-1]) ** 2))


def ackley(x: List[float]) -> float:
    n = len(x)
    s1 = sum(v * v for v in x) / n
    s2 = sum(math.cos(2.0 * math.pi * v) for v in x) / n
    return -20.0 * math.exp(-0.2 * math.sqrt(s1)) - math.exp(s2) + 20.0 + math.e


# --- the mixed problem -------------------------------------------------------

_OPTS = ["adam", "sgd", "rmsprop"]
_BASE = {"adam": 0.0, "sgd": 0.08, "rmsprop": 0.03}
_BEST_LOG_LR = {"adam": -3.0, "sgd": -1.5, "rmsprop": -3.5}
MIXED_OPTIMUM: Config = {"lr": 1e-3, "layers": 5, "opt": "adam", "dropout": 0.25, "batch": 64}

MIXED_PARAMETERS: Dict[str, dict] = {
    "lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
    "layers": {"distribution": "int_uniform", "min": 1, "max": 8},
    "opt": {"values": list(_OPTS)},
    "dropout": {"distribution": "uniform", "min": 0.0, "max": 0.5},
    "batch": {"distribution": "q_log_uniform_values", "min": 16, "max": 512, "q": 16},
}


def mixed_objective(cfg: Config) -> float:
    """The mixed problem's loss of a run config (see the module docstring)."""
    opt = str(cfg["opt"])
    lr = float(cfg["lr"])  # type: ignore[arg-type]
    layers = float(cfg["layers"])  # type: ignore[arg-type]
    dropout = float(cfg["dropout"])  # type: ignore[arg-type]
    batch = float(cfg["batch"])  # type: ignore[arg-type]
    return (_BASE[opt] + 0.08 * (math.log10(lr) - _BEST_LOG_LR[opt]) ** 2 + 0.01 * (layers - 5.0) ** 2
            + 0.6 * (dropout - 0.05 * layers) ** 2 + 0.02 * math.log2(batch / 64.0) ** 2)


# --- the hpo problem ---------------------------------------------------------

_HPO_OPTS = ["adam", "adamw", "sgd", "rmsprop", "adagrad"]
_HPO_BASE = {"adam": 0.0, "adamw": 0.01, "sgd": 0.06, "rmsprop": 0.03, "adagrad": 0.1}
_HPO_LOG_LR = {"adam": -3.0, "adamw": -3.2, "sgd": -1.5, "rmsprop": -3.5, "adagrad": -2.0}
HPO_OPTIMUM: Config = {"lr": 1e-3, "opt": "adam", "batch": 128, "layers": 5}

HPO_PARAMETERS: Dict[str, dict] = {
    "lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
    "opt": {"values": list(_HPO_OPTS)},
    "batch": {"distribution": "q_uniform", "min": 16, "max": 512, "q": 16},
    "layers": {"distribution": "int_uniform", "min": 1, "max": 8},
}


def hpo_objective(cfg: Config) -> float:
    """The hpo problem's loss of a run config (see the module docstring)."""
    opt = str(cfg["opt"])
    lr = float(cfg["lr"])  # type: ignore[arg-type]
    batch = float(cfg["batch"])  # type: ignore[arg-type]
    layers = float(cfg["layers"])  # type: ignore[arg-type]
    best = _HPO_LOG_LR[opt] + 0.5 * math.log10(batch / 128.0)
    return (_HPO_BASE[opt] + 0.08 * (math.log10(lr) - best) ** 2 + 0.01 * (layers - 5.0) ** 2
            + 0.01 * math.log2(batch / 128.0) ** 2)


def _hartmann6in20(x: List[float]) -> float:
    return hartmann6(x[:6])


PROBLEMS: Dict[str, Problem] = {
    "branin": _box("branin", [-5.0, 0.0], [10.0, 15.0], branin, 0.397887),
    "hartmann6": _box("hartmann6", [0.0] * 6, [1.0] * 6, hartmann6, -3.32237),
    "rosenbrock4": _box("rosenbrock4", [-2.0] * 4, [2.0] * 4, rosenbrock, 0.0),
    "ackley5": _box("ackley5", [-5.0] * 5, [5.0] * 5, ackley, 0.0),
    "mixed": Problem("mixed", MIXED_PARAMETERS, 0.0, mixed_objective),
    "levy10": _box("levy10", [-10.0] * 10, [10.0] * 10, levy, 0.0),
    "hartmann6in20": _box("hartmann6in20", [0.0] * 20, [1.0] * 20, _hartmann6in20, -3.32237),
    "hpo": Problem("hpo", HPO_PARAMETERS, 0.0, hpo_objective),
}
