"""Statistical tests of the 18 distributions, each against its own definition.

Continuous distributions are checked with a one-sample Kolmogorov-Smirnov test
against a CDF written here from the distribution's definition in W&B's sweep
configuration reference (never the module's own ``cdf``); discrete and quantised ones with a chi-square
goodness-of-fit test whose cell probabilities come from the underlying
continuous CDF over the rounding intervals ``[(k - 1/2) q, (k + 1/2) q)``.

Every test draws from a ``random.Random`` with a fixed seed, so it is
deterministic: it cannot flake.  The sizes and the significance level
(``ALPHA = 0.001``) leave the correct implementation well inside the
acceptance region while plausible bugs (an excluded bound, a wrong log base,
a flipped sign, floor instead of round, variance for standard deviation,
swapped beta shapes, reordered probabilities) land far outside it.
"""

import math
import random
import unittest

from minisweep import distributions as D
from minisweep.errors import MinisweepWarning
from minisweep.search import Run, next_config, rng_for
from minisweep.sweepconfig import Param, parse_config

#: Significance level of every goodness-of-fit test.
ALPHA = 0.001
#: Draws per goodness-of-fit test.
N = 4000
_INF = float("inf")


# ----------------------------------------------------------------------- the statistics


def bisect(F, p: float, lo: float, hi: float) -> float:
    """x in [lo, hi] with F(x) = p, for an increasing F."""
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if F(mid) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def kolmogorov_quantile(p: float) -> float:
    """x with P(K <= x) = p for the Kolmogorov distribution (series, solved by bisection).

    P(K <= x) = 1 - 2 * sum_{k>=1} (-1)**(k-1) * exp(-2 k**2 x**2).
    """

    def cdf(x: float) -> float:
        return 1.0 - 2.0 * sum((-1) ** (k - 1) * math.exp(-2.0 * k * k * x * x) for k in range(1, 101))

    return bisect(cdf, p, 0.3, 3.0)


def ks_critical(n: int, alpha: float = ALPHA) -> float:
    """Critical value of the KS statistic D_n (Stephens' finite-n correction)."""
    root = math.sqrt(n)
    return kolmogorov_quantile(1.0 - alpha) / (root + 0.12 + 0.11 / root)


def ks_statistic(samples, F) -> float:
    """sup |F_n(x) - F(x)| of the sample against the continuous CDF ``F``."""
    xs = sorted(samples)
    n = len(xs)
    d = 0.0
    for i, x in enumerate(xs):
        f = F(x)
        d = max(d, f - i / n, (i + 1) / n - f)
    return d


def std_normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def chi2_critical(df: int, alpha: float = ALPHA) -> float:
    """Upper ``alpha`` quantile of chi-square with ``df`` degrees of freedom (Wilson-Hilferty)."""
    z = bisect(std_normal_cdf, 1.0 - alpha, -40.0, 40.0)
    c = 2.0 / (9.0 * df)
    return df * (1.0 - c + z * math.sqrt(c)) ** 3


def chi2_statistic(observed, probabilities, n: int) -> float:
    return sum((o - n * p) ** 2 / (n * p) for o, p in zip(observed, probabilities))


# ----------------------------------------------------------- reference CDFs, from the definitions


def uniform_cdf(a, b):
    return lambda x: 0.0 if x <= a else 1.0 if x >= b else (x - a) / (b - a)


def exponent_cdf(a, b):
    """X = exp(U), U ~ uniform(a, b): P(X <= x) = P(U <= ln x)."""
    return lambda x: 0.0 if x <= 0 else uniform_cdf(a, b)(math.log(x))


def neg_exponent_cdf(a, b):
    """X = exp(-U), U ~ uniform(a, b): P(X <= x) = P(U >= -ln x)."""
    return lambda x: 0.0 if x <= 0 else 1.0 - uniform_cdf(a, b)(-math.log(x))


def log_values_cdf(lo, hi):
    """X log-uniform on [lo, hi]: ln X ~ uniform(ln lo, ln hi)."""
    return exponent_cdf(math.log(lo), math.log(hi))


