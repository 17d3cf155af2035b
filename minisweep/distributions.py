"""The 18 W&B parameter distributions: their keys, how to draw from them, their CDFs.

Everything minisweep knows about a distribution is in this module, so a new
one means editing this file (and the tests): its keys and defaults in
:data:`DISTRIBUTIONS`, and one branch in each operation below.  The
validator (:mod:`.sweepconfig`), the grid, random and Bayesian search only
call these functions.

Each distribution is a recipe for turning one uniform random number ``u`` in
[0, 1) into a parameter value.  Four operations are all the search layer
needs:

``sample(param, rng)``
    one random draw, using only the ``random.Random`` it is given (never the
    module-global one), so a sweep's draws are reproducible from its seed.
``cdf(param, value)`` and ``ppf(param, u)``
    the prior's cumulative distribution function and its inverse: the
    mapping between a parameter's values and the unit interval.  Bayesian
    search works in the unit cube of prior CDFs: ``cdf`` maps a run's value
    into [0, 1] (log-scale distributions become linear there), ``ppf`` maps a
    proposal back.  For discrete distributions ``ppf`` returns an allowed
    value (rounded, quantised, or a category); :func:`quantised_values` lists
    every value a ``q_*`` distribution can reach.
``grid_values(param)``
    the values a grid enumerates, exactly as W&B lists them.

Quantised distributions (``q_*``) round to the nearest multiple of ``q``:
``round(x / q) * q``; the result is an ``int`` only when ``q`` is an int, so
the default ``q: 1.0`` gives floats (W&B does the same).

>>> import random
>>> from .sweepconfig import Param
>>> p = Param(("lr",), "log_uniform_values", min=1e-4, max=1e-1)
>>> 1e-4 <= sample(p, random.Random(0)) <= 1e-1
True
>>> round(cdf(p, 1e-2), 6)   # 1e-2 is two thirds of the way from 1e-4 to 1e-1 on a log scale
0.666667
>>> grid_values(Param(("n",), "q_uniform", min=0, max=1, q=0.25))
[0.0, 0.25, 0.5, 0.75]
"""

import math
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ._compat import NormalDist
from .values import value_key

if TYPE_CHECKING:
    import random

    from .sweepconfig import Param

__all__ = ["DISTRIBUTIONS", "DEPRECATED", "GRID_DISTRIBUTIONS", "sample", "cdf", "ppf", "grid_values",
           "quantize", "quantised_values", "is_log_scale", "index_of", "beta_cdf", "beta_ppf"]

#: Every distribution W&B knows, with the keys it takes and their defaults
#: (``None``: required, no default).  The names, keys and defaults are those of
#: W&B's sweep config schema (wandb/sweeps ``src/sweeps/config/schema.json``).
DISTRIBUTIONS: Dict[str, Dict[str, Any]] = {
    "constant": {"value": None},
    "categorical": {"values": None},
    "categorical_w_probabilities": {"values": None, "probabilities": None},
    "int_uniform": {"min": None, "max": None},
    "uniform": {"min": None, "max": None},
    "q_uniform": {"min": None, "max": None, "q": 1.0},
    "log_uniform": {"min": None, "max": None},
    "log_uniform_values": {"min": None, "max": None},
    "inv_log_uniform": {"min": None, "max": None},
    "inv_log_uniform_values": {"min": None, "max": None},
    "q_log_uniform": {"min": None, "max": None, "q": 1.0},
    "q_log_uniform_values": {"min": None, "max": None, "q": 1.0},
    "normal": {"mu": 0.0, "sigma": 1.0},
    "q_normal": {"mu": 0.0, "sigma": 1.0, "q": 1.0},
    "log_normal": {"mu": 0.0, "sigma": 1.0},
    "q_log_normal": {"mu": 0.0, "sigma": 1.0, "q": 1.0},
    "beta": {"a": 1.0, "b": 1.0},
    "q_beta": {"a": 1.0, "b": 1.0, "q": 1.0},
}

#: Deprecated distributions whose bounds are natural-log exponents, and what to write instead.
DEPRECATED = {
    "log_uniform": "log_uniform_values",
    "inv_log_uniform": "inv_log_uniform_values",
    "q_log_uniform": "q_log_uniform_values",
}

#: Distributions a grid can enumerate (W&B: categorical, constant, int_uniform, q_uniform).
GRID_DISTRIBUTIONS = ("constant", "categorical", "int_uniform", "q_uniform")

_EPS = 1e-12


def quantize(x: float, q: float) -> Any:
    """``round(x / q) * q``, an int when ``q`` is an int (W&B's rule).

    >>> quantize(7.4, 2), quantize(7.4, 2.0), quantize(0.3, 0.25)
    (8, 8.0, 0.25)
    """
    r = round(x / q) * q
    if isinstance(q, int) and not isinstance(q, bool):
        return int(r)
    return float(r)


