"""Gaussian processes in pure Python: the surrogate model behind Bayesian search.

A Gaussian process (GP) is a probability distribution over functions.  Before
seeing data it says: "the objective at any point is normally distributed
around 0, and two points are correlated by how close they are" -- the
*kernel* ``k(x, x')`` measures that closeness.  After observing values ``y``
at points ``X`` the GP is conditioned on them, and at any new point ``x`` it
predicts a normal distribution with

    mean      m(x) = k(x, X) K^-1 y
    variance  v(x) = k(x, x) - k(x, X) K^-1 k(X, x)        K = k(X, X) + noise I

The mean interpolates the observations; the variance is small near them and
grows back to the prior variance far away.  That "I know here, I don't know
there" is exactly what an optimizer needs (see :mod:`bayes`).

``K^-1`` is never formed for predictions: ``K`` is factored once as ``L L^T``
(Cholesky, ``L`` lower triangular), then ``K^-1 y`` costs two triangular
solves and ``v(x)`` one.

The kernel here is Matern 5/2: with the *scaled* distance
``r^2 = sum_d (x_d - x'_d)^2 / l_d^2`` it is ``s^2 (1 + a + a^2/3) exp(-a)``
with ``a = sqrt(5) r``.  Its sample functions are twice differentiable --
smooth like real loss surfaces, less over-confident than the Gaussian kernel.

**ARD** (automatic relevance determination) gives every input dimension its
own length scale ``l_d``.  A dimension that does not matter gets a long
length scale (moving along it changes nothing), a sensitive one a short
one.  The length scales, the signal variance ``s^2`` and the noise variance
are *fitted* by maximising the log marginal likelihood of the data (how
probable ``y`` is under the GP) plus a weak prior on each; the likelihood
balances data fit against model complexity, so it does not simply shrink
every length scale.  With one shared length scale (W&B's choice) an
irrelevant dimension forces the same, wrong, scale on all the others.

A coordinate may be *categorical*: it holds a category's label, and two
points are at squared distance 1 along it when their labels differ, 0 when
they agree (what a one-hot encoding scaled to distance 1 gives, without the
one-hot vector: the cost does not grow with the number of categories).
Every category is then as far from every other one, and all categories the
data never saw look the same to the GP.

Everything is plain lists of floats; dot products use
``sum(map(operator.mul, a, b))`` which runs its loop in C.

Why one module of some 700 lines: the kernel, its gradient, the Cholesky
factor, the marginal likelihood and its optimiser, and prediction are one
model whose pieces share the same matrices; there is no part a reader could
use or check without the others.  What the search does with the model is in
:mod:`bayes`.

>>> gp = GaussianProcess([[0.0], [1.0]], [1.0, -1.0], Hyper((4.0,), 1.0, 1e-9))
>>> mean, var = gp.predict([0.0])
>>> round(mean, 6), round(var, 6)
(1.0, 0.0)
>>> mean, var = gp.predict([0.5])
>>> round(mean, 6), 0.0 < var < 1.0
(0.0, True)
"""

import math
import operator
from itertools import islice
from typing import List, NamedTuple, Optional, Sequence, Tuple

__all__ = [
    "Hyper",
    "GaussianProcess",
    "cholesky",
    "solve_lower",
    "solve_upper",
    "cho_solve",
    "matern52",
    "log_h",
    "dlog_h",
    "log_expected_improvement",
    "fit_hyperparameters",
    "minimize",
    "NOISE_FLOOR",
]

Vector = List[float]
Matrix = List[List[float]]

_mul = operator.mul
_sqrt = math.sqrt
_exp = math.exp
_log = math.log
_SQRT5 = math.sqrt(5.0)
_LOG_2PI = math.log(2.0 * math.pi)


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    """Dot product; stops at the shorter of the two sequences."""
    return sum(map(_mul, a, b))


# ---------------------------------------------------------------------------
# Linear algebra on lower-triangular "ragged" matrices (row i has i+1 entries)


