"""minisweep.wandb: the W&B surface real scripts use, in function mode, in command mode, and via `minisweep run`."""

import argparse
import copy
import io
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest
from contextlib import redirect_stderr
from pathlib import Path

import minisweep
import minisweep.wandb as wandb
from minisweep.session import ConfigValueError, OfflineError, unbind
from tests.support import env_with, temp_dir


def grid(values, metric=None, **extra):
    cfg = {"method": "grid", "parameters": {"lr": {"values": list(values)}}}
    if metric:
        cfg["metric"] = metric
    cfg.update(extra)
    return cfg


class SweepTest(unittest.TestCase):
    def setUp(self):
        self.dir = temp_dir(self)

    def run_sweep(self, function, values=(0.1,), metric=None, **agent_kwargs):
        sweep_id = wandb.sweep(grid(values, metric), project="p", dir=self.dir)
        with redirect_stderr(io.StringIO()) as err:
            wandb.agent(sweep_id, function, dir=self.dir, quiet=True, **agent_kwargs)
        self.stderr = err.getvalue()
        return minisweep.load(sweep_id, dir=self.dir)


class ConfigTest(SweepTest):
    def test_sweep_values_win_and_stay_locked(self):
        seen = {}

        def train():
            run = wandb.init(config={"lr": 1.0, "epochs": 3})
            seen["init"] = dict(wandb.config)
            wandb.config.update({"lr": 5.0, "bs": 8}, allow_val_change=True)  # Lightning/HF do this
            wandb.config.lr = 7.0
            seen["after"] = wandb.config.as_dict()
            wandb.log({"loss": run.config.lr})

        result = self.run_sweep(train)
        self.assertEqual(seen["init"], {"lr": 0.1, "epochs": 3})
        self.assertEqual(seen["after"], {"lr": 0.1, "epochs": 3, "bs": 8})
        self.assertIn("config item 'lr' is set by the sweep", self.stderr)
        self.assertEqual(result.runs[0].summary["loss"], 0.1)
        self.assertEqual(result.runs[0].info["config_changes"], {"epochs": 3, "bs": 8})

    def test_changing_a_value_needs_allow_val_change(self):
        run = wandb.init(config={"bs": 8})
        self.addCleanup(wandb.finish)
        with self.assertRaises(ConfigValueError) as cm:
            wandb.config.bs = 16
        self.assertIn("allow_val_change=True", str(cm.exception))
        wandb.config.bs = 8  # the same value is fine
        wandb.config.update({"bs": 16}, allow_val_change=True)
        self.assertEqual(run.config.bs, 16)

    def test_namespace_keys_items_and_a_real_deepcopy(self):
        run = wandb.init(config=argparse.Namespace(lr=0.1, layers=[64, 32]))
        self.addCleanup(wandb.finish)
        wandb.config.update(argparse.Namespace(dropout=0.5))
        self.assertEqual(sorted(wandb.config.keys()), ["dropout", "layers", "lr"])
        self.assertEqual(dict(wandb.config.items())["dropout"], 0.5)
        clone = copy.deepcopy(wandb.config)
        clone.update({"lr": 9.0}, allow_val_change=True)
        clone["layers"].append(16)
        self.assertEqual(run.config.lr, 0.1)
        self.assertEqual(run.config.layers, [64, 32])
        self.assertEqual(clone.as_dict(), {"lr": 9.0, "layers": [64, 32, 16], "dropout": 0.5})