def is_log_scale(param: "Param") -> bool:
    """Whether the distribution is uniform on a log scale (its CDF is linear in log x)."""
    return param.distribution in ("log_uniform", "log_uniform_values", "inv_log_uniform",
                                  "inv_log_uniform_values", "q_log_uniform", "q_log_uniform_values")


def _log_bounds(param: "Param") -> Tuple[float, float]:
    """Natural-log bounds of the log-uniform family."""
    d = param.distribution
    if d in ("log_uniform", "q_log_uniform"):
        return param.min, param.max
    if d == "inv_log_uniform":
        return -param.max, -param.min
    return math.log(param.min), math.log(param.max)


def _log_uniform(param: "Param", u: float) -> float:
    """The log-uniform family's value at quantile ``u``, never outside its range.

    ``exp(log(m))`` is not always ``m`` (``exp(log(1e-5))`` is below ``1e-5``), so
    the result is clamped to ``[min, max]`` (to ``[e**min, e**max]`` for the
    deprecated exponent forms); otherwise an end of the range could come out an
    ulp outside the bounds the user wrote.
    """
    lo, hi = _log_bounds(param)
    x = math.exp(lo + (hi - lo) * u)
    if param.distribution in ("log_uniform_values", "inv_log_uniform_values", "q_log_uniform_values"):
        return min(max(x, param.min), param.max)
    return min(max(x, math.exp(lo)), math.exp(hi))


def sample(param: "Param", rng: "random.Random") -> Any:
    """One draw from ``param``'s distribution, using ``rng`` (a ``random.Random``)."""
    d = param.distribution
    if d == "constant":
        return param.value
    if d == "categorical":
        return param.values[rng.randrange(len(param.values))]
    if d == "categorical_w_probabilities":
        return param.values[_weighted_index(param.probabilities, rng.random())]
    if d == "int_uniform":
        return rng.randint(param.min, param.max)
    if d in ("uniform", "q_uniform"):
        x = param.min + (param.max - param.min) * rng.random()
    elif is_log_scale(param):
        x = _log_uniform(param, rng.random())
    elif d in ("normal", "q_normal"):
        x = rng.gauss(param.mu, param.sigma)
    elif d in ("log_normal", "q_log_normal"):
        x = math.exp(rng.gauss(param.mu, param.sigma))
    elif d in ("beta", "q_beta"):
        x = rng.betavariate(param.a, param.b)
    else:
        raise ValueError("unknown distribution %r" % d)
    if d.startswith("q_"):
        return quantize(x, param.q)
    return x


def _weighted_index(probabilities: List[float], u: float) -> int:
    total = sum(probabilities)
    acc = 0.0
    for i, p in enumerate(probabilities):
        acc += p / total
        if u < acc:
            return i
    return max(i for i, p in enumerate(probabilities) if p > 0)


def cdf(param: "Param", value: Any) -> float:
    """The prior CDF of ``value``, in [0, 1].

    Categorical values map to the centre of their slot: ``(index + 0.5) / n``;
    integers likewise, so every allowed value has a cell of equal width.

    Raises:
        ValueError: for a categorical value not among ``values``, or a constant.
    """
    d = param.distribution
    if d == "constant":
        raise ValueError("a constant has no CDF")
    if d in ("categorical", "categorical_w_probabilities"):
        n = len(param.values)
        return (index_of(param.values, value) + 0.5) / n
    if d == "int_uniform":
        n = param.max - param.min + 1
        return _clip((value - param.min + 0.5) / n)
    if d in ("uniform", "q_uniform"):
        return _clip((value - param.min) / (param.max - param.min))
    if is_log_scale(param):
        lo, hi = _log_bounds(param)
        if value <= 0:
            return 0.0
        return _clip((math.log(value) - lo) / (hi - lo))
    if d in ("normal", "q_normal"):
        if param.sigma == 0:
            return 0.5
        return _clip(NormalDist(param.mu, param.sigma).cdf(value))
    if d in ("log_normal", "q_log_normal"):
        if value <= 0:
            return 0.0
        if param.sigma == 0:
            return 0.5
        return _clip(NormalDist(param.mu, param.sigma).cdf(math.log(value)))
    if d in ("beta", "q_beta"):
        return _clip(beta_cdf(min(max(value, 0.0), 1.0), param.a, param.b))
    raise ValueError("unknown distribution %r" % d)


