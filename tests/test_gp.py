"""Tests of minisweep.gp: linear algebra, the GP posterior, log EI, ARD fitting."""

import doctest
import math
import random
import unittest

from minisweep import gp


def load_tests(loader, tests, ignore):
    tests.addTests(doctest.DocTestSuite(gp))
    return tests


class LinearAlgebraTest(unittest.TestCase):
    def test_cholesky_hand_checked(self):
        # [[4, 2, 2], [2, 5, 3], [2, 3, 6]] = L L^T with L = [[2], [1, 2], [1, 1, 2]]
        L = gp.cholesky([[4.0, 2.0, 2.0], [2.0, 5.0, 3.0], [2.0, 3.0, 6.0]])
        self.assertEqual(L, [[2.0], [1.0, 2.0], [1.0, 1.0, 2.0]])

    def test_solves_hand_checked(self):
        L = [[2.0], [1.0, 2.0], [1.0, 1.0, 2.0]]
        self.assertEqual(gp.solve_lower(L, [2.0, 5.0, 9.0]), [1.0, 2.0, 3.0])
        self.assertEqual(gp.solve_upper(L, [7.5, 8.0, 6.0]), [1.0, 2.5, 3.0])
        # A x = b for A = L L^T, x = (1, 1, 1): b = row sums (8, 10, 11)
        for got in gp.cho_solve(L, [8.0, 10.0, 11.0]):
            self.assertAlmostEqual(got, 1.0, places=12)

    def test_cholesky_rejects_indefinite(self):
        with self.assertRaises(ValueError):
            gp.cholesky([[1.0, 2.0], [2.0, 1.0]])

    def test_cholesky_random_spd_roundtrip(self):
        rng = random.Random(3)
        n = 8
        B = [[rng.gauss(0, 1) for _ in range(n)] for _ in range(n)]
        A = [[sum(B[i][k] * B[j][k] for k in range(n)) + (n if i == j else 0) for j in range(n)] for i in range(n)]
        L = gp.cholesky(A)
        for i in range(n):
            for j in range(i + 1):
                self.assertAlmostEqual(sum(L[i][k] * L[j][k] for k in range(j + 1)), A[i][j], places=9)


class PosteriorTest(unittest.TestCase):
    def test_interpolates_training_points_with_tiny_noise(self):
        rng = random.Random(1)
        X = [[rng.random(), rng.random()] for _ in range(12)]
        y = [math.sin(3 * a) + b * b for a, b in X]
        model = gp.GaussianProcess(X, y, gp.Hyper((4.0, 2.0), 1.0, 1e-10))
        for x, v in zip(X, y):
            mean, var = model.predict(x)
            self.assertAlmostEqual(mean, v, places=5)
            self.assertLess(var, 1e-6)

    def test_variance_returns_to_prior_far_away(self):
        model = gp.GaussianProcess([[0.0]], [1.0], gp.Hyper((100.0,), 2.0, 1e-8))
        mean, var = model.predict([1.0])
        self.assertAlmostEqual(mean, 0.0, places=6)
        self.assertAlmostEqual(var, 2.0, places=6)

    def test_covariances_match_the_kernel_definition(self):
        # Squared distances are built four columns at a time, then one at a
        # time for the rest: every count of real coordinates from 1 to 9, a
        # categorical among them, against Matern-5/2 written out.
        rng = random.Random(4)
        for d in range(1, 10):
            cat = [c == 1 for c in range(d + 1)]
            X = [[float(rng.randrange(3)) if cat[c] else rng.random() for c in range(d + 1)] for _ in range(7)]
            w = tuple(rng.uniform(0.5, 4.0) for _ in range(d + 1))
            model = gp.GaussianProcess(X, [rng.random() for _ in X], gp.Hyper(w, 1.7, 1e-4), categorical=cat)
            x = [1.0 if cat[c] else rng.random() for c in range(d + 1)]
            for i, k in enumerate(model.covariances(x)):
                r2 = sum(wc * ((x[c] != X[i][c]) if cat[c] else (x[c] - X[i][c]) ** 2) for c, wc in enumerate(w))
                a = math.sqrt(5.0 * r2)
                with self.subTest(d=d, i=i):
                    self.assertAlmostEqual(k, 1.7 * (1.0 + a + a * a / 3.0) * math.exp(-a), places=12)

    def test_gradients_match_finite_differences(self):
        rng = random.Random(2)
        X = [[rng.random() for _ in range(3)] for _ in range(10)]
        y = [x[0] - x[1] ** 2 for x in X]
        model = gp.GaussianProcess(X, y, gp.Hyper((3.0, 1.0, 0.5), 1.2, 1e-4))
        x = [0.3, 0.6, 0.2]
        mean, var, dmean, dvar = model.predict_with_gradient(x)
        for c in range(3):
            xp, xm = list(x), list(x)
            xp[c] += 1e-6
            xm[c] -= 1e-6
            (mp, vp), (mm, vm) = model.predict(xp), model.predict(xm)
            self.assertAlmostEqual(dmean[c], (mp - mm) / 2e-6, places=5)
            self.assertAlmostEqual(dvar[c], (vp - vm) / 2e-6, places=5)


