"""Bayesian search: pick the next point where a GP expects the most improvement.

Random search spends every trial blind.  Bayesian optimisation keeps a
*surrogate* -- a Gaussian process fitted to the runs so far (see :mod:`gp`),
which gives, at any candidate point, a predicted objective *and* how unsure
it is -- and spends each trial where the surrogate says it is worth it.

"Worth it" is the *expected improvement* (EI): if the best value so far is
``y*`` and the GP predicts ``f(x) ~ N(m, s^2)``, then
``EI(x) = E[max(y* - f(x), 0)]``.  EI is large where the mean is low
(exploitation) *or* the uncertainty is high (exploration), and it trades the
two off without a tuning knob.  Far from the data EI becomes astronomically
small, so we rank candidates by ``log EI`` computed in a stable way.

One suggestion is:

1. With fewer than two finished observations there is nothing to model:
   return a space-filling point (the best-spread of a few random points).
2. If the runs have a tail of bad values (skewness above 0.5; always with
   fewer than 20 runs), warp ``y``
   by ``log(y - min y + median gap)`` -- it keeps the order but stops a few
   huge values (a diverged run, the walls of a valley) from flattening the
   region near the best; runs without such a tail are left as they are --
   and standardise it (lower is better) with its 90th percentile at 0, the
   GP's prior mean: a place the GP knows nothing of is expected to be as
   poor as most runs, so EI looks between the runs for improvement, not in
   the corners of the cube.  Fit the GP's length scales -- one per
   parameter (ARD), so an irrelevant parameter stops mattering -- plus
   signal and noise variance, on at most 20 observations (the best ones and
   an even spread of the rest), then refine that fit, warm-started, on up
   to 30 of them in a few iterations.
3. Condition the GP on up to ``max_observations`` observations, plus the
   *pending* points at the GP's own mean ("kriging believer"): the model then
   believes it already knows those points, so parallel agents spread out.
4. Maximise ``log EI``: score quasi-random (Halton) candidates and
   perturbations of the best points, then polish the winners by gradient
   ascent over the real parameters and a coordinate pass over the int/cat
   ones.  Every second suggestion is a *local round*: perturbations of the
   best points only, so a sure small gain near the best is weighed against
   other small gains, not against a long shot in an unexplored corner.
5. Return the best point not already observed or pending and, in a round
   that searches everywhere, not already known to the GP to within a
   quarter of the smallest noise variance a fit allows.

Every parameter lives in the unit cube.  ``Dim("real")`` is continuous in
[0, 1]; ``Dim("int", n)`` has ``n`` ordered levels at ``(k + 0.5) / n``;
``Dim("cat", n)`` has ``n`` unordered levels.  Integers are snapped to their
level inside the search, so the GP only ever sees values a run can take.
A category is one label coordinate: two different categories are always
the same distance apart, whatever their number (W&B's ordinal encoding
makes "adam" closer to "sgd" than to "rmsprop" for no reason).

Why one module of some 900 lines: it is all of Bayesian search but the GP's
algebra (:mod:`gp`), and a reader follows one suggestion from top to bottom:
the unit cube and its dimensions, the candidates and the acquisition, their
refinement, :func:`suggest`, then (:class:`Axis`, :func:`observations`,
:func:`propose`) how a sweep's parameters and runs become that cube's
points.  Split, each half would only make sense with the other open; search
over a conditional space, which builds on this module, is
:mod:`conditionalbayes`.

>>> import random
>>> dims = [Dim("real"), Dim("int", 4), Dim("cat", 3)]
>>> X = [[0.1, 0.125, 0.5], [0.9, 0.875, 0.1666], [0.5, 0.375, 0.8333]]
>>> y = [1.0, 3.0, 2.0]
>>> x = suggest(dims, X, y, random.Random(0))
>>> 0.0 <= x[0] <= 1.0, x[1] in (0.125, 0.375, 0.625, 0.875), len(x)
(True, True, 3)
>>> x == suggest(dims, X, y, random.Random(0))
True
"""

import bisect
import math
import random
import warnings
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from . import distributions
from .conditional import has_branches
from .conditionalbayes import bayes_next
from .errors import MinisweepWarning
from .gp import (NOISE_FLOOR, GaussianProcess, Hyper, dlog_h, fit_hyperparameters, log_expected_improvement, log_h,
                 minimize)
from .runs import BROKEN_STATES, DONE_STATES, TERMINAL_STATES, Run, is_number
from .values import MISSING, lookup, value_key

if TYPE_CHECKING:
    from .sweepconfig import Param, SweepConfig

__all__ = ["Dim", "suggest", "halton", "propose", "observations", "Axis"]

Point = List[float]