def ppf(param: "Param", u: float) -> Any:
    """The inverse of :func:`cdf`: the value at quantile ``u`` (discrete values rounded)."""
    d = param.distribution
    u = _clip(u)
    if d == "constant":
        return param.value
    if d in ("categorical", "categorical_w_probabilities"):
        n = len(param.values)
        return param.values[min(int(u * n), n - 1)]
    if d == "int_uniform":
        n = param.max - param.min + 1
        return param.min + min(int(u * n), n - 1)
    if d in ("uniform", "q_uniform"):
        x = param.min + (param.max - param.min) * u
    elif is_log_scale(param):
        x = _log_uniform(param, u)
    elif d in ("normal", "q_normal", "log_normal", "q_log_normal"):
        uu = min(max(u, 1e-9), 1 - 1e-9)
        x = param.mu if param.sigma == 0 else NormalDist(param.mu, param.sigma).inv_cdf(uu)
        if d in ("log_normal", "q_log_normal"):
            x = math.exp(x)
    elif d in ("beta", "q_beta"):
        x = beta_ppf(u, param.a, param.b)
    else:
        raise ValueError("unknown distribution %r" % d)
    if d.startswith("q_"):
        return quantize(x, param.q)
    return x


def _clip(u: float) -> float:
    return 0.0 if u < 0.0 else 1.0 if u > 1.0 else float(u)


def grid_values(param: "Param") -> List[Any]:
    """The values a grid search enumerates for ``param``, in W&B's order.

    ``int_uniform`` gives ``min .. max`` inclusive; ``q_uniform`` gives
    ``min, min + q, ...`` strictly below ``max`` (as ``numpy.arange``, so
    ``max`` itself is left out).

    Raises:
        ValueError: for a distribution a grid cannot enumerate.
    """
    d = param.distribution
    if d == "constant":
        return [param.value]
    if d == "categorical":
        return list(param.values)
    if d == "int_uniform":
        return list(range(param.min, param.max + 1))
    if d == "q_uniform":
        count = int(math.ceil((param.max - param.min) / param.q))
        ints = all(isinstance(x, int) and not isinstance(x, bool) for x in (param.min, param.max, param.q))
        if ints:
            return [param.min + i * param.q for i in range(count)]
        # numpy.arange steps by the difference of its first two values, not by q itself
        # (min 1, q 0.3 gives 1.9000000000000001, not 1.9): W&B lists exactly these.
        start = float(param.min)
        delta = (start + param.q) - start
        return [start + i * delta for i in range(count)]
    raise ValueError("grid search cannot enumerate distribution %r" % d)


def quantised_values(param: "Param", limit: int) -> Optional[Tuple[int, List[Any]]]:
    """Every value a quantised (``q_*``) parameter can take, in increasing order.

    They are the multiples ``k * q`` between its prior's ends (``ppf`` at 0
    and 1, already quantised), returned as ``(k0, [k0 * q, (k0 + 1) * q, ...])``;
    ``None`` when there are more than ``limit`` of them.

    >>> from .sweepconfig import Param
    >>> quantised_values(Param(("bs",), "q_log_uniform_values", min=16, max=64, q=16), 1000)
    (1, [16, 32, 48, 64])
    >>> quantised_values(Param(("x",), "q_uniform", min=0.0, max=1.0, q=1e-5), 1000) is None
    True
    """
    lo, hi = ppf(param, 0.0), ppf(param, 1.0)
    k0, k1 = int(round(lo / param.q)), int(round(hi / param.q))
    if k1 - k0 >= limit:
        return None
    return k0, [quantize(k * param.q, param.q) for k in range(k0, k1 + 1)]


def index_of(values: List[Any], value: Any) -> int:
    """Index of ``value`` in a categorical list, comparing as a grid does (1 == 1.0, True != 1)."""
    key = value_key(value)
    for i, v in enumerate(values):
        if value_key(v) == key:
            return i
    raise ValueError("%r is not one of the parameter's values" % (value,))


# ----------------------------------------------------------------- the beta distribution


def beta_cdf(x: float, a: float, b: float) -> float:
    """The regularised incomplete beta function I_x(a, b) (the Beta(a, b) CDF).

    Evaluated by its continued fraction (Lentz's method), using the symmetry
    ``I_x(a, b) = 1 - I_{1-x}(b, a)`` where the fraction converges slowly.

    >>> round(beta_cdf(0.5, 2, 2), 12), round(beta_cdf(0.25, 1, 1), 12)
    (0.5, 0.25)
    """
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(x, a, b) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(1.0 - x, b, a) / b


def _beta_fraction(x: float, a: float, b: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2))
        d = 1.0 + num * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + num / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0))
        d = 1.0 + num * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + num / c
        c = c if abs(c) > tiny else tiny
        step = d * c
        h *= step
        if abs(step - 1.0) < 1e-14:
            break
    return h


def beta_ppf(u: float, a: float, b: float) -> float:
    """Inverse of :func:`beta_cdf`, by bisection (monotone and always converges)."""
    if u <= 0.0:
        return 0.0
    if u >= 1.0:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if beta_cdf(mid, a, b) < u:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