def reciprocal_cdf(lo, hi):
    """X = 1/Y with Y log-uniform on [1/hi, 1/lo]: P(X <= x) = P(Y >= 1/x)."""
    G = log_values_cdf(1.0 / hi, 1.0 / lo)
    return lambda x: 0.0 if x <= 0 else 1.0 - G(1.0 / x)


def normal_cdf(mu, sigma):
    return lambda x: std_normal_cdf((x - mu) / sigma)


def lognormal_cdf(mu, sigma):
    F = normal_cdf(mu, sigma)
    return lambda x: 0.0 if x <= 0 else F(math.log(x))


def comb(n: int, k: int) -> int:
    return math.factorial(n) // (math.factorial(k) * math.factorial(n - k))


def beta_int_cdf(a: int, b: int):
    """Beta(a, b) for integer shapes: P(X <= x) = P(Binomial(a+b-1, x) >= a)."""
    m = a + b - 1

    def F(x):
        if x <= 0:
            return 0.0
        if x >= 1:
            return 1.0
        return sum(comb(m, j) * x ** j * (1 - x) ** (m - j) for j in range(a, m + 1))

    return F


def arcsine_cdf(x):
    """Beta(1/2, 1/2): (2/pi) asin(sqrt(x))."""
    return 0.0 if x <= 0 else 1.0 if x >= 1 else 2.0 / math.pi * math.asin(math.sqrt(x))


def P(dist, **keys):
    return Param(("x",), dist, **keys)


def draw(param, seed, n=N):
    rng = random.Random(seed)
    return [D.sample(param, rng) for _ in range(n)]


# ---------------------------------------------------------------------------- the tests


class TestStatistics(unittest.TestCase):
    """The test statistics themselves, against published tables."""

    def test_kolmogorov_quantiles(self):
        for p, x in ((0.95, 1.3581), (0.99, 1.6276), (0.999, 1.9495)):
            with self.subTest(p=p):
                self.assertAlmostEqual(kolmogorov_quantile(p), x, places=3)

    def test_chi2_critical_values(self):
        # table values of the chi-square 0.999 quantile
        for df, x in ((1, 10.828), (4, 18.467), (10, 29.588), (30, 59.703)):
            with self.subTest(df=df):
                self.assertLess(abs(chi2_critical(df) - x) / x, 0.02 if df > 1 else 0.06)