class CategoricalTest(unittest.TestCase):
    """A label coordinate is a one-hot block scaled to distance 1, without the block."""

    def one_hot(self, x, n):
        hot = [0.0] * n
        hot[int(x[1])] = math.sqrt(0.5)
        return [x[0]] + hot + [x[2]]

    def test_matches_the_one_hot_encoding(self):
        rng = random.Random(3)
        n = 6
        X = [[rng.random(), float(rng.randrange(n)), rng.random()] for _ in range(15)]
        y = [math.sin(4 * a) + (0.5 if c % 2 else -0.5) + b for a, c, b in X]
        w = (3.0, 0.7, 2.0)
        labels = gp.GaussianProcess(X, y, gp.Hyper(w, 1.3, 1e-4), categorical=[False, True, False])
        hot = gp.GaussianProcess([self.one_hot(x, n) for x in X], y, gp.Hyper((w[0],) + (w[1],) * n + (w[2],), 1.3, 1e-4))
        for x in ([0.2, 3.0, 0.9], [0.7, 5.0, 0.1], X[4]):
            with self.subTest(x=x):
                m1, v1, dm1, dv1 = labels.predict_with_gradient(x)
                m2, v2, dm2, dv2 = hot.predict_with_gradient(self.one_hot(x, n))
                self.assertAlmostEqual(m1, m2, places=9)
                self.assertAlmostEqual(v1, v2, places=9)
                self.assertAlmostEqual(dm1[0], dm2[0], places=9)
                self.assertAlmostEqual(dv1[2], dv2[-1], places=9)
                self.assertEqual((dm1[1], dv1[1]), (0.0, 0.0))

    def test_unseen_categories_look_alike(self):
        X = [[0.1, 0.0], [0.5, 1.0], [0.9, 2.0]]
        model = gp.GaussianProcess(X, [1.0, -1.0, 0.5], gp.Hyper((2.0, 1.0), 1.0, 1e-6), categorical=[False, True])
        self.assertEqual(model.predict([0.4, 7.0]), model.predict([0.4, 4321.0]))
        self.assertNotEqual(model.predict([0.4, 1.0]), model.predict([0.4, 7.0]))

    def test_fit_sees_a_categorical_that_matters(self):
        rng = random.Random(4)
        X = [[rng.random(), float(rng.randrange(4)), float(rng.randrange(4))] for _ in range(24)]
        y = [0.2 * a + (1.0 if c in (1.0, 3.0) else -1.0) for a, c, _ in X]  # the last label is noise
        mean = sum(y) / len(y)
        sd = math.sqrt(sum((v - mean) ** 2 for v in y) / len(y))
        lengths = gp.fit_hyperparameters(X, [(v - mean) / sd for v in y], [False, True, True]).lengths
        self.assertGreater(lengths[2], 3.0 * lengths[1])


class LogEITest(unittest.TestCase):
    def test_monotonic_and_finite(self):
        zs = [-1e8, -1e4, -200.0, -40.0, -12.0, -10.0, -9.99, -5.0, -1.0, 0.0, 1.0, 5.0, 40.0, 1e4]
        values = [gp.log_h(z) for z in zs]
        for z, v in zip(zs, values):
            self.assertTrue(math.isfinite(v), z)
        for a, b in zip(values, values[1:]):
            self.assertLess(a, b)

    def test_matches_closed_form_where_representable(self):
        for z in (-8.0, -2.0, 0.0, 3.0):
            h = math.exp(-z * z / 2) / math.sqrt(2 * math.pi) + z * 0.5 * math.erfc(-z / math.sqrt(2))
            self.assertAlmostEqual(gp.log_h(z), math.log(h), places=8)

    def test_continuous_at_the_switch(self):
        self.assertAlmostEqual(gp.log_h(-10.0 + 1e-9), gp.log_h(-10.0 - 1e-9), places=6)

    def test_extreme_inputs(self):
        for mean, var in ((1e6, 1e-20), (-1e6, 1e-20), (0.0, 0.0), (5.0, 1e300)):
            self.assertTrue(math.isfinite(gp.log_expected_improvement(mean, var, 0.0)))