def cholesky(A: Sequence[Sequence[float]]) -> Matrix:
    """Factor a symmetric positive definite matrix as ``L L^T``.

    Args:
        A: a square symmetric matrix as a list of rows (only the lower
            triangle is read).

    Returns:
        ``L`` as a ragged list: row ``i`` holds ``L[i][0..i]``.

    Raises:
        ValueError: ``A`` is not (numerically) positive definite.

    >>> cholesky([[4.0, 2.0], [2.0, 3.0]])
    [[2.0], [1.0, 1.4142135623730951]]
    """
    L: Matrix = []
    for i, Ai in enumerate(A):
        row: Vector = []
        for j in range(i):
            Lj = L[j]
            row.append((Ai[j] - sum(map(_mul, row, Lj))) / Lj[j])
        d = Ai[i] - sum(map(_mul, row, row))
        if not d > 0.0:
            raise ValueError(f"matrix is not positive definite (pivot {i} is {d!r})")
        row.append(_sqrt(d))
        L.append(row)
    return L


def solve_lower(L: Matrix, b: Sequence[float]) -> Vector:
    """Solve ``L x = b`` for lower-triangular ``L`` (forward substitution).

    >>> solve_lower([[2.0], [1.0, 1.0]], [2.0, 3.0])
    [1.0, 2.0]
    """
    x: Vector = []
    append = x.append
    for Li, bi in zip(L, b):
        append((bi - sum(map(_mul, Li, x))) / Li[-1])
    return x


def solve_upper(L: Matrix, b: Sequence[float]) -> Vector:
    """Solve ``L^T x = b`` for lower-triangular ``L`` (back substitution).

    >>> solve_upper([[2.0], [1.0, 1.0]], [4.0, 2.0])
    [1.0, 2.0]
    """
    n = len(L)
    r = list(b)
    x = [0.0] * n
    for i in range(n - 1, -1, -1):
        Li = L[i]
        xi = r[i] / Li[i]
        x[i] = xi
        if i:
            r[:i] = [rk - xi * lik for rk, lik in zip(r, Li)]
    return x


def cho_solve(L: Matrix, b: Sequence[float]) -> Vector:
    """Solve ``(L L^T) x = b`` given the Cholesky factor ``L``.

    >>> L = cholesky([[4.0, 2.0], [2.0, 3.0]])
    >>> [round(v, 12) for v in cho_solve(L, [6.0, 5.0])]
    [1.0, 1.0]
    """
    return solve_upper(L, solve_lower(L, b))


# ---------------------------------------------------------------------------
# Kernel and acquisition helpers


def matern52(r2: float) -> float:
    """Matern 5/2 correlation as a function of the squared scaled distance.

    >>> matern52(0.0)
    1.0
    >>> 0.0 < matern52(1.0) < matern52(0.25) < 1.0
    True
    """
    a = _sqrt(5.0 * r2) if r2 > 0.0 else 0.0
    return (1.0 + a + a * a / 3.0) * _exp(-a)


def log_h(z: float) -> float:
    """``log(phi(z) + z Phi(z))``: the log expected improvement of a standard normal.

    ``h(z)`` underflows to 0 for ``z < -38`` and loses digits well before, so
    for very negative ``z`` it uses the asymptotic series
    ``h(z) = phi(z) (1/z^2 - 3/z^4 + 15/z^6 - ...)``, which stays finite and
    increasing: the optimizer can still rank two hopeless candidates.

    >>> round(log_h(0.0), 6) == round(math.log(1 / math.sqrt(2 * math.pi)), 6)
    True
    >>> math.isfinite(log_h(-1e6)) and log_h(-1e6) < log_h(-50.0) < log_h(-5.0)
    True
    """
    if z > -10.0:
        h = math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi) + z * 0.5 * math.erfc(-z / math.sqrt(2.0))
        if z > 0.0:
            return _log(h)
        return _log(h) if h > 0.0 else -0.5 * z * z - 0.5 * _LOG_2PI - 2.0 * _log(-z)
    w = 1.0 / (z * z)
    series = w * (1.0 - w * (3.0 - w * (15.0 - w * (105.0 - w * (945.0 - w * (10395.0 - w * 135135.0))))))
    return -0.5 * z * z - 0.5 * _LOG_2PI + _log(series)