# How much work one suggestion does.  Each acquisition evaluation costs about
# n^2/2 multiply-adds for n conditioning observations, each hyper-parameter
# likelihood about f^3/3 for f fitting observations; these constants keep a
# suggestion with 100 observations and 5 parameters at a few hundredths of
# a second in pure Python (benchmarks/bayes_cost.py).
_FIT_OBSERVATIONS = 20      # hyper-parameters are fitted on at most this many points
_REFIT_OBSERVATIONS = 30    # ... then refined, warm-started, on at most this many (0: not refined)
_REFIT_ITER = 8             # BFGS iterations of that refinement
_N_GLOBAL = 96              # quasi-random candidates: at least this many,
_N_GLOBAL_PER_DIM = 64      # ... this many per parameter (six dimensions need more than two),
_N_GLOBAL_MAX = 512         # ... and at most this many
_N_LOCAL = 48               # perturbations of the best observations
_LOCAL_EVERY = 2            # every second suggestion is a local round: candidates near the best runs only
_LOCAL_FROM = 10            # ... once this many runs have finished
_N_POLISH = 3               # best candidates refined by gradient ascent
_ASCENT_STEPS = 15          # BFGS iterations of the gradient ascent per start
_DISCRETE_EVALS = 20        # acquisition evaluations of the int/cat coordinate pass per start
_N_INITIAL_SPREAD = 32      # random points compared when choosing a space-filling point
_N_INIT = 2                 # space-filling points before the GP takes over
_N_SWAP = 3                 # best points whose categories are all swapped in as candidates
_MENU = 12                  # at most this many tried categories per categorical are scored (the best runs')
_LENGTH = 0.5               # median of the length-scale prior of a real or int parameter
_CAT_LENGTH = 1.5           # ... of a categorical one (two categories are at distance 1)
_KNOWN = 0.25 * NOISE_FLOOR  # a point whose posterior variance (of standardised y) is below this is known
_WARP = 1.0                 # log-warp offset, as a multiple of the median gap to the best
_WARP_SKEW = 0.5            # ... applied only to runs with a tail of bad values: skewness of y above this
_WARP_SKEW_FROM = 20        # ... once this many runs show it (fewer: always applied)
_PRIOR_QUANTILE = 0.9       # the GP's prior mean: this quantile of the runs' (warped) values


class Dim:
    """One searchable parameter as the optimizer sees it.

    Args:
        kind: ``"real"`` (continuous in [0, 1]), ``"int"`` (``n`` ordered
            levels) or ``"cat"`` (``n`` unordered categories).
        n: number of levels for ``"int"`` and ``"cat"``; ``None`` for ``"real"``.
            Level ``k`` sits at ``(k + 0.5) / n``.
        positions: ``"int"`` only, instead of ``n``: the unit coordinate of
            each level, strictly increasing in [0, 1].  A quantised
            parameter puts its levels at their prior CDF, so a log-scale one
            (batch sizes 16, 32, ..., 512) keeps its log geometry.

    Raises:
        ValueError: unknown kind, ``n`` missing / not a positive integer, or
            bad ``positions``.

    >>> Dim("int", 3).levels()
    [0.16666666666666666, 0.5, 0.8333333333333334]
    >>> Dim("int", 3).snap(0.6)
    0.5
    >>> Dim("int", positions=[0.0, 0.2, 1.0]).snap(0.7)
    1.0
    """

    __slots__ = ("kind", "n", "positions", "_cuts")

    def __init__(self, kind: str, n: Optional[int] = None, positions: Optional[Sequence[float]] = None) -> None:
        if kind not in ("real", "int", "cat"):
            raise ValueError(f"Dim.kind: expected 'real', 'int' or 'cat', got {kind!r}")
        self.positions: Optional[Tuple[float, ...]] = None
        self._cuts: Tuple[float, ...] = ()
        if positions is not None:
            pos = tuple(float(u) for u in positions)
            if kind != "int":
                raise ValueError(f"Dim.positions: only an 'int' dimension has positions, not {kind!r}")
            if n is not None and n != len(pos):
                raise ValueError(f"Dim.n: {n!r} levels but {len(pos)} positions")
            if not pos or not all(0.0 <= u <= 1.0 for u in pos) or any(a >= b for a, b in zip(pos, pos[1:])):
                raise ValueError(f"Dim.positions: expected increasing unit coordinates, got {list(pos)!r}")
            n = len(pos)
            self.positions = pos
            self._cuts = tuple((a + b) / 2.0 for a, b in zip(pos, pos[1:]))
        if kind == "real":
            if n is not None:
                raise ValueError(f"Dim.n: a 'real' dimension has no levels, got n={n!r}")
        elif isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"Dim.n: a {kind!r} dimension needs a positive integer n, got {n!r}")
        self.kind = kind
        self.n = n

    def __repr__(self) -> str:
        if self.positions is not None:
            return f"Dim({self.kind!r}, positions={list(self.positions)!r})"
        return f"Dim({self.kind!r})" if self.n is None else f"Dim({self.kind!r}, {self.n})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Dim) and (self.kind, self.n, self.positions) == (other.kind, other.n, other.positions)

    def __hash__(self) -> int:
        return hash((self.kind, self.n, self.positions))

    def level(self, u: float) -> int:
        """Index of the level nearest to unit coordinate ``u`` (int/cat only)."""
        if self.positions is not None:
            return bisect.bisect_left(self._cuts, u)
        n = self.n or 1
        k = int(u * n)
        return 0 if k < 0 else n - 1 if k >= n else k

    def centre(self, k: int) -> float:
        """Unit coordinate of level ``k``."""
        if self.positions is not None:
            return self.positions[k]
        return (k + 0.5) / (self.n or 1)

    def levels(self) -> List[float]:
        """Unit coordinates of all levels."""
        return [self.centre(k) for k in range(self.n or 0)]

    def snap(self, u: float) -> float:
        """Clip ``u`` into [0, 1]; for int/cat move it to its level's centre."""
        if self.kind == "real":
            return 0.0 if u < 0.0 else 1.0 if u > 1.0 else float(u)
        return self.centre(self.level(u))