class TestContinuous(unittest.TestCase):
    """One-sample Kolmogorov-Smirnov against the exact CDF."""

    CASES = [
        ("uniform", dict(min=-2.0, max=5.0), uniform_cdf(-2.0, 5.0)),
        ("log_uniform", dict(min=-3.0, max=1.0), exponent_cdf(-3.0, 1.0)),
        ("log_uniform_values", dict(min=1e-4, max=1e-1), log_values_cdf(1e-4, 1e-1)),
        ("inv_log_uniform", dict(min=1.0, max=3.0), neg_exponent_cdf(1.0, 3.0)),
        ("inv_log_uniform_values", dict(min=0.01, max=2.0), reciprocal_cdf(0.01, 2.0)),
        ("normal", dict(mu=3.0, sigma=2.0), normal_cdf(3.0, 2.0)),
        ("log_normal", dict(mu=0.5, sigma=0.7), lognormal_cdf(0.5, 0.7)),
        ("beta", dict(a=2.0, b=5.0), beta_int_cdf(2, 5)),
        ("beta", dict(a=3, b=1), beta_int_cdf(3, 1)),
        ("beta", dict(a=0.5, b=0.5), arcsine_cdf),
    ]

    def test_kolmogorov_smirnov(self):
        critical = ks_critical(N)
        for seed, (dist, keys, F) in enumerate(self.CASES):
            with self.subTest(dist=dist, **keys):
                d = ks_statistic(draw(P(dist, **keys), seed), F)
                self.assertLess(d, critical, "KS statistic %.4f >= critical %.4f" % (d, critical))

    def test_config_defaults(self):
        """Defaults filled by parse_config: normal/log_normal N(0, 1), beta(1, 1) uniform."""
        cfg = parse_config({"method": "random", "parameters": {
            "n": {"distribution": "normal"},
            "ln": {"distribution": "log_normal"},
            "b": {"distribution": "beta"},
        }})
        refs = {"n": normal_cdf(0.0, 1.0), "ln": lognormal_cdf(0.0, 1.0), "b": uniform_cdf(0.0, 1.0)}
        for seed, p in enumerate(cfg.params):
            with self.subTest(p.name):
                self.assertLess(ks_statistic(draw(p, 100 + seed), refs[p.name]), ks_critical(N))

    def test_support(self):
        """Every draw lies within the distribution's range, the ends included."""
        cases = [
            ("uniform", dict(min=0.1, max=0.3), 0.1, 0.3),
            ("log_uniform", dict(min=-3.0, max=1.0), math.exp(-3.0), math.exp(1.0)),
            ("log_uniform_values", dict(min=1e-5, max=1.0), 1e-5, 1.0),
            ("log_uniform_values", dict(min=1e-4, max=1e-1), 1e-4, 1e-1),
            ("inv_log_uniform", dict(min=1.0, max=3.0), math.exp(-3.0), math.exp(-1.0)),
            # 1/x for x log-uniform in [1/max, 1/min]: the values lie in [min, max]
            ("inv_log_uniform_values", dict(min=1e-5, max=1.0), 1e-5, 1.0),
            ("inv_log_uniform_values", dict(min=1e-4, max=1e-1), 1e-4, 1e-1),
            ("beta", dict(a=0.5, b=0.5), 0.0, 1.0),
            ("log_normal", dict(mu=0.0, sigma=3.0), 0.0, _INF),
        ]
        for dist, keys, lo, hi in cases:
            with self.subTest(dist=dist, **keys):
                p = P(dist, **keys)
                values = draw(p, 7, 2000)
                values += [D.ppf(p, 0.0), D.ppf(p, 1.0)]  # the very ends of the range
                for v in values:
                    self.assertTrue(lo <= v <= hi, "%r outside [%r, %r]" % (v, lo, hi))
                self.assertIsInstance(values[0], float)

    def test_inverse_log_uniform_values_is_log_uniform(self):
        """By its definition 1/X of a log-uniform X is log-uniform on the reciprocal range."""
        F, G = reciprocal_cdf(0.01, 2.0), log_values_cdf(0.01, 2.0)
        for x in (0.01, 0.02, 0.1, 0.5, 1.0, 1.9, 2.0):
            self.assertAlmostEqual(F(x), G(x), places=12)


def quantised_cells(F, q, klo, khi):
    """P(round(X/q) == k) for k = klo..khi, the tails pooled into the end cells."""
    probs = []
    for k in range(klo, khi + 1):
        lo = -_INF if k == klo else (k - 0.5) * q
        hi = _INF if k == khi else (k + 0.5) * q
        probs.append(F(hi) - F(lo))
    return probs