def dlog_h(z: float) -> float:
    """Derivative of :func:`log_h`: ``Phi(z) / h(z)``.

    >>> abs(dlog_h(0.3) - (log_h(0.3 + 1e-6) - log_h(0.3 - 1e-6)) / 2e-6) < 1e-6
    True
    """
    if z > -10.0:
        cdf = 0.5 * math.erfc(-z / math.sqrt(2.0))
        h = math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi) + z * cdf
        if h > 0.0:
            return cdf / h
    w = 1.0 / (z * z)
    num = 1.0 - w * (1.0 - w * (3.0 - w * (15.0 - w * (105.0 - w * 945.0))))
    den = w * (1.0 - w * (3.0 - w * (15.0 - w * (105.0 - w * (945.0 - w * 10395.0)))))
    return num / den / (-z)


def log_expected_improvement(mean: float, var: float, best: float) -> float:
    """Log of the expected amount by which a normal(mean, var) value falls below ``best``.

    Expected improvement ``E[max(best - f, 0)] = sd * h((best - mean) / sd)``.
    Working in logs keeps tiny improvements comparable instead of all 0.

    >>> log_expected_improvement(0.0, 1.0, 0.0) == log_h(0.0)
    True
    >>> log_expected_improvement(1.0, 1e-30, 0.0) > -float("inf")
    True
    """
    sd = _sqrt(var) if var > 1e-300 else 1e-150
    return _log(sd) + log_h((best - mean) / sd)


# ---------------------------------------------------------------------------
# The Gaussian process posterior


class Hyper(NamedTuple):
    """Kernel hyper-parameters.

    Attributes:
        inv_sq_lengths: ``1 / l_c^2`` for each input coordinate ``c``.
        signal: the signal variance ``s^2`` (prior variance of the function).
        noise: the observation noise variance.
    """

    inv_sq_lengths: Tuple[float, ...]
    signal: float
    noise: float

    @property
    def lengths(self) -> Tuple[float, ...]:
        """Length scales ``l_c`` (long = the coordinate hardly matters)."""
        return tuple(1.0 / _sqrt(w) for w in self.inv_sq_lengths)