class LogTest(unittest.TestCase):
    def setUp(self):
        self.rows = []
        self.run = wandb.init()
        self.run._on_log = self.rows.append
        self.addCleanup(wandb.finish)

    def test_commit_false_merges_into_the_next_row(self):
        wandb.log({"epoch": 1}, commit=False)
        wandb.log({"loss": 0.5})
        wandb.log({"loss": 0.4})
        self.assertEqual(self.rows, [{"epoch": 1, "loss": 0.5}, {"loss": 0.4}])

    def test_one_row_per_step(self):
        wandb.log({"loss": 1.0}, step=0)
        wandb.log({"acc": 0.5}, step=0)
        self.assertEqual(self.rows, [])
        wandb.log({"loss": 0.8}, step=1)
        self.assertEqual(self.rows, [{"loss": 1.0, "acc": 0.5, "_step": 0}])
        with redirect_stderr(io.StringIO()) as err:
            wandb.log({"loss": 99.0}, step=0)  # below the current step: ignored, as W&B does
        self.assertIn("below the current step", err.getvalue())
        wandb.log({"acc": 0.6}, step=1, commit=True)
        self.assertEqual(self.rows[-1], {"loss": 0.8, "acc": 0.6, "_step": 1})
        wandb.log({"loss": 0.7}, step=2)
        wandb.finish()
        self.assertEqual(self.rows[-1], {"loss": 0.7, "_step": 2})
        self.assertEqual(len(self.rows), 3)

    def test_nested_dicts_flatten_and_media_are_left_out(self):
        wandb.log({"val": {"acc": 0.9, "loss": 0.1}, "img": wandb.Image("x.png"),
                   "gallery": [wandb.Image(None), wandb.Image(None)], "chart": wandb.plot.line(None, "x", "y"),
                   "table": wandb.Table(columns=["a"])})
        self.assertEqual(self.rows, [{"val.acc": 0.9, "val.loss": 0.1}])
        self.assertEqual(wandb.summary["val"], {"acc": 0.9, "loss": 0.1})

    def test_summary_forms(self):
        wandb.log({"loss": 0.5})
        wandb.summary["best"] = 0.1
        wandb.summary.epochs = 3
        wandb.run.summary.update({"val": {"acc": 0.8}})
        self.assertEqual(dict(wandb.summary), {"loss": 0.5, "best": 0.1, "epochs": 3, "val.acc": 0.8})
        self.assertEqual(wandb.summary.get("nope", 7), 7)

    def test_define_metric_summaries(self):
        wandb.define_metric("loss", summary="min,max,mean")
        wandb.define_metric("acc", summary="best", goal="maximize")
        wandb.define_metric("epoch/*", step_metric="epoch/epoch")
        wandb.define_metric("ignored", summary="none")
        for loss, acc in ((3.0, 0.1), (1.0, 0.7), (2.0, 0.5)):
            wandb.log({"loss": loss, "acc": acc, "ignored": 1, "epoch/x": loss})
        self.assertEqual(dict(wandb.summary), {"loss.min": 1.0, "loss.max": 3.0, "loss.mean": 2.0,
                                               "acc.best": 0.7, "epoch/x": 2.0})
        self.assertEqual(wandb.summary["loss"], {"min": 1.0, "max": 3.0, "mean": 2.0})
        with self.assertRaises(ValueError):
            wandb.define_metric("x", summary="median")

    def test_run_is_none_after_finish(self):
        self.assertIs(wandb.run, self.run)
        wandb.finish()
        self.assertIsNone(wandb.run)


class RunRecordTest(SweepTest):
    def test_name_tags_group_notes_summary_and_metric_choice(self):
        def train():
            run = wandb.init(name="first", tags=["a", "b"], group="g1", notes="hello", job_type="train")
            run.name = "renamed"
            wandb.define_metric("loss", summary="min")
            for loss in (3.0, 1.0, 2.0):
                wandb.log({"loss": loss})
            wandb.summary["final"] = 42

        result = self.run_sweep(train, metric={"name": "loss.min", "goal": "minimize"})
        run = result.runs[0]
        self.assertEqual((run.info["name"], run.info["tags"], run.info["group"], run.info["notes"],
                          run.info["job_type"]), ("renamed", ["a", "b"], "g1", "hello", "train"))
        self.assertEqual(run.summary["loss.min"], 1.0)
        self.assertEqual(run.summary["final"], 42)
        self.assertEqual(run.best("loss.min"), 1.0)
        self.assertEqual(run.info["metrics"], [{"name": "loss", "summary": "min"}])

    def test_finish_with_a_non_zero_exit_code_fails_the_run(self):
        def train():
            wandb.init()
            wandb.log({"loss": 1.0})
            wandb.finish(exit_code=1 if wandb.config.lr > 0.5 else 0)

        result = self.run_sweep(train, values=(0.1, 1.0))
        self.assertEqual([r.state for r in result.runs], ["finished", "failed"])
        self.assertEqual(result.runs[1].info["exit_code"], 1)
        self.assertIn("finish(exit_code=1)", result.runs[1].info["error"])

    def test_run_dir_is_a_folder_of_the_run_and_save_copies_into_it(self):
        seen = {}
        source = Path(self.dir, "model.ckpt")
        source.write_text("weights")

        def train():
            run = wandb.init()
            seen["dir"] = run.dir
            seen["saved"] = wandb.save(str(source))
            seen["id"] = (run.id, run.sweep_id, run.project)

        result = self.run_sweep(train)
        run_id = result.runs[0].id
        self.assertEqual(seen["id"], (run_id, result.id, "p"))
        self.assertEqual(Path(seen["dir"]), Path(self.dir, "p", result.id, "files", run_id))
        self.assertEqual(Path(seen["dir"], "model.ckpt").read_text(), "weights")
        self.assertEqual(seen["saved"], [os.path.join(seen["dir"], "model.ckpt")])

    def test_max_consecutive_failed_runs(self):
        def train():
            wandb.init()
            raise RuntimeError("boom")

        with self.assertRaises(minisweep.AgentError) as cm:
            self.run_sweep(train, values=(1, 2, 3, 4, 5, 6), max_consecutive_failed_runs=2,
                           max_initial_failures=0)
        self.assertIn("2 runs in a row failed", str(cm.exception))
        (sweep_id,) = os.listdir(os.path.join(self.dir, "p"))
        self.assertEqual(len(minisweep.load(sweep_id, dir=self.dir).runs), 2)