class TestDiscrete(unittest.TestCase):
    """Chi-square goodness of fit."""

    def assertFits(self, observed, probabilities, n=N):
        self.assertAlmostEqual(sum(probabilities), 1.0, places=9)
        # a test-design guard: the chi-square approximation needs >= 5 expected per cell
        self.assertGreaterEqual(min(probabilities) * n, 5.0)
        stat, critical = chi2_statistic(observed, probabilities, n), chi2_critical(len(observed) - 1)
        self.assertLess(stat, critical, "chi-square %.1f >= critical %.1f\nobserved %s\nexpected %s" % (
            stat, critical, observed, [round(p * n, 1) for p in probabilities]))

    def test_categorical(self):
        values = ["a", "b", "c", "d", "e"]
        samples = draw(P("categorical", values=values), 11)
        self.assertFits([samples.count(v) for v in values], [0.2] * 5)

    def test_categorical_w_probabilities(self):
        for seed, probs in enumerate(([0.1, 0.2, 0.3, 0.4], [0.5, 0.05, 0.45], [0.25, 0.0, 0.75])):
            with self.subTest(probabilities=probs):
                values = list("abcd"[:len(probs)])
                samples = draw(P("categorical_w_probabilities", values=values, probabilities=probs), 20 + seed)
                cells = [(v, p) for v, p in zip(values, probs) if p > 0]
                self.assertEqual(set(samples), {v for v, _ in cells})  # a zero-probability value never comes
                self.assertFits([samples.count(v) for v, _ in cells], [p for _, p in cells])

    def test_int_uniform(self):
        """Both ends included: each of min..max comes with probability 1/n."""
        for seed, (lo, hi) in enumerate(((-2, 3), (0, 1), (1, 10))):
            with self.subTest(min=lo, max=hi):
                samples = draw(P("int_uniform", min=lo, max=hi), 30 + seed)
                levels = list(range(lo, hi + 1))
                self.assertEqual(set(samples), set(levels))
                self.assertFits([samples.count(k) for k in levels], [1.0 / len(levels)] * len(levels))

    # (distribution, keys, reference CDF of the unquantised draw, k range of round(x / q))
    QUANTISED = [
        ("q_uniform", dict(min=0.0, max=1.0, q=0.25), uniform_cdf(0.0, 1.0), (0, 4)),
        ("q_uniform", dict(min=0, max=10, q=3), uniform_cdf(0, 10), (0, 3)),
        ("q_uniform", dict(min=-1.3, max=2.2, q=0.5), uniform_cdf(-1.3, 2.2), (-3, 4)),
        ("q_log_uniform", dict(min=0.0, max=3.0, q=2), exponent_cdf(0.0, 3.0), (1, 10)),
        ("q_log_uniform_values", dict(min=1, max=100, q=10), log_values_cdf(1, 100), (0, 10)),
        ("q_log_uniform_values", dict(min=0.001, max=1.0, q=0.05), log_values_cdf(0.001, 1.0), (0, 20)),
        ("q_normal", dict(mu=3.0, sigma=2.0, q=1), normal_cdf(3.0, 2.0), (-2, 8)),
        ("q_normal", dict(mu=0.0, sigma=1.0, q=0.5), normal_cdf(0.0, 1.0), (-5, 5)),
        ("q_log_normal", dict(mu=1.0, sigma=0.5, q=0.5), lognormal_cdf(1.0, 0.5), (1, 12)),
        ("q_beta", dict(a=2.0, b=5.0, q=0.1), beta_int_cdf(2, 5), (0, 7)),
        ("q_beta", dict(a=0.5, b=0.5, q=0.25), arcsine_cdf, (0, 4)),
    ]

    def test_quantised(self):
        """round(x / q) * q: cell k holds the draws in [(k - 1/2) q, (k + 1/2) q)."""
        for seed, (dist, keys, F, (klo, khi)) in enumerate(self.QUANTISED):
            with self.subTest(dist=dist, **keys):
                q = keys["q"]
                samples = draw(P(dist, **keys), 40 + seed)
                counts = [0] * (khi - klo + 1)
                for v in samples:
                    k = round(v / q)
                    self.assertAlmostEqual(v, k * q, delta=1e-9, msg="%r is not a multiple of q" % v)
                    counts[min(max(k, klo), khi) - klo] += 1
                self.assertFits(counts, quantised_cells(F, q, klo, khi))

    def test_quantised_bounds_stay_reachable(self):
        """The quantised ends of the range come: q_uniform 0..1 by 0.25 gives 0.0 and 1.0."""
        samples = set(draw(P("q_uniform", min=0.0, max=1.0, q=0.25), 50, 1000))
        self.assertEqual(samples, {0.0, 0.25, 0.5, 0.75, 1.0})