class GaussianProcess:
    """A GP posterior with a zero prior mean and a Matern 5/2 ARD kernel.

    Args:
        X: training inputs (one list of coordinates per point).
        y: training targets (centre and scale them first: the prior mean is 0).
        hyper: kernel hyper-parameters, one inverse squared length per coordinate.
        categorical: which coordinates hold category labels (default: none).

    Raises:
        ValueError: the kernel matrix is not positive definite (duplicate
            points with zero noise).

    A categorical coordinate costs one dictionary look-up per prediction,
    whatever the number of categories:

    >>> gp = GaussianProcess([[0.0, 3.0], [0.0, 7.0]], [1.0, -1.0], Hyper((1.0, 4.0), 1.0, 1e-9),
    ...                      categorical=[False, True])
    >>> round(gp.predict([0.0, 7.0])[0], 6), round(gp.predict([0.0, 5.0])[0], 6)
    (-1.0, 0.0)
    """

    def __init__(
        self,
        X: Sequence[Sequence[float]],
        y: Sequence[float],
        hyper: Hyper,
        categorical: Optional[Sequence[bool]] = None,
    ) -> None:
        D = len(X[0]) if X else len(hyper.inv_sq_lengths)
        cat = [bool(c) for c in categorical] if categorical is not None else [False] * D
        self.hyper = hyper
        self.categorical = cat
        self._real = [c for c in range(D) if not cat[c]]
        w = hyper.inv_sq_lengths
        # Scale each real coordinate by 1/l so that r^2 = |a|^2 + |b|^2 - 2 a.b.
        self._scale = [_sqrt(w[c]) for c in self._real]
        self._Xs = [[x[c] * s for c, s in zip(self._real, self._scale)] for x in X]
        self._sq = [_dot(x, x) for x in self._Xs]
        # Categorical coordinates: every pair starts at distance sum(w_c) and
        # gets w_c back where the labels agree; which points hold a label is
        # looked up, not scanned.
        self._cat_total = 0.0
        self._cats: List[Tuple[int, float, dict]] = []
        for c in range(D):
            if cat[c]:
                holders: dict = {}
                for i, x in enumerate(X):
                    holders.setdefault(x[c], []).append(i)
                self._cats.append((c, w[c], holders))
                self._cat_total += w[c]
        self.y = list(y)
        s2 = hyper.signal
        # Real coordinates column by column, times -2: the squared distance from
        # a point to every training point is then |x|^2 + |X_i|^2 plus one
        # multiply-add per coordinate over a whole column (see _r2_to).  The
        # columns go four at a time where they can, so one pass over the
        # points does four multiply-adds: a third less time at 20 dimensions.
        cols2 = [[-2.0 * xs[k] for xs in self._Xs] for k in range(len(self._real))]
        self._fours = [cols2[k:k + 4] for k in range(0, len(cols2) - 3, 4)]
        self._ones = cols2[4 * len(self._fours):]
        K: Matrix = []
        for i, x in enumerate(X):
            row = self._k_from_r2(self._r2_to(self._Xs[i], x, i))
            row.append(s2 + hyper.noise)
            K.append(row)
        self._L = cholesky(K)
        self._alpha = cho_solve(self._L, self.y)
        self._cols = [[x[c] for x in X] for c in self._real]
        n = len(self._L)
        # Column i of L below the diagonal, bottom-up: for back substitution.
        self._Lcols_rev = [[self._L[k][i] for k in range(n - 1, i, -1)] for i in range(n)]

    def _r2_to(self, xs: Sequence[float], x: Sequence[float], n: int) -> Vector:
        """Scaled squared distances from a point to the first ``n`` training points.

        ``x`` is the point, ``xs`` its real coordinates already scaled by 1/l.
        """
        sx = _dot(xs, xs) + self._cat_total
        r2 = [sx + si for si in islice(self._sq, n)]
        for g, (c0, c1, c2, c3) in enumerate(self._fours):
            a, b, c, e = xs[4 * g:4 * g + 4]
            r2 = [t + a * u + b * v + c * w + e * z for t, u, v, w, z in zip(r2, c0, c1, c2, c3)]
        for xc, col in zip(xs[4 * len(self._fours):], self._ones):
            r2 = [t + xc * v for t, v in zip(r2, col)]
        for c, wc, holders in self._cats:
            for i in holders.get(x[c], ()):
                if i < n:
                    r2[i] -= wc
        return r2

    def _r2(self, x: Sequence[float]) -> Vector:
        """Scaled squared distances from ``x`` to every training point."""
        xs = [x[c] * s for c, s in zip(self._real, self._scale)]
        return self._r2_to(xs, x, len(self._sq))

    def _k_from_r2(self, r2: Sequence[float]) -> Vector:
        """``s^2 matern52(r2)`` of a list of squared distances."""
        s2 = self.hyper.signal
        a = [_sqrt(5.0 * t) if t > 0.0 else 0.0 for t in r2]
        return [s2 * (1.0 + q + q * q / 3.0) * _exp(-q) for q in a]

    def _kvec(self, x: Sequence[float]) -> Vector:
        return self._k_from_r2(self._r2(x))

    def predict(self, x: Sequence[float]) -> Tuple[float, float]:
        """Posterior mean and variance of the latent function at ``x``."""
        k = self._kvec(x)
        return _dot(k, self._alpha), self.variance_from(k)

    def covariances(self, x: Sequence[float]) -> Vector:
        """Prior covariances ``k(x, X)`` between ``x`` and the training points."""
        return self._kvec(x)

    def mean_from(self, k: Sequence[float]) -> float:
        """Posterior mean given ``k = covariances(x)`` (one dot product)."""
        return _dot(k, self._alpha)

    def variance_from(self, k: Sequence[float]) -> float:
        """Posterior variance given ``k = covariances(x)`` (one triangular solve)."""
        v = solve_lower(self._L, k)
        var = self.hyper.signal - _dot(v, v)
        return var if var > 0.0 else 0.0

    def predict_with_gradient(self, x: Sequence[float]) -> Tuple[float, float, Vector, Vector]:
        """Posterior mean, variance and their gradients with respect to ``x``.

        The gradient along a categorical coordinate is 0 (labels do not move).
        """
        r2 = self._r2(x)
        s2 = self.hyper.signal
        a = [_sqrt(5.0 * t) if t > 0.0 else 0.0 for t in r2]
        e = [_exp(-q) for q in a]
        k = [s2 * (1.0 + q + q * q / 3.0) * eq for q, eq in zip(a, e)]
        mean = _dot(k, self._alpha)
        v = solve_lower(self._L, k)
        var = s2 - _dot(v, v)
        # beta = K^-1 k by back substitution with L^T (bottom-up).
        L = self._L
        b_rev: Vector = []
        for i in range(len(L) - 1, -1, -1):
            b_rev.append((v[i] - sum(map(_mul, self._Lcols_rev[i], b_rev))) / L[i][i])
        beta = b_rev[::-1]
        # dk_i/dx_c = s^2 f'(r_i^2) 2 w_c (x_c - X_ic), f'(r^2) = -(5/6)(1 + a) e^-a.
        fp = [-(5.0 / 3.0) * s2 * (1.0 + q) * eq for q, eq in zip(a, e)]
        cm = list(map(_mul, fp, self._alpha))
        cv = list(map(_mul, fp, beta))
        sm, sv = sum(cm), sum(cv)
        dmean = [0.0] * len(self.categorical)
        dvar = [0.0] * len(self.categorical)
        for c, sc, col in zip(self._real, self._scale, self._cols):
            w = sc * sc
            xc = x[c]
            dmean[c] = w * (xc * sm - _dot(cm, col))
            dvar[c] = -2.0 * w * (xc * sv - _dot(cv, col))
        if var <= 0.0:
            return mean, 0.0, dmean, [0.0] * len(dvar)
        return mean, var, dmean, dvar

    def predict_mean(self, x: Sequence[float]) -> float:
        """Posterior mean only (cheaper: no triangular solve)."""
        return _dot(self._kvec(x), self._alpha)