class FunctionModeEnvironmentTest(SweepTest):
    def test_wandb_agent_variables_per_run(self):
        seen = []
        before = {k: os.environ.get(k) for k in ("WANDB_SWEEP_ID", "WANDB_RUN_ID", "WANDB_SWEEP_PARAM_PATH")}

        def train():
            if "WANDB_SWEEP_ID" in os.environ:  # the branch real scripts take
                run = wandb.init()
                with open(os.environ["WANDB_SWEEP_PARAM_PATH"]) as fh:
                    text = fh.read()
                seen.append((os.environ["WANDB_SWEEP_ID"], os.environ["WANDB_RUN_ID"], run.id, text))

        result = self.run_sweep(train, values=(0.1, 0.2))
        from minisweep.yamlreader import load as load_yaml

        self.assertEqual([(s[0], s[1]) for s in seen], [(result.id, r.id) for r in result.runs])
        self.assertEqual([s[2] for s in seen], [r.id for r in result.runs])
        self.assertEqual([load_yaml(s[3])["lr"] for s in seen], [{"value": 0.1}, {"value": 0.2}])
        self.assertEqual({k: os.environ.get(k) for k in before}, before)  # restored after the agent


class ShownTest(SweepTest):
    def test_status_export_and_report_show_name_group_tags(self):
        def train():
            wandb.init(name="run-%s" % wandb.config.lr, group="g", tags=["x", "y"], notes="first try")
            wandb.log({"loss": wandb.config.lr})

        result = self.run_sweep(train, values=(0.1, 0.2), metric={"name": "loss", "goal": "minimize"})
        from minisweep.cli import main
        from contextlib import redirect_stdout

        out = io.StringIO()
        with redirect_stdout(out):
            main(["status", result.id, "--dir", self.dir])
        header, _, first = out.getvalue().splitlines()[1:4]
        self.assertEqual(header.split()[:4], ["run", "name", "group", "tags"])
        self.assertIn("run-0.1", first)
        self.assertIn("x,y", first)
        out = io.StringIO()
        with redirect_stdout(out):
            main(["export", result.id, "--dir", self.dir, "--format", "csv"])
        lines = out.getvalue().splitlines()
        self.assertTrue(lines[0].startswith("run,name,group,tags,notes,state"), lines[0])
        self.assertIn(",run-0.2,g,\"x,y\",first try,finished", lines[2])
        out = io.StringIO()
        with redirect_stdout(out):
            main(["export", result.id, "--dir", self.dir, "--format", "jsonl"])
        record = __import__("json").loads(out.getvalue().splitlines()[0])
        self.assertEqual((record["name"], record["group"], record["tags"], record["notes"]),
                         ("run-0.1", "g", ["x", "y"], "first try"))
        from minisweep.report import render_report

        html = render_report(minisweep.load(result.id, dir=self.dir))
        self.assertTrue('<span class="run-name"><span>run-0.2</span></span>' in html)
        self.assertTrue('title="group: g\ntags: x, y\nnotes: first try"' in html)