class TestTypes(unittest.TestCase):
    def test_int_q_gives_ints(self):
        for dist, keys in [("q_uniform", dict(min=0, max=10)), ("q_uniform", dict(min=0.5, max=9.5)),
                           ("q_log_uniform", dict(min=0.0, max=3.0)),
                           ("q_log_uniform_values", dict(min=1, max=100)),
                           ("q_normal", dict(mu=0.0, sigma=5.0)), ("q_log_normal", dict(mu=1.0, sigma=1.0)),
                           ("q_beta", dict(a=1.0, b=1.0))]:
            for q in (1, 2):
                with self.subTest(dist=dist, q=q):
                    p = P(dist, q=q, **keys)
                    for v in draw(p, 3, 200) + [D.ppf(p, 0.3)]:
                        self.assertIs(type(v), int)
                        self.assertEqual(v % q, 0)

    def test_default_q_gives_floats(self):
        """The default ``q: 1.0`` is a float, so the values are floats (W&B's rule)."""
        with self.assertWarns(MinisweepWarning):  # q_log_uniform is deprecated
            cfg = parse_config({"method": "random", "parameters": {
                "a": {"distribution": "q_uniform", "min": 0, "max": 10},
                "b": {"distribution": "q_log_uniform_values", "min": 1, "max": 100},
                "c": {"distribution": "q_normal"},
                "d": {"distribution": "q_log_normal"},
                "e": {"distribution": "q_beta"},
                "f": {"distribution": "q_log_uniform", "min": 0, "max": 3},
            }})
        for p in cfg.params:
            with self.subTest(p.name):
                self.assertEqual(p.q, 1.0)
                for v in draw(p, 4, 200) + [D.ppf(p, 0.7)]:
                    self.assertIs(type(v), float)
                    self.assertEqual(v, round(v))

    def test_quantize(self):
        for x, q, want in [(7.4, 2, 8), (7.4, 2.0, 8.0), (0.3, 0.25, 0.25), (-0.6, 1, -1), (2.6, 1.0, 3.0),
                           (0.12, 0.1, 0.1), (5, 5, 5)]:
            with self.subTest(x=x, q=q):
                got = D.quantize(x, q)
                self.assertIs(type(got), type(want))
                self.assertAlmostEqual(got, want, places=12)

    def test_int_uniform_gives_ints(self):
        p = P("int_uniform", min=-3, max=3)
        for v in draw(p, 5, 200) + [D.ppf(p, 0.0), D.ppf(p, 0.99)]:
            self.assertIs(type(v), int)

    def test_uniform_gives_floats(self):
        p = P("uniform", min=0, max=3)
        for v in draw(p, 5, 50):
            self.assertIs(type(v), float)

    def test_categorical_returns_the_very_objects(self):
        values = [[1, 2], {"a": 1}, "x", None, (3,)]
        p = P("categorical", values=values)
        seen = set()
        for v in draw(p, 6, 200):
            self.assertTrue(any(v is w for w in values), "%r is a copy" % (v,))
            seen.add(id(v))
        self.assertEqual(seen, {id(w) for w in values})
        wp = P("categorical_w_probabilities", values=values[:2], probabilities=[0.5, 0.5])
        for v in draw(wp, 6, 50):
            self.assertTrue(v is values[0] or v is values[1])
        self.assertIs(D.ppf(p, 0.1), values[0])

    def test_constant(self):
        value = {"nested": [1, 2]}
        p = P("constant", value=value)
        self.assertIs(D.sample(p, random.Random(0)), value)
        self.assertIs(D.ppf(p, 0.5), value)
        self.assertEqual(D.grid_values(p), [value])