# ---------------------------------------------------------------------------
# Hyper-parameter fitting: maximise log marginal likelihood + log prior

# Priors, in the unit cube.  Length scales, in up to five dimensions: log l
# ~ N(log 0.5, 1.2^2), which leaves them free between about 0.05 and 5.
# From six dimensions on, a few dozen runs are too sparse to tell a short
# length scale from noise: on Levy-10 a fit on them chose length scales of
# 0.1-0.2 where random runs lie about 1.3 apart, so the GP knew nothing
# between runs and the search was random search (@100: 8.6).  There the
# prior is the shape of Optuna's GP prior: with w = 1/l^2, a penalty rate *
# (w / w0 + w0 / w) that grows linearly in w, so a length scale much shorter
# than the data support costs in proportion (w0 from the prior length: 1 for
# a real parameter, a peak at l = 1).  Measured over 12-20 seeds (issue 16):
# the gamma shape fixed Levy-10 (8.6 -> 1.1) and Hartmann-6, but in five or
# fewer dimensions it forbade the short length scales that Ackley-5's cusp,
# Branin's end game and the small per-arm GPs of a conditional sweep need
# (Ackley-5 @100 1.26 against 1.96; conditional optimizer @50 2e-6 against
# 4e-3).  The signal variance of standardised targets is near 1; the noise
# is small.
_LOG_L_MEAN = math.log(0.5)
_LOG_L_SD = 1.2
_W_RATE = 0.1
_GAMMA_FROM_DIMS = 6
_LOG_S2_SD = 1.0
_NOISE_RATE = 30.0
#: The smallest noise variance (of standardised y) a fit allows: the GP never believes it knows a value exactly.
NOISE_FLOOR = 1e-6
_BOUNDS_LOG_W = (-2.0 * math.log(20.0), -2.0 * math.log(0.01))
_BOUNDS_LOG_S2 = (-5.0, 5.0)
_BOUNDS_LOG_NOISE = (math.log(1e-9), math.log(1.0))


