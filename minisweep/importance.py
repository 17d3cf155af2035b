"""Which parameters mattered: a ranking by the share of the metric's spread each explains alone.

How importance is computed: the runs with a finite metric value are split
into groups by the parameter, one group per category or, for a numeric
parameter, up to ten groups of equal size by its quantiles (one per distinct
value when there are few).  The *correlation ratio* eta² is the share of the
metric's variance that lies between the group means rather than within the
groups: 1 when the parameter alone decides the metric, near 0 when it does not
matter.  Any grouping of random numbers explains some variance by chance
(about ``(k-1)/(n-1)`` with ``k`` groups of ``n`` runs), so the score is
eta² with that chance share removed (epsilon², never below 0).  For numeric
parameters the sign of the Spearman rank correlation says whether higher
values go with a higher or a lower metric.  When the metric axis is
logarithmic, the variance is that of log10 of the metric.  The ranking looks at
one parameter at a time: it cannot see interactions, and parameters that the
search moved together share their credit.

The report draws the ranking as bars (:func:`.charts.importance_chart`); the statistic itself is here,
pure: parameters and ``(values, metric)`` samples in, :class:`Importance` records out.
"""

import math
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from . import formatting as fmt
from .runs import is_number

if TYPE_CHECKING:  # (for type checkers only)
    from .sweepconfig import Param

__all__ = ["Importance", "importance", "average_ranks", "is_numeric_param"]


def is_numeric_param(param: "Param", values: Sequence[Any]) -> bool:
    """Whether a parameter gets a numeric axis: not categorical, and every value a finite number."""
    if param.distribution in ("categorical", "constant"):
        return False
    return all(is_number(v) for v in values)


class Importance:
    """How much one parameter accounts for the metric, by itself.

    Attributes:
        name: the parameter's dotted name.
        eta2: the correlation ratio, the share of the metric's variance between groups.
        score: ``eta2`` less the share ``groups`` random groups would explain (0 to 1): the ranking key.
        groups: how many groups the runs fell into.
        runs: how many runs were used.
        rho: the Spearman rank correlation with the metric (numeric parameters), else ``None``.
        best_group: for categorical parameters, the category with the best mean metric.
    """

    __slots__ = ("name", "eta2", "score", "groups", "runs", "rho", "best_group")

    def __init__(self, name: str, eta2: float, score: float, groups: int, runs: int,
                 rho: Optional[float], best_group: Any) -> None:
        self.name, self.eta2, self.score, self.groups, self.runs = name, eta2, score, groups, runs
        self.rho, self.best_group = rho, best_group

    def __repr__(self) -> str:
        return "Importance(%r, score=%.3f, eta2=%.3f)" % (self.name, self.score, self.eta2)


def average_ranks(xs: Sequence[float]) -> List[float]:
    """Ranks 1..n, ties given their average rank."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    ranks = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2.0 + 1
        i = j + 1
    return ranks


def _spearman(xs: Sequence[float], ys: Sequence[float]) -> Optional[float]:
    rx, ry = average_ranks(xs), average_ranks(ys)
    n = len(xs)
    mx, my = sum(rx) / n, sum(ry) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    if sxx <= 0 or syy <= 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def _bins(xs: Sequence[float], most: int) -> List[str]:
    """A group label per value: the value itself when there are few distinct ones, else its quantile bin."""
    distinct = sorted(set(xs))
    if len(distinct) <= most:
        return [repr(x) for x in xs]
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    labels = [""] * len(xs)
    first_bin: Dict[float, int] = {}
    for position, i in enumerate(order):
        b = first_bin.setdefault(xs[i], position * most // len(xs))  # ties stay in one bin
        labels[i] = str(b)
    return labels


def importance(params: "Sequence[Param]", samples: Sequence[Tuple[Dict[str, Any], float]],
               maximize: bool = False) -> List[Importance]:
    """Rank parameters by the share of the metric's variance each explains alone, best first.

    Args:
        params: the sweep's :class:`~.sweepconfig.Param` list.
        samples: ``(values, y)`` per run: ``values`` maps a parameter's dotted
            name to its value; ``y`` is the finite metric value (or its log).
        maximize: the goal, used to name the best category.

    Returns:
        One :class:`Importance` per parameter with at least two groups, by ``score``, highest first.

    >>> from .sweepconfig import Param
    >>> ps = [Param(("x",), "uniform", min=0, max=1), Param(("noise",), "uniform", min=0, max=1)]
    >>> import random
    >>> rng = random.Random(1)
    >>> values = [{"x": rng.random(), "noise": rng.random()} for _ in range(40)]
    >>> ranking = importance(ps, [(v, v["x"] ** 2) for v in values])
    >>> [(r.name, round(r.score, 2), r.groups, round(r.rho, 2)) for r in ranking]
    [('x', 0.9, 4, 1.0), ('noise', 0.0, 4, 0.13)]
    """
    n = len(samples)
    out: List[Importance] = []
    if n < 3:
        return out
    most = max(2, min(10, int(math.sqrt(n / 2.0))))
    for param in params:
        pairs = [(values.get(param.name, fmt.MISSING), y) for values, y in samples]
        pairs = [(v, y) for v, y in pairs if v is not fmt.MISSING]
        if len(pairs) < 3:
            continue
        xs = [v for v, _ in pairs]
        ys = [y for _, y in pairs]
        numeric = is_numeric_param(param, xs)
        labels = _bins([float(x) for x in xs], most) if numeric else [fmt.group_key(x) for x in xs]
        groups: Dict[str, List[float]] = {}
        for label, y in zip(labels, ys):
            groups.setdefault(label, []).append(y)
        k, m = len(groups), len(ys)
        if k < 2:
            continue
        mean = sum(ys) / m
        total = sum((y - mean) ** 2 for y in ys)
        if total <= 1e-300 * max(1.0, mean * mean):
            continue
        between = sum(len(g) * (sum(g) / len(g) - mean) ** 2 for g in groups.values())
        eta2 = min(max(between / total, 0.0), 1.0)
        if m > k:
            within = total - between
            score = (between - (k - 1) * within / (m - k)) / total
        else:
            score = 0.0
        score = min(max(score, 0.0), 1.0)
        rho = _spearman([float(x) for x in xs], ys) if numeric else None
        best_group = None
        if not numeric:
            means = {label: sum(g) / len(g) for label, g in groups.items()}
            pick = (max if maximize else min)(means, key=lambda label: means[label])
            best_group = next(x for x, label in zip(xs, labels) if label == pick)
        out.append(Importance(param.name, eta2, score, k, m, rho, best_group))
    out.sort(key=lambda r: (-r.score, -r.eta2, r.name))
    return out