class TestCdfPpf(unittest.TestCase):
    ROUND_TRIP = [
        ("uniform", dict(min=-2.0, max=5.0)),
        ("log_uniform", dict(min=-3.0, max=1.0)),
        ("log_uniform_values", dict(min=1e-4, max=1e-1)),
        ("inv_log_uniform", dict(min=1.0, max=3.0)),
        ("inv_log_uniform_values", dict(min=0.01, max=2.0)),
        ("normal", dict(mu=3.0, sigma=2.0)),
        ("log_normal", dict(mu=0.5, sigma=0.7)),
        ("beta", dict(a=2.0, b=5.0)),
        ("beta", dict(a=0.5, b=0.5)),
    ]

    def test_round_trip(self):
        for dist, keys in self.ROUND_TRIP:
            p = P(dist, **keys)
            for x in draw(p, 8, 25):
                with self.subTest(dist=dist, x=x):
                    u = D.cdf(p, x)
                    self.assertTrue(0.0 <= u <= 1.0)
                    self.assertAlmostEqual(D.ppf(p, u), x, delta=1e-9 * max(1.0, abs(x)))
            for u in (0.01, 0.25, 0.5, 0.9, 0.99):
                with self.subTest(dist=dist, u=u):
                    self.assertAlmostEqual(D.cdf(p, D.ppf(p, u)), u, places=9)

    def test_cdf_matches_definition(self):
        """The module's CDF is the one the sampler draws from (checked at a few points)."""
        for dist, keys, F in TestContinuous.CASES:
            p = P(dist, **keys)
            for u in (0.05, 0.3, 0.5, 0.8, 0.97):
                x = D.ppf(p, u)
                with self.subTest(dist=dist, u=u):
                    self.assertAlmostEqual(F(x), u, places=9)

    def test_log_scale_cdf_is_linear_in_log(self):
        p = P("log_uniform_values", min=1e-4, max=1e-1)
        for x, u in ((1e-4, 0.0), (1e-3, 1 / 3), (1e-2, 2 / 3), (1e-1, 1.0)):
            self.assertAlmostEqual(D.cdf(p, x), u, places=12)
        self.assertTrue(D.is_log_scale(p))
        self.assertFalse(D.is_log_scale(P("uniform", min=0.0, max=1.0)))

    def test_discrete_cdf_at_level_centres(self):
        values = ["a", "b", "c", "d"]
        for dist, extra in (("categorical", {}), ("categorical_w_probabilities",
                                                 {"probabilities": [0.7, 0.1, 0.1, 0.1]})):
            p = P(dist, values=values, **extra)
            for k, v in enumerate(values):
                with self.subTest(dist=dist, value=v):
                    self.assertAlmostEqual(D.cdf(p, v), (k + 0.5) / 4, places=12)
                    self.assertEqual(D.ppf(p, (k + 0.5) / 4), v)
        p = P("int_uniform", min=-2, max=3)
        for k, v in enumerate(range(-2, 4)):
            with self.subTest(dist="int_uniform", value=v):
                self.assertAlmostEqual(D.cdf(p, v), (k + 0.5) / 6, places=12)
                self.assertEqual(D.ppf(p, (k + 0.5) / 6), v)
        self.assertEqual([D.ppf(p, u) for u in (0.0, 1 / 6 - 1e-9, 1 / 6, 1.0)], [-2, -2, -1, 3])

    def test_categorical_cdf_compares_as_a_grid_does(self):
        p = P("categorical", values=[True, 1.5, {"a": 1, "b": 2}])
        self.assertAlmostEqual(D.cdf(p, {"b": 2, "a": 1}), 2.5 / 3)
        with self.assertRaises(ValueError):
            D.cdf(p, 1)  # True and 1 are distinct

    def test_beta_cdf_known_values(self):
        for x in (1e-6, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1 - 1e-6):
            with self.subTest(x=x):
                # Beta(2, 3): 6x^2 - 8x^3 + 3x^4
                self.assertAlmostEqual(D.beta_cdf(x, 2, 3), 6 * x ** 2 - 8 * x ** 3 + 3 * x ** 4, places=12)
                self.assertAlmostEqual(D.beta_cdf(x, 0.5, 0.5), arcsine_cdf(x), places=12)
                self.assertAlmostEqual(D.beta_cdf(x, 1, 1), x, places=12)
                self.assertAlmostEqual(D.beta_cdf(x, 1, 4), 1 - (1 - x) ** 4, places=12)
                self.assertAlmostEqual(D.beta_cdf(x, 7, 2), beta_int_cdf(7, 2)(x), places=12)
                # symmetry I_x(a, b) = 1 - I_{1-x}(b, a), with unequal non-integer shapes
                self.assertAlmostEqual(D.beta_cdf(x, 2.5, 0.7), 1 - D.beta_cdf(1 - x, 0.7, 2.5), places=12)
        self.assertEqual((D.beta_cdf(0.0, 2, 3), D.beta_cdf(1.0, 2, 3)), (0.0, 1.0))
        self.assertEqual((D.beta_cdf(-1.0, 2, 3), D.beta_cdf(2.0, 2, 3)), (0.0, 1.0))

    def test_beta_cdf_integrates_the_density(self):
        """A non-integer case against the density integrated numerically (Simpson)."""
        a, b = 2.5, 3.5
        logc = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)

        def pdf(t):
            return math.exp(logc + (a - 1) * math.log(t) + (b - 1) * math.log1p(-t)) if 0 < t < 1 else 0.0

        for x in (0.2, 0.45, 0.8):
            m = 2000
            h = x / m
            s = pdf(0) + pdf(x) + sum((4 if i % 2 else 2) * pdf(i * h) for i in range(1, m))
            with self.subTest(x=x):
                self.assertAlmostEqual(D.beta_cdf(x, a, b), s * h / 3, places=8)

    def test_beta_ppf_inverts_beta_cdf(self):
        for a, b in ((2, 3), (0.5, 0.5), (2.5, 0.7), (10, 1)):
            for u in (1e-6, 0.01, 0.2, 0.5, 0.8, 0.99):
                with self.subTest(a=a, b=b, u=u):
                    x = D.beta_ppf(u, a, b)
                    self.assertTrue(0.0 <= x <= 1.0)
                    self.assertAlmostEqual(D.beta_cdf(x, a, b), u, places=9)
        self.assertAlmostEqual(D.beta_ppf(0.5, 2, 2), 0.5, places=12)
        self.assertAlmostEqual(D.beta_ppf(0.5, 0.5, 0.5), 0.5, places=12)
        self.assertAlmostEqual(D.beta_ppf(0.25, 1, 1), 0.25, places=12)
        self.assertEqual((D.beta_ppf(0.0, 2, 3), D.beta_ppf(1.0, 2, 3)), (0.0, 1.0))