# ---------------------------------------------------------------------------
# Quasi-random numbers

_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97)


def _radical_inverse(i: int, base: int) -> float:
    f, r = 1.0, 0.0
    while i:
        f /= base
        r += f * (i % base)
        i //= base
    return r


def halton(count: int, d: int, rng: random.Random) -> List[Point]:
    """``count`` points of a randomly shifted Halton sequence in ``[0, 1)^d``.

    Halton coordinates are radical inverses in successive prime bases: they
    fill the cube far more evenly than independent uniforms.  A random
    start index and a random shift modulo 1 (Cranley-Patterson rotation)
    make each call a fresh, still evenly spread, set.  Beyond 25 dimensions
    plain uniforms are used.

    >>> pts = halton(4, 2, random.Random(1))
    >>> len(pts), all(0.0 <= c < 1.0 for p in pts for c in p)
    (4, True)
    """
    start = rng.randrange(1, 1 << 16)
    shift = [rng.random() for _ in range(d)]
    out: List[Point] = []
    for i in range(start, start + count):
        p = []
        for j in range(d):
            u = _radical_inverse(i, _PRIMES[j]) + shift[j] if j < len(_PRIMES) else rng.random()
            p.append(u - 1.0 if u >= 1.0 else u)
        out.append(p)
    return out


# ---------------------------------------------------------------------------
# Encoding points for the GP


class _Encoder:
    """Maps unit points to GP inputs: real/int as is, a categorical as its level's label.

    The GP treats a label coordinate as categorical (see :mod:`gp`): two
    different categories are at squared distance 1, as one-hot vectors
    scaled by ``sqrt(1/2)`` would be, at a cost that does not grow with the
    number of categories.
    """

    def __init__(self, dims: Sequence[Dim]) -> None:
        self.dims = list(dims)
        self.categorical = [dim.kind == "cat" for dim in self.dims]

    def encode(self, x: Sequence[float]) -> Point:
        return [float(dim.level(u)) if dim.kind == "cat" else u for dim, u in zip(self.dims, x)]


def _snap(dims: Sequence[Dim], x: Sequence[float]) -> Point:
    return [dim.snap(u) for dim, u in zip(dims, x)]


def _key(x: Sequence[float]) -> Tuple[float, ...]:
    return tuple(round(u, 12) for u in x)


def _spread_point(dims: Sequence[Dim], taken: Sequence[Sequence[float]], rng: random.Random) -> Point:
    """A random point far from every point in ``taken`` (best of a few tries)."""
    cands = [_snap(dims, p) for p in halton(_N_INITIAL_SPREAD, len(dims), rng)]
    if not taken:
        return cands[0]
    # Each category before any repeats: a category with the fewest taken
    # points (the candidate's own if it is one of them).
    for j, dim in enumerate(dims):
        if dim.kind == "cat":
            counts = [0] * (dim.n or 1)
            for t in taken:
                counts[dim.level(t[j])] += 1
            least = min(counts)
            fewest = [k for k, c in enumerate(counts) if c == least]
            fewest_set = set(fewest)
            for c in cands:
                if dim.level(c[j]) not in fewest_set:
                    c[j] = dim.centre(fewest[rng.randrange(len(fewest))])
    seen = {_key(t) for t in taken}
    best, best_d = cands[0], -1.0
    for c in cands:
        if _key(c) in seen:
            continue
        d = min(_distance2(dims, c, t) for t in taken)
        if d > best_d:
            best, best_d = c, d
    return best


def _distance2(dims: Sequence[Dim], a: Sequence[float], b: Sequence[float]) -> float:
    s = 0.0
    for dim, u, v in zip(dims, a, b):
        if dim.kind == "cat":
            s += 0.0 if dim.level(u) == dim.level(v) else 1.0
        else:
            s += (u - v) * (u - v)
    return s


def _select(y: Sequence[float], cap: int) -> List[int]:
    """Indices of at most ``cap`` observations: the best half, then an even spread of the rest.

    >>> _select([5.0, 1.0, 4.0, 2.0, 3.0, 0.0], 4)
    [0, 1, 3, 5]
    """
    n = len(y)
    if n <= cap:
        return list(range(n))
    order = sorted(range(n), key=lambda i: (y[i], i))
    n_best = cap // 2
    chosen = order[:n_best]
    rest = sorted(order[n_best:])  # chronological
    k = cap - n_best
    step = len(rest) / k
    chosen.extend(rest[int(j * step)] for j in range(k))
    return sorted(chosen)


# ---------------------------------------------------------------------------
# The acquisition and its optimisation


class _Acquisition:
    """log EI of unit points, with a cache keyed by the snapped point."""

    def __init__(self, gp: GaussianProcess, enc: _Encoder, best: float) -> None:
        self.gp = gp
        self.enc = enc
        self.best = best
        self.cache: Dict[Tuple[float, ...], float] = {}

    def __call__(self, x: Sequence[float]) -> float:
        k = _key(x)
        v = self.cache.get(k)
        if v is None:
            mean, var = self.gp.predict(self.enc.encode(x))
            v = log_expected_improvement(mean, var, self.best)
            self.cache[k] = v
        return v