class FitTest(unittest.TestCase):
    def assert_gradient_matches_finite_differences(self, objective, theta):
        _, grad = objective(theta)
        for i in range(len(theta)):
            up, down = list(theta), list(theta)
            up[i] += 1e-6
            down[i] -= 1e-6
            numeric = (objective(up)[0] - objective(down)[0]) / 2e-6
            self.assertAlmostEqual(grad[i], numeric, delta=1e-5 * (1.0 + abs(numeric)))

    def test_ard_finds_irrelevant_dimension(self):
        rng = random.Random(5)
        X = [[rng.random() for _ in range(3)] for _ in range(25)]
        y = [math.sin(5.0 * x[0]) + 0.5 * math.cos(4.0 * x[2]) for x in X]  # ignores x[1]
        mean = sum(y) / len(y)
        sd = math.sqrt(sum((v - mean) ** 2 for v in y) / len(y))
        l0, l1, l2 = gp.fit_hyperparameters(X, [(v - mean) / sd for v in y]).lengths
        self.assertGreater(l1, 3.0 * l0)
        self.assertGreater(l1, 3.0 * l2)

    def test_a_warm_started_refit_reaches_the_cold_fit(self):
        # bayes fits on 20 points, then refines that fit on 40 in 8 iterations (issue 16): the refined
        # one must be about as probable as a full fit from scratch on the 40.
        rng = random.Random(7)
        X = [[rng.random() for _ in range(3)] for _ in range(40)]
        y = [math.sin(5.0 * x[0]) + (x[1] - 0.4) ** 2 for x in X]
        mean = sum(y) / len(y)
        sd = math.sqrt(sum((v - mean) ** 2 for v in y) / len(y))
        y = [(v - mean) / sd for v in y]
        objective = gp._Objective(X, y, [False] * 3, gp.NOISE_FLOOR, [math.log(0.5)] * 3)

        def nll(h):
            theta = [math.log(w) for w in h.inv_sq_lengths] + [math.log(h.signal), math.log(h.noise - gp.NOISE_FLOOR)]
            return objective(theta)[0]

        small = gp.fit_hyperparameters(X[:20], y[:20])
        warm = gp.fit_hyperparameters(X, y, warm=small, max_iter=8)
        cold = gp.fit_hyperparameters(X, y)
        self.assertLess(nll(warm), nll(small) - 3.0)
        self.assertLess(nll(warm), nll(cold) + 1.0)

    def test_objective_gradient_matches_finite_differences(self):
        # The fit follows this gradient (likelihood and priors), so a wrong term steers it wrong.
        rng = random.Random(2)
        X = [[rng.random(), rng.random(), float(rng.randrange(3))] for _ in range(15)]
        y = [math.sin(4.0 * x[0]) + x[1] + 0.3 * x[2] for x in X]
        objective = gp._Objective(X, y, [False, False, True], gp.NOISE_FLOOR, [0.0, math.log(0.5), math.log(1.5)])
        theta = [0.2, -0.5, 1.0, 0.1, math.log(1e-2)]
        self.assert_gradient_matches_finite_differences(objective, theta)

    def test_objective_gradient_with_six_parameters_matches_finite_differences(self):
        # From six parameters on the length-scale prior changes shape (issue 16); its gradient too.
        rng = random.Random(4)
        X = [[rng.random() for _ in range(5)] + [float(rng.randrange(3))] for _ in range(15)]
        y = [math.sin(4.0 * x[0]) + x[1] - x[3] + 0.3 * x[5] for x in X]
        objective = gp._Objective(X, y, [False] * 5 + [True], gp.NOISE_FLOOR, [math.log(0.5)] * 5 + [math.log(1.5)])
        theta = [0.2, -0.5, 1.0, 2.5, -1.5, 0.4, 0.1, math.log(1e-2)]
        self.assert_gradient_matches_finite_differences(objective, theta)

    def test_six_parameters_make_a_short_length_scale_cost_more(self):
        # Ten-dimensional fits on few runs chose length scales of 0.1-0.2 under the log-normal prior, and
        # the search became random search (Levy-10, issue 16); from six parameters on, a short length
        # scale costs far more than under the log-normal prior of five or fewer.
        def prior_cost(G, short):
            X = [[0.0] * G, [1.0] * G]
            objective = gp._Objective(X, [0.0, 0.0], [False] * G, gp.NOISE_FLOOR, [math.log(0.5)] * G)
            theta = [-2.0 * math.log(0.5)] * G + [0.0, math.log(1e-3)]
            theta_short = list(theta)
            theta_short[0] = -2.0 * math.log(short)
            return objective(theta_short)[0] - objective(theta)[0]

        self.assertGreater(prior_cost(6, 0.05), 3.0 * prior_cost(5, 0.05))

    def test_fit_is_deterministic(self):
        X = [[i / 7.0, (3 * i % 8) / 7.0] for i in range(8)]
        y = [a - b for a, b in X]
        self.assertEqual(gp.fit_hyperparameters(X, y), gp.fit_hyperparameters(X, y))


if __name__ == "__main__":
    unittest.main()