class TestGridValues(unittest.TestCase):
    def test_int_uniform_is_inclusive(self):
        for lo, hi in ((1, 4), (-2, 2), (0, 1)):
            with self.subTest(min=lo, max=hi):
                self.assertEqual(D.grid_values(P("int_uniform", min=lo, max=hi)), list(range(lo, hi + 1)))

    def test_categorical_keeps_order(self):
        self.assertEqual(D.grid_values(P("categorical", values=["b", "a", 3])), ["b", "a", 3])

    def test_q_uniform_is_arange(self):
        """numpy.arange(min, max, q): max left out, ceil((max - min) / q) values."""
        cases = [
            (0, 1, 0.1, [i * 0.1 for i in range(10)]),
            (0, 1, 0.25, [0.0, 0.25, 0.5, 0.75]),
            (0, 1, 0.3, [0.0, 0.3, 0.6, 0.8999999999999999]),
            (0, 10, 2, [0, 2, 4, 6, 8]),
            (0, 10, 3, [0, 3, 6, 9]),
            (1, 4, 1, [1, 2, 3]),
            (1, 4, 1.0, [1.0, 2.0, 3.0]),
            (0.5, 2, 0.5, [0.5, 1.0, 1.5]),
            (-1, 1, 0.5, [-1.0, -0.5, 0.0, 0.5]),
        ]
        for lo, hi, q, want in cases:
            with self.subTest(min=lo, max=hi, q=q):
                got = D.grid_values(P("q_uniform", min=lo, max=hi, q=q))
                self.assertEqual(len(got), math.ceil((hi - lo) / q))
                self.assertEqual(got, want)
                ints = all(type(x) is int for x in (lo, hi, q))
                for v in got:
                    self.assertIs(type(v), int if ints else float)
                    self.assertLess(v, hi)

    def test_q_uniform_steps_are_multiplied_not_accumulated(self):
        got = D.grid_values(P("q_uniform", min=0, max=1, q=0.1))
        self.assertEqual(got[8], 0.8)  # 0.1 added eight times is 0.7999999999999999
        self.assertEqual(got[3], 3 * 0.1)

    def test_other_distributions_cannot_be_enumerated(self):
        for dist, keys in (("uniform", dict(min=0.0, max=1.0)), ("normal", dict(mu=0.0, sigma=1.0)),
                           ("categorical_w_probabilities", dict(values=[1], probabilities=[1.0]))):
            with self.subTest(dist=dist):
                with self.assertRaises(ValueError):
                    D.grid_values(P(dist, **keys))


SWEEP = {"method": "random", "parameters": {
    "lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
    "layers": {"min": 1, "max": 8},
    "opt": {"values": ["adam", "sgd", "rmsprop"]},
    "drop": {"distribution": "q_beta", "a": 2, "b": 5, "q": 0.05},
    "nested": {"parameters": {"m": {"distribution": "normal", "mu": 0.9, "sigma": 0.05},
                              "c": {"value": 3}}},
}}