def _screen(acq: _Acquisition, cands: List[Point], keep: int) -> List[Tuple[float, int, Point]]:
    """The ``keep`` candidates with the highest log EI, best first, then the rest by an upper bound.

    The posterior variance costs a triangular solve, the mean only a dot
    product.  EI grows with the variance, and conditioning on more
    observations never raises the variance, so the variance given only the
    nearest observation, ``s^2 - k_i^2 / (s^2 + noise)`` with ``k_i`` the
    largest covariance, bounds it from above, and EI at that variance bounds
    EI: candidates are scored exactly in decreasing order of that bound,
    stopping once the bound cannot beat the ``keep``-th best exact score.
    Same answer, a fraction of the solves (the prior variance, the bound
    this replaced, let most candidates through).
    """
    gp, best = acq.gp, acq.best
    signal = gp.hyper.signal
    diag = signal + gp.hyper.noise
    ks = [gp.covariances(acq.enc.encode(c)) for c in cands]
    bounds = []
    for i, k in enumerate(ks):
        near = max(k) if k else 0.0
        bounds.append((log_expected_improvement(gp.mean_from(k), signal - near * near / diag, best), i))
    bounds.sort(key=lambda t: (-t[0], t[1]))
    exact: List[Tuple[float, int, Point]] = []
    rest: List[Tuple[float, int, Point]] = []
    for bound, i in bounds:
        if len(exact) >= keep and bound <= exact[keep - 1][0]:
            rest.append((bound, i, cands[i]))
            continue
        k = ks[i]
        value = log_expected_improvement(gp.mean_from(k), gp.variance_from(k), best)
        acq.cache[_key(cands[i])] = value
        exact.append((value, i, cands[i]))
        exact.sort(key=lambda t: (-t[0], t[1]))
    return exact + rest


def _ascend(dims: Sequence[Dim], enc: _Encoder, gp: GaussianProcess, acq: _Acquisition,
            x0: Point) -> Tuple[Point, float]:
    """Maximise log EI over the real dims of ``x0`` (the others held fixed) by BFGS."""
    real = [j for j, dim in enumerate(dims) if dim.kind == "real"]
    f0 = acq(x0)
    if not real:
        return x0, f0
    best = acq.best

    def negative_log_ei(z: List[float]) -> Tuple[float, List[float]]:
        x = list(x0)
        for j, u in zip(real, z):
            x[j] = u
        mean, var, dmean, dvar = gp.predict_with_gradient(enc.encode(x))
        if var < 1e-12:
            var = 1e-12
        sd = math.sqrt(var)
        t = (best - mean) / sd
        value = math.log(sd) + log_h(t)
        r = dlog_h(t)
        d_mean = -r / sd
        d_var = (1.0 - r * t) / (2.0 * var)
        return -value, [-(d_mean * dmean[c] + d_var * dvar[c]) for c in real]

    z, fz = minimize(negative_log_ei, [x0[j] for j in real], [(0.0, 1.0)] * len(real), _ASCENT_STEPS, 0.1)
    x = list(x0)
    for j, u in zip(real, z):
        x[j] = u
    fx = acq(x)
    return (x, fx) if fx > f0 else (x0, f0)


def _polish(dims: Sequence[Dim], acq: _Acquisition, x: Point, fx: float, steps: Sequence[float],
            budget: int, menus: Sequence[Sequence[int]]) -> Tuple[Point, float, int]:
    """Coordinate search on the acquisition: try +-step on each dimension, halve when stuck.

    A categorical dimension ``j`` tries the levels of ``menus[j]``.  At most
    ``budget`` acquisition evaluations, checked after each one.
    """
    steps = list(steps)
    used = 0
    while used < budget:
        improved = False
        for j, dim in enumerate(dims):
            if dim.kind == "cat":
                moves = [dim.centre(k) for k in menus[j] if k != dim.level(x[j])]
            elif dim.kind == "int":
                n, k = dim.n or 1, dim.level(x[j])
                h = max(1, int(round(steps[j] * n)))
                moves = [dim.centre(i) for i in (k - h, k + h) if 0 <= i < n]
            else:
                moves = [x[j] - steps[j], x[j] + steps[j]]
            for u in moves:
                if not (0.0 <= u <= 1.0) and dim.kind != "real":
                    continue
                cand = list(x)
                cand[j] = dim.snap(u)
                if cand[j] == x[j]:
                    continue
                fc = acq(cand)
                used += 1
                if fc > fx:
                    x, fx, improved = cand, fc, True
                    break
                if used >= budget:
                    break
            if used >= budget:
                break
        if not improved:
            steps = [s * 0.5 for s in steps]
            if max(steps) < 1e-3:
                break
    return x, fx, used