class HarmlessAndRefusedTest(unittest.TestCase):
    def test_accepted_names(self):
        run = wandb.init(settings=wandb.Settings(start_method="thread"), mode="offline", reinit=True)
        self.addCleanup(wandb.finish)
        self.assertIsNone(wandb.watch(object(), log="all", log_freq=10))
        wandb.unwatch()
        self.assertTrue(wandb.login(key="x" * 40))
        art = wandb.Artifact("model", type="model")
        art.add_file(__file__)
        self.assertIs(wandb.log_artifact(art), art)
        with redirect_stderr(io.StringIO()) as err:
            wandb.alert(title="t", text="done", level=wandb.AlertLevel.INFO)
        self.assertIn("alert: t: done", err.getvalue())
        wandb.mark_preempting()
        self.assertIsNone(run._label(code="transformers_trainer"))  # HF Trainer's WandbCallback.setup calls it
        self.assertEqual(len(wandb.util.generate_id()), 8)
        self.assertNotEqual(wandb.util.generate_id(), wandb.util.generate_id())
        self.assertIsInstance(run, wandb.sdk.wandb_run.Run)
        for cls in (wandb.errors.CommError, wandb.errors.UsageError, wandb.Error):
            self.assertTrue(issubclass(cls, Exception))
        self.assertTrue(callable(wandb.Histogram) and callable(wandb.Video) and callable(wandb.Audio))

    def test_server_only_features_name_the_offline_way(self):
        with self.assertRaises(OfflineError) as cm:
            wandb.Api()
        self.assertIn("minisweep.load", str(cm.exception))
        with self.assertRaises(OfflineError):
            wandb.apis.public.Api()
        with self.assertRaises(OfflineError):
            wandb.use_artifact("entity/project/model:latest")

    def test_project_names_with_spaces_as_w_and_b_allows(self):
        with tempfile.TemporaryDirectory() as tmp:
            sweep_id = wandb.sweep(grid((1,)), project="GCNN RNN with input mlp", entity="GraphML_COVID", dir=tmp)
            with redirect_stderr(io.StringIO()):
                wandb.agent(sweep_id, lambda: wandb.init() and wandb.log({"x": 1}), project="GCNN RNN with input mlp",
                            dir=tmp, quiet=True)
            self.assertEqual(os.listdir(tmp), ["GCNN_RNN_with_input_mlp"])
            self.assertEqual(len(minisweep.load(sweep_id, project="GCNN RNN with input mlp", dir=tmp).runs), 1)
            with self.assertRaises(minisweep.MinisweepError):
                wandb.sweep(grid((1,)), project="a/b", dir=tmp)

    def test_a_program_that_lost_its_run_is_told(self):
        out = run_child("""
            import minisweep.wandb as wandb
            run = wandb.init()
            wandb.log({"x": 1})
            print(run.id)
            """, env=env_with(WANDB_SWEEP_ID="abc12345"))
        self.assertEqual(out.stdout.strip(), "standalone-1", out.stderr)
        self.assertIn("init() found no run of sweep abc12345 to join", out.stderr)

    def test_wandb_agent_module(self):
        from minisweep.wandb import wandb_agent

        self.assertIs(wandb_agent.agent, wandb.agent)

    def test_unknown_name_says_so(self):
        with self.assertRaises(AttributeError) as cm:
            wandb.no_such_thing
        self.assertIn("Porting a W&B project", str(cm.exception))


def run_child(code, env=None, args=()):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)] + list(args), env=env or env_with(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120)


class InstallTest(unittest.TestCase):
    def test_import_wandb_gives_the_same_module_objects(self):
        out = run_child("""
            import sys, minisweep
            minisweep.install_as_wandb()
            import wandb, wandb.sdk.wandb_run, minisweep.wandb.sdk.wandb_run as real
            from wandb.sdk.lib.config_util import ConfigError
            assert wandb is minisweep.wandb
            assert wandb.sdk.wandb_run is real and wandb.sdk.wandb_run.Run is real.Run
            assert wandb.wandb_run.Run is real.Run
            assert real.__spec__.name == "minisweep.wandb.sdk.wandb_run", real.__spec__
            import importlib.util
            assert importlib.util.find_spec("wandb") is not None
            print("ok")
            """, env=env_with(PYTHONWARNINGS="error"))
        self.assertEqual(out.stdout.strip(), "ok", out.stderr)

    def test_refuses_after_the_real_wandb_was_imported(self):
        out = run_child("""
            import sys, types, minisweep
            sys.modules["wandb"] = types.ModuleType("wandb")   # stands for the real client
            try:
                minisweep.install_as_wandb()
            except minisweep.MinisweepError as exc:
                print("refused:", exc)
            """)
        self.assertIn("refused: the real wandb was imported before install_as_wandb()", out.stdout, out.stderr)


