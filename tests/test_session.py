"""The in-run API: init / config / log / finish, per thread."""

import threading
import unittest

import minisweep
from minisweep.session import ActiveRun, Config, RunStopped, bind, current_run, unbind


class ConfigTest(unittest.TestCase):
    def test_attribute_and_item_access(self):
        c = Config({"lr": 0.1, "opt": {"name": "adam"}})
        self.assertEqual((c.lr, c["lr"], c.opt["name"]), (0.1, 0.1, "adam"))
        c.bs = 32
        c["wd"] = 0.0
        self.assertEqual(c.as_dict(), {"lr": 0.1, "opt": {"name": "adam"}, "bs": 32, "wd": 0.0})
        self.assertEqual(sorted(c.keys()), ["bs", "lr", "opt", "wd"])
        self.assertEqual(c.get("nope", 5), 5)
        self.assertEqual(len(c), 4)

    def test_missing_key_names_the_keys(self):
        with self.assertRaises(AttributeError) as cm:
            Config({"lr": 1}).batch
        self.assertEqual(str(cm.exception), "config has no key 'batch' (it has: lr)")
        with self.assertRaises(KeyError):
            Config()["x"]

    def test_defaults_do_not_override(self):
        c = Config({"lr": 0.1})
        c.setdefaults({"lr": 1.0, "epochs": 3})
        self.assertEqual(c.as_dict(), {"lr": 0.1, "epochs": 3})


class RunTest(unittest.TestCase):
    def tearDown(self):
        unbind()
        minisweep.finish()

    def test_init_inside_a_run_merges_defaults(self):
        active = ActiveRun("r1", {"lr": 0.01, "bs": 8})
        bind(active)
        run = minisweep.init(project="p", config={"lr": 1.0, "epochs": 5})
        self.assertIs(run, active)
        self.assertIs(minisweep.run, active)
        self.assertEqual(minisweep.config.as_dict(), {"lr": 0.01, "bs": 8, "epochs": 5})
        self.assertEqual(minisweep.config.lr, 0.01)
        self.assertEqual(minisweep.config["epochs"], 5)

    def test_log_and_summary(self):
        rows = []
        active = ActiveRun("r1", on_log=rows.append)
        bind(active)
        minisweep.log({"loss": 2.0})
        minisweep.log({"loss": 1.0, "acc": 0.5}, step=7)
        self.assertEqual(rows, [{"loss": 2.0}])  # W&B: step 7's row is written when step 7 ends
        active.finish()
        self.assertEqual(rows, [{"loss": 2.0}, {"loss": 1.0, "acc": 0.5, "_step": 7}])
        self.assertEqual(active.summary, {"loss": 1.0, "acc": 0.5, "_step": 7})
        self.assertEqual(minisweep.summary["loss"], 1.0)
        with self.assertRaises(TypeError):
            minisweep.log([1, 2])

    def test_should_stop_makes_the_next_log_raise(self):
        rows = []
        active = ActiveRun("r1", on_log=rows.append)
        bind(active)
        minisweep.log({"loss": 1})
        self.assertFalse(active.should_stop)
        active.request_stop("hyperband: loss 5 at band 1 is worse than the threshold 2")
        self.assertTrue(active.should_stop)
        with self.assertRaises(RunStopped) as cm:
            minisweep.log({"loss": 5})
        self.assertEqual(cm.exception.run_id, "r1")
        self.assertIn("hyperband", cm.exception.reason)
        self.assertEqual(len(rows), 2)  # the row is recorded before the stop is raised

    def test_context_manager_and_finish(self):
        active = ActiveRun("r1")
        bind(active)
        with minisweep.init() as run:
            run.log({"a": 1})
        self.assertTrue(active.finished)
        with self.assertRaises(minisweep.MinisweepError):
            run.log({"a": 2})

    def test_standalone(self):
        run = minisweep.init(config={"x": 3})
        self.assertTrue(run.id.startswith("standalone-"))
        self.assertEqual(minisweep.config.x, 3)
        minisweep.log({"y": 1})
        self.assertEqual(run.summary, {"y": 1})
        minisweep.finish()
        self.assertIsNone(current_run())

    def test_log_without_a_run(self):
        with self.assertRaises(minisweep.MinisweepError) as cm:
            minisweep.log({"a": 1})
        self.assertIn("call minisweep.init() first", str(cm.exception))

    def test_login_is_a_no_op(self):
        self.assertTrue(minisweep.login())
        self.assertTrue(minisweep.login(key="anything", relogin=True))


class ThreadIsolationTest(unittest.TestCase):
    def test_each_thread_sees_its_own_run(self):
        seen = {}
        barrier = threading.Barrier(4)

        def work(i):
            bind(ActiveRun("r%d" % i, {"i": i}))
            try:
                barrier.wait(5)  # all four runs active at once
                for _ in range(200):
                    assert minisweep.config.i == i
                    minisweep.log({"i": i})
                seen[i] = (minisweep.config.i, minisweep.run.id, minisweep.summary["i"])
            finally:
                unbind()

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(seen, {i: (i, "r%d" % i, i) for i in range(4)})

    def test_a_helper_thread_finds_the_only_active_run(self):
        active = ActiveRun("solo", {"k": 1})
        bind(active)
        try:
            got = []
            t = threading.Thread(target=lambda: got.append(minisweep.config.k))
            t.start()
            t.join()
            self.assertEqual(got, [1])
        finally:
            unbind()

    def test_a_helper_thread_with_several_runs_is_an_error(self):
        errors = []
        ready = threading.Event()
        release = threading.Event()

        def owner(i):
            bind(ActiveRun("r%d" % i))
            ready.set()
            release.wait(5)
            unbind()

        owners = [threading.Thread(target=owner, args=(i,)) for i in range(2)]
        for t in owners:
            t.start()
        try:
            ready.wait(5)
            while len(minisweep.session._active) < 2:
                threading.Event().wait(0.01)

            def orphan():
                try:
                    minisweep.log({"x": 1})
                except minisweep.MinisweepError as exc:
                    errors.append(str(exc))

            t = threading.Thread(target=orphan)
            t.start()
            t.join()
        finally:
            release.set()
            for t in owners:
                t.join()
        self.assertEqual(len(errors), 1)
        self.assertIn("belongs to no run while 2 runs are active", errors[0])


if __name__ == "__main__":
    unittest.main()