def _menus(dims: Sequence[Dim], conditioning: Sequence[Sequence[float]], taken: Sequence[Sequence[float]],
           rng: random.Random) -> List[List[int]]:
    """The levels worth trying for each categorical dimension (empty for the others).

    The GP tells categories apart only by the data it is conditioned on:
    every category none of those points has looks exactly the same to it
    (same mean, same variance, same EI).  So the levels worth scoring are
    the ones in ``conditioning`` (given best first; at most ``_MENU`` of
    them, the best runs' ones) plus *one* of the others, drawn at random
    and preferably never tried at all -- however many categories there are.

    >>> _menus([Dim("real"), Dim("cat", 1000)], [[0.3, 0.0005], [0.6, 0.0015]], [], random.Random(0))[1][:2]
    [0, 1]
    """
    out: List[List[int]] = []
    for j, dim in enumerate(dims):
        if dim.kind != "cat":
            out.append([])
            continue
        n = dim.n or 1
        levels = [dim.level(p[j]) for p in conditioning]
        tried = set(levels)
        seen: List[int] = []
        for k in levels:
            if len(seen) >= _MENU:
                break
            if k not in seen:
                seen.append(k)
        tried.update(dim.level(p[j]) for p in taken)
        extra: Optional[int] = None
        if len(tried) < n:
            for _ in range(16):  # mostly one draw: few categories are tried
                k = rng.randrange(n)
                if k not in tried:
                    extra = k
                    break
            else:
                untried = [k for k in range(n) if k not in tried]
                extra = untried[rng.randrange(len(untried))]
        elif len(seen) < n:
            seen_set = set(seen)
            others = [k for k in range(n) if k not in seen_set]
            extra = others[rng.randrange(len(others))]
        out.append(seen + ([] if extra is None else [extra]))
    return out