class TestReproducibility(unittest.TestCase):
    def test_rng_for_is_a_function_of_seed_and_index(self):
        def stream(seed, index):
            rng = rng_for(seed, index)
            return [rng.random() for _ in range(5)]

        self.assertEqual(stream(7, 3), stream(7, 3))
        self.assertEqual(stream("s", 0), stream("s", 0))
        streams = [stream(s, k) for s in (0, 1, 7, "7x") for k in range(4)]
        self.assertEqual(len({tuple(s) for s in streams}), len(streams))
        self.assertNotEqual(stream(7, 3), stream(3, 7))

    def test_pinned_draw(self):
        """A seed gives the same config on every Python version and platform.

        ``rng_for`` seeds with a string, which :mod:`random` hashes with SHA-512;
        changing the scheme would change every existing sweep's configs.
        """
        self.assertEqual(rng_for(123, 0).random(), 0.7026553846745331)
        a = next_config(SWEEP, [], seed=123)
        self.assertEqual(a, next_config(SWEEP, [], seed=123))
        self.assertEqual((a["layers"], a["opt"], a["drop"], a["nested"]["c"]), (6, "sgd", 0.45, 3))
        self.assertAlmostEqual(a["lr"], 0.011244733919766289, delta=1e-15)  # libm's exp may differ by an ulp
        self.assertAlmostEqual(a["nested"]["m"], 0.8982838279176584, delta=1e-14)

    def _runs(self, n, variant):
        states = ("finished", "failed", "running", "crashed", "pending", "killed")
        rng = random.Random(variant)
        return [Run("r%d-%d" % (variant, i), states[(i + variant) % len(states)],
                    {"lr": rng.random(), "junk": variant},
                    history=[{"loss": rng.random()}] * (variant % 3))
                for i in range(n)]

    def test_next_config_depends_only_on_seed_and_index(self):
        for n in (0, 1, 5):
            with self.subTest(runs=n):
                configs = [next_config(SWEEP, self._runs(n, v), seed=42) for v in range(4)]
                self.assertTrue(all(c == configs[0] for c in configs))
                self.assertEqual(configs[0], next_config(SWEEP, [], seed=42, index=n))
        seq = [next_config(SWEEP, self._runs(n, 0), seed=42) for n in range(6)]
        self.assertEqual(len({repr(c) for c in seq}), 6)
        self.assertNotEqual(next_config(SWEEP, [], seed=42), next_config(SWEEP, [], seed=43))

    def test_one_agent_equals_four(self):
        """Configs depend on the claim index, not on which agent claims or when runs end."""
        total = 12
        runs = []
        for _ in range(total):  # one agent: claim, run, finish
            runs.append(Run("a%d" % len(runs), "running", next_config(SWEEP, runs, seed=5)))
            runs[-1].state = "finished"
        alone = [r.config for r in runs]

        runs, busy = [], {}
        order = random.Random(99)
        agents = ["w0", "w1", "w2", "w3"]
        while len(runs) < total or busy:
            idle = [a for a in agents if a not in busy]
            if len(runs) < total and idle and (not busy or order.random() < 0.5):
                agent = order.choice(idle)
                run = Run("%s-%d" % (agent, len(runs)), "pending", next_config(SWEEP, runs, seed=5))
                runs.append(run)
                busy[agent] = run
            else:  # some busy agent ends its run, in a shuffled order, some of them badly
                agent = order.choice(sorted(busy))
                busy.pop(agent).state = order.choice(["finished", "failed", "crashed"])
        self.assertEqual([r.config for r in runs], alone)
        self.assertEqual(len({repr(c) for c in alone}), total)

    def test_random_search_draws_each_parameter_from_its_distribution(self):
        """Through next_config: lr is log-uniform on [1e-5, 1e-1], layers uniform on 1..8."""
        configs = [next_config(SWEEP, [], seed=9, index=k) for k in range(2000)]
        lr = [c["lr"] for c in configs]
        self.assertLess(ks_statistic(lr, log_values_cdf(1e-5, 1e-1)), ks_critical(len(lr)))
        layers = [c["layers"] for c in configs]
        observed = [layers.count(k) for k in range(1, 9)]
        stat = chi2_statistic(observed, [1 / 8] * 8, len(layers))
        self.assertLess(stat, chi2_critical(7))
        self.assertTrue(all(c["nested"]["c"] == 3 and type(c["layers"]) is int for c in configs))


if __name__ == "__main__":
    unittest.main()