class _Objective:
    """Negative log posterior of the hyper-parameters and its gradient.

    Parameters ``theta = (log w_1..log w_G, log s^2, log(noise - floor))``
    with ``w_g = 1 / l_g^2``, one ``w`` per coordinate.  Pairwise
    per-coordinate squared distances are computed once (0 or 1 along a
    categorical coordinate), so each evaluation costs one kernel matrix, one
    Cholesky factorisation and one inverse.
    """

    def __init__(self, X: Sequence[Sequence[float]], y: Sequence[float], categorical: Sequence[bool],
                 noise_floor: float, log_l_means: Sequence[float]) -> None:
        n = len(X)
        G = len(categorical)
        self.log_l_means = list(log_l_means)
        self.w_scale = [_exp(-2.0 * m) / 4.0 for m in self.log_l_means]  # 1 for a prior length of 0.5
        self.n = n
        self.y = list(y)
        self.G = G
        self.floor = noise_floor
        D: List[Vector] = []
        for c in range(G):
            col = [x[c] for x in X]
            row: Vector = []
            if categorical[c]:
                for i in range(n):
                    ci = col[i]
                    row.extend(0.0 if ci == cj else 1.0 for cj in col[i + 1:])
            else:
                for i in range(n):
                    ci = col[i]
                    row.extend((ci - cj) * (ci - cj) for cj in col[i + 1:])
            D.append(row)
        self.D = D

    def __call__(self, theta: Sequence[float]) -> Tuple[float, Vector]:
        n, G, y = self.n, self.G, self.y
        w = [_exp(t) for t in theta[:G]]
        s2 = _exp(theta[G])
        excess = _exp(theta[G + 1])
        noise = self.floor + excess
        # Scaled squared distances of all pairs i < j, row-major.
        r2 = [w[0] * d for d in self.D[0]]
        for g in range(1, G):
            wg = w[g]
            r2 = [a + wg * d for a, d in zip(r2, self.D[g])]
        a = [_sqrt(5.0 * t) for t in r2]
        e = [_exp(-t) for t in a]
        m = [(1.0 + t + t * t / 3.0) * et for t, et in zip(a, e)]
        K: Matrix = []
        diag = s2 + noise
        # Build row i from pair entries (j, i) for j < i: pair index of (j, i)
        # is j*n - j*(j+1)/2 + (i - j - 1).
        starts = [j * n - j * (j + 1) // 2 - j - 1 for j in range(n)]
        for i in range(n):
            row = [s2 * m[starts[j] + i] for j in range(i)]
            row.append(diag)
            K.append(row)
        try:
            L = cholesky(K)
        except ValueError:
            return math.inf, [0.0] * (G + 2)
        alpha = cho_solve(L, y)
        nll = 0.5 * _dot(y, alpha) + sum(_log(Li[-1]) for Li in L) + 0.5 * n * _LOG_2PI
        # Columns of L^-1, each stored bottom-up (c_j holds rows n-1 down to j), so that
        # K^-1_ij = sum_k>=max(i,j) L^-1_ki L^-1_kj is a plain dot product of c_i and c_j, which
        # stops at the shorter one: no slicing in the O(n^2) loops.
        cols: List[Vector] = []
        for j in range(n):
            x = [1.0 / L[j][j]]
            for k in range(j + 1, n):
                Lk = L[k]
                x.append(-sum(map(_mul, islice(Lk, j, k), x)) / Lk[k])
            x.reverse()
            cols.append(x)
        Wp: Vector = []  # alpha alpha^T - K^-1 on pairs i < j
        trW = 0.0
        for i in range(n):
            ci = cols[i]
            ai = alpha[i]
            trW += ai * ai - sum(map(_mul, ci, ci))
            Wp.extend([ai * aj - sum(map(_mul, ci, cj)) for aj, cj in zip(alpha[i + 1:], cols[i + 1:])])
        # d lml / d log s^2 and d lml / d log w_g.
        g_s2 = s2 * (_dot(Wp, m) + 0.5 * trW)
        P = [wp * (-5.0 / 6.0) * s2 * (1.0 + t) * et for wp, t, et in zip(Wp, a, e)]
        grad = [-(w[g] * _dot(P, self.D[g])) for g in range(G)]
        grad.append(-g_s2)
        grad.append(-(0.5 * excess * trW))
        # Priors.
        rate = _W_RATE if G >= _GAMMA_FROM_DIMS else 0.0
        for g in range(G):
            if rate:
                # -log prior of w: rate (w / w0 + w0 / w), w0 = w_scale
                r = rate / self.w_scale[g]
                nll += r * w[g] + rate * self.w_scale[g] / w[g]
                grad[g] += r * w[g] - rate * self.w_scale[g] / w[g]
                continue
            # log w = -2 log l; log l ~ N(mu, sd^2)
            z = (-0.5 * theta[g] - self.log_l_means[g]) / _LOG_L_SD
            nll += 0.5 * z * z
            grad[g] += z / _LOG_L_SD * (-0.5)
        z = theta[G] / _LOG_S2_SD
        nll += 0.5 * z * z
        grad[G] += z / _LOG_S2_SD
        nll += _NOISE_RATE * excess - 0.1 * theta[G + 1]
        grad[G + 1] += _NOISE_RATE * excess - 0.1
        return nll, grad


def _bounds(G: int) -> List[Tuple[float, float]]:
    return [_BOUNDS_LOG_W] * G + [_BOUNDS_LOG_S2, _BOUNDS_LOG_NOISE]


def _clip(theta: Sequence[float], bounds: Sequence[Tuple[float, float]]) -> Vector:
    return [lo if t < lo else hi if t > hi else t for t, (lo, hi) in zip(theta, bounds)]


def _minimize(f, theta0: Vector, bounds: Sequence[Tuple[float, float]], max_iter: int,
              first_step: float = 1.0) -> Tuple[Vector, float]:
    """Projected BFGS with a backtracking (Armijo) line search.

    ``f`` returns ``(value, gradient)``; the first step moves no parameter
    by more than ``first_step``.
    """
    x = _clip(theta0, bounds)
    fx, gx = f(x)
    if not math.isfinite(fx):
        return x, fx
    k = len(x)
    H = [[1.0 if i == j else 0.0 for j in range(k)] for i in range(k)]
    first = True
    for _ in range(max_iter):
        d = [-_dot(Hi, gx) for Hi in H]
        # Never walk against a bound we are already pressing on.
        for i, ((lo, hi), xi) in enumerate(zip(bounds, x)):
            if (xi <= lo and d[i] < 0.0) or (xi >= hi and d[i] > 0.0):
                d[i] = 0.0
        slope = _dot(gx, d)
        if slope >= 0.0:
            if first:
                break
            H = [[1.0 if i == j else 0.0 for j in range(k)] for i in range(k)]
            first = True
            continue
        step = 1.0
        if first:
            norm = max(abs(t) for t in d)
            step = min(1.0, first_step / norm) if norm > 0 else 1.0
        for _ls in range(12):
            xn = _clip([xi + step * di for xi, di in zip(x, d)], bounds)
            fn, gn = f(xn)
            if fn <= fx + 1e-4 * _dot(gx, [a - b for a, b in zip(xn, x)]):
                break
            step *= 0.3
        else:
            break
        s = [a - b for a, b in zip(xn, x)]
        yv = [a - b for a, b in zip(gn, gx)]
        improvement = fx - fn
        x, fx, gx = xn, fn, gn
        sy = _dot(s, yv)
        if sy > 1e-12:
            if first:
                # Scale the initial inverse Hessian (Nocedal & Wright 6.20).
                gamma = sy / _dot(yv, yv)
                H = [[gamma if i == j else 0.0 for j in range(k)] for i in range(k)]
            rho = 1.0 / sy
            Hy = [_dot(Hi, yv) for Hi in H]
            yHy = _dot(yv, Hy)
            c = (1.0 + rho * yHy) * rho
            H = [
                [H[i][j] - rho * (Hy[i] * s[j] + s[i] * Hy[j]) + c * s[i] * s[j] for j in range(k)]
                for i in range(k)
            ]
            first = False
        if improvement < 1e-6 * (1.0 + abs(fx)) or max(abs(t) for t in gx) < 1e-4:
            break
    return x, fx


def minimize(f, x0: Vector, bounds: Sequence[Tuple[float, float]], max_iter: int = 30,
             first_step: float = 1.0) -> Tuple[Vector, float]:
    """Minimise ``f(x) -> (value, gradient)`` inside a box by projected BFGS.

    >>> x, fx = minimize(lambda x: ((x[0] - 0.3) ** 2, [2 * (x[0] - 0.3)]), [0.9], [(0.0, 1.0)])
    >>> round(x[0], 4)
    0.3
    """
    return _minimize(f, list(x0), bounds, max_iter, first_step)


def fit_hyperparameters(
    X: Sequence[Sequence[float]],
    y: Sequence[float],
    categorical: Optional[Sequence[bool]] = None,
    *,
    noise_floor: float = NOISE_FLOOR,
    max_iter: int = 40,
    starts: Sequence[Sequence[float]] = (),
    prior_lengths: Optional[Sequence[float]] = None,
    warm: Optional[Hyper] = None,
) -> Hyper:
    """Fit ARD length scales, signal and noise variance by maximum a posteriori.

    Deterministic: the search starts from the prior's centre (and any extra
    ``starts``, given as length scales per coordinate) and keeps the best.

    Args:
        X: inputs in (roughly) the unit cube; category labels along
            categorical coordinates.
        y: standardised targets (mean 0, variance 1).
        categorical: which coordinates hold category labels (default: none).
        noise_floor: the smallest noise variance allowed.
        max_iter: BFGS iterations per start.
        starts: extra starting length scales.
        prior_lengths: the median of each coordinate's length-scale prior
            (default 0.5 for every one: a function that varies over
            half the unit interval).
        warm: start from these hyper-parameters instead (a fit on fewer
            points, say), and from nowhere else: a few iterations then
            refine it.

    Returns:
        The fitted :class:`Hyper`.

    >>> X = [[i / 9.0, (i * 7 % 10) / 9.0] for i in range(10)]
    >>> y = [math.sin(6.0 * x[0]) for x in X]   # ignores the second input
    >>> l1, l2 = fit_hyperparameters(X, y).lengths
    >>> l2 > 3 * l1
    True
    """
    G = len(X[0]) if X else len(categorical or ())
    if categorical is None:
        categorical = [False] * G
    if len(categorical) != G:
        raise ValueError(f"fit_hyperparameters: {len(categorical)} categorical flags for {G} coordinates")
    if prior_lengths is None:
        prior_lengths = [math.exp(_LOG_L_MEAN)] * G
    if len(prior_lengths) != G:
        raise ValueError(f"fit_hyperparameters: {len(prior_lengths)} prior lengths for {G} coordinates")
    obj = _Objective(X, y, categorical, noise_floor, [_log(l) for l in prior_lengths])
    bounds = _bounds(G)
    best: Optional[Tuple[Vector, float]] = None
    init_lengths = [list(prior_lengths)] + [list(s) for s in starts]
    thetas = [[-2.0 * _log(l) for l in lengths] + [0.0, _log(1e-3)] for lengths in init_lengths]
    if warm is not None:
        thetas = [[_log(w) for w in warm.inv_sq_lengths] + [_log(warm.signal), _log(max(warm.noise - noise_floor, 1e-12))]]
    for theta0 in thetas:
        theta, val = _minimize(obj, theta0, bounds, max_iter)
        if best is None or val < best[1]:
            best = (theta, val)
    theta = best[0]
    return Hyper(tuple(_exp(t) for t in theta[:G]), _exp(theta[G]), noise_floor + _exp(theta[G + 1]))