def suggest(
    dims: Sequence[Dim],
    X: Sequence[Sequence[float]],
    y: Sequence[float],
    rng: random.Random,
    *,
    pending: Sequence[Sequence[float]] = (),
    max_observations: int = 100,
) -> List[float]:
    """The next point to evaluate, in unit coordinates.

    Args:
        dims: the searchable parameters.
        X: observed points, one unit coordinate per dim (int/cat: the level centre).
        y: their objective values; **lower is better**.  Non-finite values are
            ignored (the caller imputes failed runs).
        rng: the only source of randomness; the result is a function of its state.
        pending: points being evaluated right now; the GP treats them as
            observed at its own prediction, so the suggestion moves away.
        max_observations: at most this many observations condition the GP
            (the best half plus an even spread of the rest), which bounds the cost.

    Returns:
        A list of ``len(dims)`` unit coordinates; int/cat coordinates are
        level centres.  With fewer than two finite observations (pending
        points do not count: they carry no value) it is a space-filling
        quasi-random point.  It differs from every observed and pending
        point unless the whole discrete space is used up.

    Raises:
        ValueError: mismatched lengths.
    """
    dims = list(dims)
    d = len(dims)
    if len(X) != len(y):
        raise ValueError(f"suggest: X has {len(X)} points but y has {len(y)} values")
    for name, pts in (("X", X), ("pending", pending)):
        for i, p in enumerate(pts):
            if len(p) != d:
                raise ValueError(f"suggest: {name}[{i}] has {len(p)} coordinates, expected {d}")
    if max_observations < 2:
        raise ValueError(f"suggest: max_observations must be at least 2, got {max_observations}")
    snapped = [_snap(dims, p) for p in X]
    taken = snapped + [_snap(dims, p) for p in pending]
    obs = [(p, float(v)) for p, v in zip(snapped, y) if math.isfinite(v)]
    if d == 0:
        return []
    if len(obs) < max(2, _N_INIT):
        return _spread_point(dims, taken, rng)

    ys = [v for _, v in obs]
    used = _select(ys, max_observations)
    Xo = [obs[i][0] for i in used]
    yo = [obs[i][1] for i in used]
    # The log warp is for a tail of bad runs (diverged ones, the walls of a
    # valley): without it Rosenbrock-4 @50 is 5.6, not 3.0.  Runs that lean
    # the other way, most of them alike and a few far better (Hartmann-6),
    # are modelled as they are: warped, the good basin became a narrow
    # funnel the GP could not follow (median regret of the seeds in that
    # basin at 50 runs, 40 seeds: 5.4e-3 warped, 1.3e-3 not).
    # The skewness of a handful of runs says little, so below _WARP_SKEW_FROM
    # runs the warp always applies.
    tail = len(yo) < _WARP_SKEW_FROM or _skewness(yo) > _WARP_SKEW
    yz = _standardise(_warp(yo) if tail else yo)

    enc = _Encoder(dims)
    Xe = [enc.encode(p) for p in Xo]
    fit_idx = _select(yz, _FIT_OBSERVATIONS)
    prior_lengths = [_CAT_LENGTH if dim.kind == "cat" else _LENGTH for dim in dims]
    hyper = fit_hyperparameters([Xe[i] for i in fit_idx], [yz[i] for i in fit_idx], enc.categorical,
                                prior_lengths=prior_lengths)
    if _REFIT_OBSERVATIONS > len(fit_idx):
        refit_idx = _select(yz, _REFIT_OBSERVATIONS)
        hyper = fit_hyperparameters([Xe[i] for i in refit_idx], [yz[i] for i in refit_idx], enc.categorical,
                                    prior_lengths=prior_lengths, warm=hyper, max_iter=_REFIT_ITER)
    gp = _make_gp(Xe, yz, hyper, enc.categorical)
    if pending:
        Xp = [enc.encode(_snap(dims, p)) for p in pending]
        fantasies = [gp.predict_mean(p) for p in Xp]
        gp = _make_gp(Xe + Xp, yz + fantasies, hyper, enc.categorical)
    acq = _Acquisition(gp, enc, min(yz))
    lengths = list(hyper.lengths)

    # Candidates: quasi-random ones, and perturbations of the best points.
    # A local round has only the perturbations, twice as many and closer. EI
    # weighs a small sure gain near the best run against a long shot anywhere
    # the GP has not looked; in five or more dimensions there is always such a
    # place (a cube has 2^d corners), and without local rounds the search
    # stopped improving after ~100 runs (Hartmann-6, seeds 0-19: 69% of runs
    # 101-200 landed in the flat region far from every minimum, 6% near one;
    # with local rounds 48% and 15%).  Every _LOCAL_EVERY-th suggestion asks
    # only "where near the best runs is EI highest?"; the others search
    # everywhere, as before.
    local = len(obs) >= _LOCAL_FROM and len(obs) % _LOCAL_EVERY == _LOCAL_EVERY - 1
    n_global = min(_N_GLOBAL_MAX, max(_N_GLOBAL, _N_GLOBAL_PER_DIM * d))
    cands = [] if local else [_snap(dims, p) for p in halton(n_global, d, rng)]
    order = sorted(range(len(Xo)), key=lambda i: (yo[i], i))
    tops = [Xo[i] for i in order[: min(5, len(order))]]
    for t in range(2 * _N_LOCAL if local else _N_LOCAL):
        base = tops[t % len(tops)] if t % 4 else tops[0]
        scale = (0.1 if t % 2 else 0.02) if local else (0.25 if t % 2 else 0.05)
        c = []
        for j, dim in enumerate(dims):
            if dim.kind == "cat":
                c.append(dim.centre(rng.randrange(dim.n or 1)) if rng.random() < 0.2 else base[j])
            else:
                c.append(dim.snap(base[j] + rng.gauss(0.0, scale * min(lengths[j], 1.0))))
        cands.append(c)
    # Every other category at the best points, the rest of the point kept:
    # "the best settings so far, but with adam" is the question a category
    # needs asked, and random candidates rarely ask it.
    menus = _menus(dims, [Xo[i] for i in order] + [_snap(dims, p) for p in pending], taken, rng)
    for base in tops[:_N_SWAP]:
        for j, dim in enumerate(dims):
            if dim.kind == "cat":
                for k in menus[j]:
                    if k != dim.level(base[j]):
                        c = list(base)
                        c[j] = dim.centre(k)
                        cands.append(c)
    scored = _screen(acq, cands, _N_POLISH + 4)

    # Polish the best few distinct candidates: gradient ascent on log EI
    # over the real dims, then a coordinate pass over the discrete ones.
    seen_keys = {_key(t) for t in taken}
    starts: List[Point] = []
    for v, i, c in scored:
        if len(starts) >= _N_POLISH:
            break
        if all(_key(c) != _key(s) for s in starts):
            starts.append(c)
    results: List[Tuple[float, int, Point]] = []
    for n_start, c in enumerate(starts):
        x, fx = _ascend(dims, enc, gp, acq, c)
        if any(dim.kind != "real" for dim in dims):
            steps = [min(0.1, 0.25 * lj) for lj in lengths]
            x, fx, _ = _polish(dims, acq, x, fx, steps, _DISCRETE_EVALS, menus)
        results.append((fx, n_start, x))
    results.sort(key=lambda t: (-t[0], t[1]))
    # A search-everywhere round skips a point the GP already knows to within
    # a quarter of the smallest noise variance a fit allows: EI can still
    # favour it, by a hair, when the model is sure of everything else, and
    # then the search polishes one local minimum for ever (Branin, 30
    # trials: 12 runs at one corner of the edge, regret 1.5).  A local round
    # is for exactly those fine steps and keeps them: with the rule in every
    # round, the last digits near the best were never tried (hpo @100, 20
    # seeds: 1.5e-7; with local rounds exempt, 5.3e-9).
    candidates = [x for _, _, x in results] + [c for _, _, c in scored]
    for check in ((False,) if local else (True, False)):
        for x in candidates:
            if _key(x) not in seen_keys and not (check and gp.predict(enc.encode(x))[1] < _KNOWN):
                return x
    # Every candidate was taken: fall back to a spread point (it may repeat
    # only when the whole discrete space has been tried).
    return _spread_point(dims, taken, rng)


def _skewness(y: Sequence[float]) -> float:
    """The sample skewness of ``y`` (0 if all values are equal).

    Positive when a few values lie far above the rest: for a loss, a tail of
    bad runs.

    >>> _skewness([1.0, 1.1, 1.2, 9.0]) > 0 > _skewness([-3.3, -0.1, 0.0, 0.0])
    True
    """
    n = len(y)
    mean = sum(y) / n
    var = sum((v - mean) ** 2 for v in y) / n
    if not var > 0.0:
        return 0.0
    return sum((v - mean) ** 3 for v in y) / n / var ** 1.5