CHILD_SCRIPT = """\
import argparse, json, os, sys
import wandb
from wandb.sdk.wandb_run import Run

p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.5)
args = p.parse_args()
env = {k: os.environ.get(k) for k in ("WANDB_SWEEP_ID", "WANDB_RUN_ID", "WANDB_PROJECT", "WANDB_ENTITY",
                                      "WANDB_MODE")}
with open(os.environ["WANDB_SWEEP_PARAM_PATH"]) as fh:
    env["param_file"] = fh.read()
if "WANDB_SWEEP_ID" in os.environ:          # the branch real scripts take under W&B's agent
    run = wandb.init(config=args, name="lr=%s" % args.lr, tags=["child"], notes="n")
assert isinstance(run, Run)
wandb.define_metric("loss", summary="min")
for loss in (3.0, 1.0, 2.0):
    wandb.log({"loss": loss * args.lr, "val": {"acc": 1 - args.lr}})
wandb.summary["only_in_summary"] = args.lr * 10
wandb.config.update({"extra": "x"})
with open(os.path.join(run.dir, "env.json"), "w") as fh:
    json.dump(env, fh)
wandb.finish(exit_code=3 if args.lr > 0.5 else 0)
"""


class CommandModeTest(SweepTest):
    def test_an_unchanged_wandb_script_reports_everything(self):
        Path(self.dir, "train.py").write_text(CHILD_SCRIPT)
        cfg = grid((0.1, 0.9), {"name": "only_in_summary", "goal": "minimize"}, program="train.py")
        sweep_id = minisweep.sweep(cfg, project="proj", entity="team", dir=self.dir)
        out = subprocess.run([sys.executable, "-m", "minisweep", "agent", "team/proj/" + sweep_id,
                              "--dir", self.dir], cwd=self.dir, env=env_with(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stderr.count("serving `import wandb`"), 1, out.stderr)
        result = minisweep.load(sweep_id, dir=self.dir)
        first, second = result.runs
        self.assertEqual([first.state, second.state], ["finished", "failed"])
        self.assertEqual(second.info["exit_code"], 3)
        self.assertEqual(first.summary["only_in_summary"], 1.0)
        self.assertEqual(first.summary["loss.min"], 0.1)
        self.assertAlmostEqual(first.summary["val.acc"], 0.9)
        self.assertEqual((first.info["name"], first.info["tags"], first.info["notes"]), ("lr=0.1", ["child"], "n"))
        self.assertEqual(first.info["config_changes"], {"extra": "x"})
        self.assertEqual(result.best_run().id, first.id)
        with open(os.path.join(self.dir, "proj", sweep_id, "files", first.id, "env.json")) as fh:
            env = __import__("json").load(fh)
        self.assertEqual((env["WANDB_SWEEP_ID"], env["WANDB_RUN_ID"], env["WANDB_PROJECT"], env["WANDB_ENTITY"],
                          env["WANDB_MODE"]), (sweep_id, first.id, "proj", "team", "offline"))
        from minisweep.yamlreader import load as load_yaml

        self.assertEqual(load_yaml(env["param_file"]), {"wandb_version": 1, "lr": {"value": 0.1}})

    def test_served_from_a_zipapp(self):
        from minisweep.bundle import write_zipapp

        app = os.path.join(self.dir, "minisweep.pyz")
        write_zipapp(app)
        Path(self.dir, "train.py").write_text(CHILD_SCRIPT)
        cfg = grid((0.1,), {"name": "loss.min", "goal": "minimize"}, program="train.py")
        sweep_id = minisweep.sweep(cfg, project="zp", dir=self.dir)
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)  # the agent and its program find minisweep in the one file only
        out = subprocess.run([sys.executable, app, "agent", sweep_id, "--dir", self.dir], cwd=self.dir, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        (run,) = minisweep.load(sweep_id, dir=self.dir).runs
        self.assertEqual((run.state, run.summary["loss.min"], run.info["name"]), ("finished", 0.1, "lr=0.1"))

    def test_param_file_values_read_back(self):
        from minisweep.macros import wandb_param_yaml
        from minisweep.yamlreader import load as load_yaml

        config = {"lr": 1e-05, "big": 1e20, "n": 3, "name": "a: b", "flag": True, "none": None,
                  "inf": float("inf"), "list": [1, 2.5, "x"], "nested": {"k": 0.1}, "weird key": 1}
        text = wandb_param_yaml(config)
        back = load_yaml(text)
        self.assertEqual(back.pop("wandb_version"), 1)
        self.assertEqual({k: v["value"] for k, v in back.items()}, config)


FUNCTION_MODE_SCRIPT = """\
import wandb

def train():
    with wandb.init() as run:
        wandb.log({"score": run.config.x ** 2})

sweep_id = wandb.sweep({"method": "grid", "metric": {"name": "score", "goal": "minimize"},
                        "parameters": {"x": {"values": [1, -2, 3]}}}, project="fm")
wandb.agent(sweep_id, function=train, count=3)
print("SWEEP", sweep_id)
"""


class RunScriptTest(SweepTest):
    def test_minisweep_run_serves_an_unchanged_function_mode_script(self):
        script = Path(self.dir, "sweep_script.py")
        script.write_text(FUNCTION_MODE_SCRIPT)
        out = subprocess.run([sys.executable, "-m", "minisweep", "run", "--dir", self.dir, str(script)],
                             cwd=self.dir, env=env_with(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        sweep_id = out.stdout.split("SWEEP")[1].strip()
        result = minisweep.load(sweep_id, dir=self.dir)
        self.assertEqual(sorted(r.summary["score"] for r in result.runs), [1, 4, 9])

    def test_the_scripts_exit_status_is_the_commands(self):
        script = Path(self.dir, "fails.py")
        script.write_text("import sys, wandb\nsys.exit(4 if wandb.__version__.endswith('+minisweep') else 0)\n")
        out = subprocess.run([sys.executable, "-m", "minisweep", "run", str(script), "--flag"], cwd=self.dir,
                             env=env_with(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, timeout=120)
        self.assertEqual(out.returncode, 4, out.stderr)


class CliFormsTest(SweepTest):
    def cli(self, *argv):
        from minisweep.cli import main

        out, err = io.StringIO(), io.StringIO()
        from contextlib import redirect_stdout

        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(argv))
        return code, out.getvalue(), err.getvalue()

    def test_wandb_flags_and_id_paths(self):
        Path(self.dir, "s.yaml").write_text("program: t.py\nmethod: grid\nparameters:\n  a: {values: [1]}\n")
        Path(self.dir, "t.py").write_text("print('loss=1')\n")
        code, out, err = self.cli("sweep", "-p", "proj", "-e", "team", "--dir", self.dir, str(Path(self.dir, "s.yaml")))
        self.assertEqual(code, 0, err)
        (sweep_id,) = os.listdir(os.path.join(self.dir, "proj"))
        self.assertEqual(minisweep.load(sweep_id, dir=self.dir).entity, "team")
        cwd = os.getcwd()
        os.chdir(self.dir)
        self.addCleanup(os.chdir, cwd)
        code, out, err = self.cli("agent", "-p", "proj", "-e", "team", "--count", "1", "-f", "-t", "3",
                                  "--max-consecutive-failed-runs", "2", "--quiet", "--dir", self.dir,
                                  "team/proj/" + sweep_id)
        self.assertEqual(code, 0, err)
        code, out, err = self.cli("status", "--dir", self.dir, "proj/" + sweep_id)
        self.assertEqual(code, 0, err)
        self.assertIn("1 finished", out)
        code, out, err = self.cli("agent", "--max-consecutive-failed-runs", "-1", "--dir", self.dir, sweep_id)
        self.assertEqual(code, 2)
        self.assertIn("--max-consecutive-failed-runs", err)


def tearDownModule():
    unbind()


if __name__ == "__main__":
    unittest.main()