def _warp(y: Sequence[float]) -> List[float]:
    lo = min(y)
    gaps = sorted(v - lo for v in y)
    med = gaps[len(gaps) // 2]
    if _WARP is None or not med > 0.0:
        return list(y)
    c = _WARP * med
    return [math.log(g + c) for g in (v - lo for v in y)]


def _standardise(y: Sequence[float]) -> List[float]:
    """``y`` scaled to unit variance, with its ``_PRIOR_QUANTILE`` quantile at 0, the GP's prior mean.

    The prior mean is what the GP expects where it has seen nothing.  At
    the runs' mean, a place far from every run looked better than most runs
    whenever a few runs were far better than the rest, and EI sent the
    rounds that search everywhere to the corners of the cube, where nothing
    had been tried (Hartmann-6, 60 seeds: half of those rounds from the
    26th run on, each a loss of about 0).  At the 90th percentile the
    unexplored is expected to be as poor as most runs, and the search
    explores between its runs instead.

    >>> _standardise([float(i) for i in range(20)])[18]
    0.0
    """
    mean = sum(y) / len(y)
    sd = math.sqrt(sum((v - mean) ** 2 for v in y) / len(y))
    if not sd > 0.0:
        sd = 1.0
    centre = sorted(y)[int(_PRIOR_QUANTILE * len(y))]
    return [(v - centre) / sd for v in y]


def _make_gp(X: List[Point], y: List[float], hyper: Hyper, categorical: List[bool]) -> GaussianProcess:
    """Build the posterior, adding jitter if duplicate points make K singular."""
    for extra in (0.0, 1e-6, 1e-4, 1e-2):
        try:
            return GaussianProcess(X, y, hyper._replace(noise=hyper.noise + extra), categorical)
        except ValueError:
            continue
    return GaussianProcess(X, y, hyper._replace(noise=hyper.noise + 1.0), categorical)


# ------------------------------------------------- a sweep's parameters and runs in the unit cube
#
# Everything above works on unit coordinates.  Below, a sweep's parameters
# become Dims (:class:`Axis`), its runs become observations (W&B's rules for
# failed and running runs), and :func:`propose` is Bayesian search as the
# search layer calls it.
#: A quantised (``q_*``) parameter with at most this many distinct values is searched as ordered levels.
_MAX_Q_LEVELS = 1000
#: Observations that condition the GP in one suggestion (the best half and an even spread of the
#: rest; W&B uses 100).  The GP's cost grows with the square of this number (its Cholesky factor with
#: the cube).  A run left out makes its region look unexplored again and draws the search back there:
#: with 64, Hartmann-6 stalled once its runs outnumbered the cap (benchmarks/bayes_quality.py).
_MAX_OBSERVATIONS = 100


class Axis:
    """How one searchable parameter maps to a :class:`Dim` and back.

    The optimizer works in the unit cube of prior CDFs.  A continuous
    parameter is a ``real`` Dim: ``cdf`` in, ``ppf`` out.  A discrete one is a
    Dim with *levels*, one per value a run can take, and the mapping goes
    through the level index, never through ``ppf``:

    - categorical: a ``cat`` Dim, level ``k`` is ``values[k]``;
    - ``int_uniform``: an ``int`` Dim with ``max - min + 1`` equally spaced levels;
    - quantised (``q_uniform``, ``q_log_uniform_values``, ``q_normal``, ...):
      its reachable values ``k * q`` (W&B's ``round(x / q) * q`` over the
      prior's range), as an ``int`` Dim whose levels sit at the prior CDF of
      each value, so batch sizes 16, 32, ..., 512 on a log scale stay on a log
      scale.  With more than ``_MAX_Q_LEVELS`` values the step is finer than
      a thousandth of the range: it is searched as ``real`` and rounded by
      ``ppf``.

    So a proposal and the run it becomes map to the same point (``ppf`` of a
    level centre quantised, then ``cdf`` of that value, would drift to
    another point, and the optimizer could propose one config twice), and the
    optimizer, which never proposes a point already taken while an untaken
    level combination exists, never proposes an observed config either.
    """

    __slots__ = ("param", "dim", "values", "_lo", "_q", "_index")

    def __init__(self, p: "Param") -> None:
        self.param = p
        self.values: Optional[List[Any]] = None
        self._lo = 0
        self._q: Any = None
        self._index: Optional[Dict[Any, int]] = None
        d = p.distribution
        if d in ("categorical", "categorical_w_probabilities"):
            self.dim = Dim("cat", len(p.values))
            self.values = list(p.values)
        elif d == "int_uniform":
            self.dim = Dim("int", p.max - p.min + 1)
            self._lo, self._q = p.min, 1
        elif d.startswith("q_"):
            reachable = distributions.quantised_values(p, _MAX_Q_LEVELS)
            k0, values = reachable if reachable is not None else (0, [])
            positions = [distributions.cdf(p, v) for v in values]
            if values and all(a < b for a, b in zip(positions, positions[1:])):
                self.dim = Dim("int", positions=positions)
                self.values, self._lo, self._q = values, k0, p.q
            else:
                self.dim = Dim("real")
        else:
            self.dim = Dim("real")

    def to_unit(self, value: Any) -> float:
        """The unit coordinate of a run's value (a level centre for a discrete parameter).

        Raises:
            TypeError, ValueError: the value cannot belong to this parameter.
        """
        dim, p = self.dim, self.param
        if dim.kind == "cat":
            if self._index is None:  # one look-up per run, not a scan of the values
                self._index = {}
                for i, v in enumerate(p.values):
                    self._index.setdefault(value_key(v), i)
            i = self._index.get(value_key(value))
            if i is None:
                raise ValueError("%r is not one of the parameter's values" % (value,))
            return dim.centre(i)
        if dim.kind == "int":
            if not is_number(value):
                raise ValueError("%r is not a number" % (value,))
            k = int(round(value / self._q)) - self._lo
            return dim.centre(min(max(k, 0), dim.n - 1))
        return distributions.cdf(p, value)

    def from_unit(self, u: float) -> Any:
        """The parameter value at unit coordinate ``u``."""
        if self.dim.kind == "real":
            return distributions.ppf(self.param, u)
        k = self.dim.level(u)
        if self.values is not None:
            return self.values[k]
        return self._lo + k  # int_uniform


def _axes(params: Sequence["Param"]) -> List[Axis]:
    return [Axis(p) for p in params]


def _unit_point(axes: Sequence[Axis], run: Run) -> Optional[List[float]]:
    """A run's config as a unit point, or ``None`` if a value is missing or impossible.

    An impossible value (a category not in ``values``: W&B raises on it) leaves
    the run out of the model with one :class:`~.errors.MinisweepWarning` naming
    the run and every such value, so one stray run does not stop the sweep.
    """
    point = []
    bad = []
    for axis in axes:
        value = lookup(run.config, axis.param.path)
        if value is MISSING:
            return None
        try:
            point.append(axis.to_unit(value))
        except (TypeError, ValueError):
            bad.append("%s=%r" % (".".join(axis.param.path), value))
    if bad:
        warnings.warn("bayes: run %s has %s, which the sweep's parameters do not allow; the run is left out of the "
                      "model" % (run.id, ", ".join(bad)), MinisweepWarning, stacklevel=4)
        return None
    return point


def observations(sweep: "SweepConfig", runs: Sequence[Run]) -> Tuple[List[Run], List[float], List[Run]]:
    """Runs with their objective (lower is better), and the runs still in flight.

    W&B's rules: a finished run counts with the best value it logged; a
    failed, crashed or killed run with the imputed value (``metric.impute``:
    by default the worst value any run that is over has logged); a running run
    is in flight, unless ``impute_while_running`` gives it a value; a pending
    run is in flight.  ``maximize`` negates, so lower is always better.
    """
    metric = sweep.metric
    name, maximize = metric.name, metric.maximize
    worst = None
    for run in runs:
        if run.state in TERMINAL_STATES:  # over, for W&B too (its finished is our stopped as well)
            w = run.best(name, not maximize)  # the run's worst value
            if w is not None:
                worst = w if worst is None else (min(worst, w) if maximize else max(worst, w))
    if worst is None:
        worst = 0.0

    def imputed(run: Run, strategy: str) -> float:
        if strategy == "best":
            value = run.best(name, maximize)
            return 0.0 if value is None else value
        if strategy == "latest":
            values = run.metric_values(name)
            return values[-1] if values else 0.0
        return worst

    def best_or(run: Run, strategy: str) -> float:
        value = run.best(name, maximize)
        return imputed(run, strategy) if value is None else value

    done: List[Run] = []
    ys: List[float] = []
    flying: List[Run] = []
    for run in runs:
        if run.state in DONE_STATES:
            y = best_or(run, metric.impute)
        elif run.state in BROKEN_STATES:
            y = imputed(run, metric.impute)
        elif run.state == "running" and metric.impute_while_running != "false":
            y = best_or(run, metric.impute_while_running)
        else:
            flying.append(run)
            continue
        if not is_number(y):
            y = worst
        done.append(run)
        ys.append(-y if maximize else y)
    return done, ys, flying


def propose(sweep: "SweepConfig", runs: Sequence[Run], rng: random.Random, *,
            retry_failed: int = 0) -> Dict[str, Any]:
    """Bayesian search as a sampler (see :mod:`.search`): the config :func:`suggest` picks from ``runs``.

    Every searchable parameter becomes an :class:`Axis` of the unit cube; the
    runs become observations (:func:`observations`) and pending points;
    :func:`suggest` picks a point; the axes map it back to values.  Constants
    are copied.  ``retry_failed`` is the grid's: Bayesian search ignores it.
    Conditional parameters: an arm, then a GP of that arm's runs (:func:`.conditionalbayes.bayes_next`).
    """
    if has_branches(sweep.parameters):
        return bayes_next(sweep, runs, rng, axis_factory=Axis, observations=observations,
                          suggest=suggest, max_observations=_MAX_OBSERVATIONS)
    axes = _axes([p for p in sweep.params if p.distribution != "constant"])
    flat = {p.path: p.value for p in sweep.params if p.distribution == "constant"}
    if axes:
        done, ys, flying = observations(sweep, runs)
        X: List[List[float]] = []
        y: List[float] = []
        for run, value in zip(done, ys):
            point = _unit_point(axes, run)
            if point is not None:
                X.append(point)
                y.append(value)
        pending = [pt for pt in (_unit_point(axes, r) for r in flying) if pt is not None]
        u = suggest([axis.dim for axis in axes], X, y, rng, pending=pending, max_observations=_MAX_OBSERVATIONS)
        for axis, ui in zip(axes, u):
            flat[axis.param.path] = axis.from_unit(ui)
    return sweep.nest({p.path: flat[p.path] for p in sweep.params})
