"""The command line: wandb-style sweep/agent with real child processes, and the result views."""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

import minisweep
from minisweep.command import parse_metric_line
from minisweep.macros import expand_command
from tests.support import POSIX, SLEEPER, CommandLineTest, alive, env_with


# A program that records its argv and reports a metric on its output.
ECHO_ARGV = textwrap.dedent("""\
    import json, os, sys
    with open(os.environ["ARGV_OUT"], "a") as fh:
        fh.write(json.dumps(sys.argv[1:]) + "\\n")
    print("loss=0.5")
    """)

# A program that logs through minisweep itself, and runs standalone too.
LOGS_ITSELF = textwrap.dedent("""\
    import argparse, minisweep
    p = argparse.ArgumentParser()
    p.add_argument("--x", type=float, default=0.5)
    a = p.parse_args()
    run = minisweep.init(config={"default_only": 7})
    for epoch in range(3):
        minisweep.log({"loss": (a.x - 0.3) ** 2 + 1.0 / (epoch + 1), "epoch": epoch})
    print("config seen:", dict(minisweep.config.items()))
    """)

class MacroTest(unittest.TestCase):
    """Expansion rules, checked without a process."""

    config = {"aug": True, "dims": [1, 2], "ema": False, "lr": 0.1, "none": None, "opt": "adam"}

    def expand(self, command, **kw):
        return expand_command(command, program="train.py", config=self.config, json_file="/tmp/c.json",
                              interpreter="PY", env_prefix=["/usr/bin/env"], **kw)

    def test_every_macro(self):
        table = [
            (["${env}", "${interpreter}", "${program}", "${args}"],
             ["/usr/bin/env", "PY", "train.py", "--aug=True", "--dims=[1, 2]", "--ema=False", "--lr=0.1",
              "--none=None", "--opt=adam"]),
            (["${args_no_equals}"],
             ["--aug", "True", "--dims", "[1, 2]", "--ema", "False", "--lr", "0.1", "--none", "None", "--opt", "adam"]),
            (["${args_no_hyphens}"], ["aug=True", "dims=[1, 2]", "ema=False", "lr=0.1", "none=None", "opt=adam"]),
            (["${args_no_boolean_flags}"], ["--aug", "--dims=[1, 2]", "--lr=0.1", "--none=None", "--opt=adam"]),
            (["${args_json}"], ['{"aug": true, "dims": [1, 2], "ema": false, "lr": 0.1, "none": null, "opt": "adam"}']),
            (["--config", "${args_json_file}"], ["--config", "/tmp/c.json"]),
            (["${args_append_hydra}"], ["+aug=True", "+dims=[1, 2]", "+ema=False", "+lr=0.1", "+none=None", "+opt=adam"]),
            (["${args_override_hydra}"],
             ["++aug=True", "++dims=[1, 2]", "++ema=False", "++lr=0.1", "++none=None", "++opt=adam"]),
            (["python", "-m", "${program}", "--x=${args}", "${unknown}"], ["python", "-m", "train.py", "--x=${args}"]),
            (["python", 3, "${program}"], ["python", "3", "train.py"]),  # bare ints in a command list (corpus 004)
        ]
        for command, argv in table:
            with self.subTest(command=command):
                self.assertEqual(self.expand(command), argv)

    def test_envvar(self):
        self.assertEqual(self.expand(["--data=${envvar:DATA_DIR}/x", "${envvar:MISSING}"], environ={"DATA_DIR": "/d"}),
                         ["--data=/d/x", "MISSING"])

    def test_default_command_and_interpreter(self):
        argv = expand_command(None, program="t.py", config={"a": 1})
        self.assertEqual(argv[-3:], [sys.executable, "t.py", "--a=1"])

    def test_metric_lines(self):
        table = [("loss=0.23", {"loss": 0.23}), ("loss: 0.23", {"loss": 0.23}), ("val/acc = 91", {"val/acc": 91}),
                 ("  loss=1e-3  ", {"loss": 0.001}), ("loss=-inf", {"loss": float("-inf")}),
                 ("epoch 3: loss 0.2", None), ("loss=abc", None), ("", None)]
        for line, expected in table:
            with self.subTest(line=line):
                self.assertEqual(parse_metric_line(line), expected)
        nan = parse_metric_line("loss=nan")["loss"]
        self.assertNotEqual(nan, nan)


class ProgressTest(unittest.TestCase):
    """The agent's display: one live line on a terminal, plain lines elsewhere."""

    class Stream(io.StringIO):
        def __init__(self, tty):
            super().__init__()
            self.tty = tty

        def isatty(self):
            return self.tty

    def run_agent(self, tty):
        from unittest import mock

        stream = self.Stream(tty)
        with tempfile.TemporaryDirectory() as tmp:
            sid = minisweep.sweep({"method": "grid", "metric": {"name": "loss"},
                                   "parameters": {"x": {"values": [3, 1, 2]}}}, dir=tmp)
            with mock.patch("sys.stderr", stream):
                minisweep.agent(sid, function=lambda c: c.x, dir=tmp, progress=True, count=3)
        return stream.getvalue()

    def test_terminal_gets_one_live_line(self):
        text = self.run_agent(tty=True)
        self.assertIn("\r\x1b[Kruns 3/3 | best loss=1", text)
        self.assertNotIn("started:", text)  # no line per run
        self.assertIn("this agent started 3 runs", text)

    def test_a_pipe_gets_plain_lines(self):
        text = self.run_agent(tty=False)
        self.assertNotIn("\r", text)
        self.assertEqual(text.count(" started: x="), 3)
        self.assertIn(" finished (loss=1)", text)


class CliTest(CommandLineTest):
    def make_sweep(self, config_text, *extra):
        self.write("sweep.yaml", config_text)
        out = self.cli("sweep", "sweep.yaml", "--dir", self.store, "--project", "p", *extra)
        self.assertEqual(out.returncode, 0, out.stderr)
        first = out.stdout.splitlines()[0]
        self.assertTrue(first.startswith("created sweep "), first)
        sweep_id = first.split()[2]
        self.assertIn("minisweep agent %s --dir %s" % (sweep_id, self.store), out.stdout)
        return sweep_id

    def test_real_children_get_wandb_argv(self):
        self.write("train.py", ECHO_ARGV)
        argv_out = os.path.join(self.dir, "argv.jsonl")
        commands = {
            "args": (["${env}", "${interpreter}", "${program}", "${args}"],
                     ["--aug=True", "--dims=[1, 2]", "--lr=0.1", "--opt=adam"]),
            "no_equals": (["${interpreter}", "${program}", "${args_no_equals}"],
                          ["--aug", "True", "--dims", "[1, 2]", "--lr", "0.1", "--opt", "adam"]),
            "no_hyphens": (["${interpreter}", "${program}", "${args_no_hyphens}"],
                           ["aug=True", "dims=[1, 2]", "lr=0.1", "opt=adam"]),
            "no_bool": (["${interpreter}", "${program}", "${args_no_boolean_flags}"],
                        ["--aug", "--dims=[1, 2]", "--lr=0.1", "--opt=adam"]),
            "json": (["${interpreter}", "${program}", "${args_json}"],
                     ['{"aug": true, "dims": [1, 2], "lr": 0.1, "opt": "adam"}']),
            "hydra": (["${interpreter}", "${program}", "${args_append_hydra}", "${args_override_hydra}"],
                      ["+aug=True", "+dims=[1, 2]", "+lr=0.1", "+opt=adam",
                       "++aug=True", "++dims=[1, 2]", "++lr=0.1", "++opt=adam"]),
            "envvar": (["${interpreter}", "${program}", "--tag=${envvar:MY_TAG}", "positional"],
                       ["--tag=blue", "positional"]),
        }
        for name, (command, expected) in commands.items():
            with self.subTest(macro=name):
                if os.path.exists(argv_out):
                    os.remove(argv_out)
                sid = self.make_sweep(textwrap.dedent("""\
                    program: train.py
                    method: grid
                    metric: {name: loss}
                    command: %s
                    parameters:
                      lr: {value: 0.1}
                      opt: {values: [adam]}
                      dims: {value: [1, 2]}
                      aug: {value: true}
                    """) % json.dumps(command))
                out = self.cli("agent", sid, "--dir", self.store, ARGV_OUT=argv_out, MY_TAG="blue")
                self.assertEqual(out.returncode, 0, out.stderr)
                with open(argv_out) as fh:
                    (argv,) = [json.loads(line) for line in fh]
                self.assertEqual(argv, expected)
                (run,) = self.load(sid).runs
                self.assertEqual((run.state, run.summary), ("finished", {"loss": 0.5}))

    def test_json_file_macro(self):
        self.write("train.py", "import json, sys\nprint('loss=%s' % json.load(open(sys.argv[1]))['lr'])\n")
        sid = self.make_sweep("program: train.py\nmethod: grid\ncommand: ['${interpreter}', '${program}', "
                              "'${args_json_file}']\nparameters:\n  lr: {values: [0.25]}\n")
        self.assertEqual(self.cli("agent", sid, "--dir", self.store, "--metrics", "loss").returncode, 0)
        (run,) = self.load(sid).runs
        self.assertEqual(run.summary, {"loss": 0.25})

    def test_child_logs_through_minisweep_and_runs_standalone(self):
        self.write("train.py", LOGS_ITSELF)
        sid = self.make_sweep("program: train.py\nmethod: grid\nmetric: {name: loss}\n"
                              "parameters:\n  x: {values: [0.3, 0.9]}\n")
        out = self.cli("agent", sid, "--dir", self.store)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("config seen: {'x': 0.3, 'default_only': 7}", out.stdout)
        runs = self.load(sid).runs
        self.assertEqual([r.state for r in runs], ["finished", "finished"])
        self.assertEqual([len(r.history) for r in runs], [3, 3])
        self.assertAlmostEqual(runs[0].summary["loss"], 1.0 / 3)
        self.assertEqual(self.load(sid).best_run().config, {"x": 0.3})
        alone = subprocess.run([sys.executable, "train.py", "--x", "0.4"], cwd=self.dir, env=env_with(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
        self.assertEqual(alone.returncode, 0, alone.stderr)
        self.assertIn("config seen: {'default_only': 7}", alone.stdout)

    @unittest.skipUnless(POSIX, "a shell script child")
    def test_shell_script_reports_through_stdout(self):
        script = self.write("train.sh", '#!/bin/sh\necho "starting $1"\necho "loss: $(echo $1 | cut -d= -f2)"\n'
                                         'echo "acc=0.75"\necho "not a metric line"\nexit 0\n')
        os.chmod(script, 0o755)
        sid = self.make_sweep("program: ./train.sh\nmethod: grid\nmetric: {name: loss}\n"
                              "command: ['${program}', '${args}']\nparameters:\n  lr: {values: [0.5, 0.25]}\n")
        out = self.cli("agent", sid, "--dir", self.store, "--metrics", "acc")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("starting --lr=0.5", out.stdout)  # the output also reaches the terminal
        result = self.load(sid)
        self.assertEqual([r.summary for r in result.runs], [{"loss": 0.5, "acc": 0.75}, {"loss": 0.25, "acc": 0.75}])
        log = Path(result.path, "files", result.runs[0].id, "output.log").read_text()
        self.assertIn("not a metric line", log)  # and to a per-run log file

    def test_exit_status_decides(self):
        self.write("train.py", "import sys\nprint('loss=1')\nsys.exit(3 if '--x=2' in sys.argv else 0)\n")
        sid = self.make_sweep("program: train.py\nmethod: grid\nparameters:\n  x: {values: [1, 2]}\n")
        out = self.cli("agent", sid, "--dir", self.store)
        self.assertEqual(out.returncode, 0, out.stderr)
        runs = self.load(sid).runs
        self.assertEqual([r.state for r in runs], ["finished", "failed"])
        self.assertIn("exited with status 3", runs[1].info.get("error", ""))

    @unittest.skipUnless(POSIX, "process groups and signals")
    def test_cancel_stops_the_child_and_leaves_nothing_running(self):
        self.write("train.py", SLEEPER)
        pids = os.path.join(self.dir, "pids")
        sid = self.make_sweep("program: train.py\nmethod: grid\nparameters:\n  x: {values: [1, 2]}\n")
        agent = self.start_agent(sid, "--kill-delay", "1", "--lease-seconds", "0.4", PID_OUT=pids)
        pid = self.wait_for_pid(pids)
        out = self.cli("sweep", "--cancel", sid, "--dir", self.store)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("running -> cancelled", out.stdout)
        stdout, stderr = agent.communicate(timeout=60)
        self.assertEqual(agent.returncode, 0, stderr)
        self.assertFalse(alive(pid), "the child outlived the cancel")
        runs = self.load(sid).runs
        self.assertEqual([r.state for r in runs], ["stopped"])  # and no new run after the cancel
        self.assertEqual(self.load(sid).state, "cancelled")

    @unittest.skipUnless(POSIX, "process groups and signals")
    def test_stop_lets_the_running_run_finish(self):
        self.write("train.py", textwrap.dedent("""\
            import os, time
            with open(os.environ["PID_OUT"], "a") as fh:
                fh.write("%d\\n" % os.getpid())
            deadline = time.time() + 60
            while not os.path.exists(os.environ["GO"]) and time.time() < deadline:
                time.sleep(0.05)  # still running when the stop arrives, however slow the machine
            print("loss=2")
            """))
        pids = os.path.join(self.dir, "pids")
        go = os.path.join(self.dir, "go")
        sid = self.make_sweep("program: train.py\nmethod: grid\nmetric: {name: loss}\n"
                              "parameters:\n  x: {values: [1, 2, 3]}\n")
        agent = self.start_agent(sid, PID_OUT=pids, GO=go)
        pid = self.wait_for_pid(pids)
        self.assertEqual(self.cli("sweep", "--stop", sid, "--dir", self.store).returncode, 0)
        open(go, "w").close()
        stdout, stderr = agent.communicate(timeout=60)
        self.assertEqual(agent.returncode, 0, stderr)
        self.assertFalse(alive(pid))
        runs = self.load(sid).runs
        self.assertEqual([(r.state, r.summary) for r in runs], [("finished", {"loss": 2})])  # and no second run
        self.assertIn("is stopped; no new runs", stderr)

    @unittest.skipUnless(POSIX, "process groups and signals")
    def test_ctrl_c_kills_the_child(self):
        self.write("train.py", SLEEPER)
        pids = os.path.join(self.dir, "pids")
        sid = self.make_sweep("program: train.py\nmethod: grid\nparameters:\n  x: {values: [1, 2]}\n")
        agent = self.start_agent(sid, "--kill-delay", "1", PID_OUT=pids)
        pid = self.wait_for_pid(pids)
        agent.send_signal(signal.SIGINT)
        stdout, stderr = agent.communicate(timeout=60)
        self.assertEqual(agent.returncode, 130, stderr)
        self.assertNotIn("Traceback", stderr)
        self.assertFalse(alive(pid), "the child outlived Ctrl-C")
        self.assertEqual([r.state for r in self.load(sid).runs], ["killed"])

    @unittest.skipUnless(POSIX, "process groups and signals")
    def test_hyperband_stops_a_child(self):
        self.write("train.py", textwrap.dedent("""\
            import sys, time
            q = float(sys.argv[1].split("=")[1])
            for epoch in range(40):
                print("loss=%s" % (q * (40 - epoch)), flush=True)
                time.sleep(0.02)
            """))
        sid = self.make_sweep("program: train.py\nmethod: grid\nmetric: {name: loss}\n"
                              "early_terminate: {type: hyperband, min_iter: 3, eta: 2}\n"
                              "parameters:\n  q: {values: [1, 2, 50, 60]}\n")
        out = self.cli("agent", sid, "--dir", self.store, "--kill-delay", "1")
        self.assertEqual(out.returncode, 0, out.stderr)
        states = {r.config["q"]: r.state for r in self.load(sid).runs}
        self.assertEqual((states[1], states[2]), ("finished", "finished"))
        self.assertIn("stopped", (states[50], states[60]))

    def test_pause_resume_stop(self):
        sid = self.make_sweep("method: random\nparameters:\n  x: {min: 0.0, max: 1.0}\n")
        for flag, line in (("--pause", "running -> paused"), ("--resume", "paused -> running"),
                           ("--stop", "running -> stopped")):
            out = self.cli("sweep", flag, sid, "--dir", self.store)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn(line, out.stdout)
        out = self.cli("sweep", "--resume", sid, "--dir", self.store)  # issue 14: a stopped sweep resumes too
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("stopped -> running", out.stdout)

    def test_views(self):
        sid = minisweep.sweep({"method": "grid", "metric": {"name": "loss", "goal": "minimize"},
                               "parameters": {"a": {"values": [3, 1, 2]}, "opt": {"parameters": {"b": {"value": "k"}}},
                                              "s": {"values": ["x,y"]}}},
                              project="p", dir=self.store)
        minisweep.agent(sid, function=lambda c: {"loss": c.a * 1.5, "acc": 1.0 / c.a}, dir=self.store, quiet=True)
        status = self.cli("status", sid, "--dir", self.store)
        self.assertEqual(status.returncode, 0, status.stderr)
        lines = status.stdout.splitlines()
        self.assertIn("grid finished, 3 finished", lines[0])
        rows = [line for line in lines if " finished " in line]
        self.assertEqual(len(rows), 3)
        self.assertTrue(rows[1].startswith("*"))  # a=1 is the best
        self.assertIn("* best: run", lines[-1])
        best = self.cli("best", sid, "--dir", self.store)
        self.assertEqual(json.loads(best.stdout), {"a": 1, "opt": {"b": "k"}, "s": "x,y"})
        args = self.cli("best", sid, "--dir", self.store, "--format", "args")
        # shell-quoted, so it can be pasted after a program name
        self.assertEqual(args.stdout.strip(), "--a=1 '--opt={'\"'\"'b'\"'\"': '\"'\"'k'\"'\"'}' --s=x,y")
        exported = self.cli("export", sid, "--dir", self.store, "--format", "csv")
        table = list(csv.DictReader(io.StringIO(exported.stdout)))
        self.assertEqual([r["config.a"] for r in table], ["3", "1", "2"])
        self.assertEqual([r["config.s"] for r in table], ["x,y"] * 3)  # the comma survives quoting
        self.assertEqual([r["best.loss"] for r in table], ["4.5", "1.5", "3.0"])
        path = os.path.join(self.dir, "runs.jsonl")
        out = self.cli("export", sid, "--dir", self.store, "--format", "jsonl", "-o", path)
        self.assertEqual(out.returncode, 0, out.stderr)
        with open(path) as fh:
            records = [json.loads(line) for line in fh]
        self.assertEqual([r["config"]["a"] for r in records], [3, 1, 2])
        self.assertEqual(records[0]["history"], [{"loss": 4.5, "acc": 1.0 / 3}])
        page = os.path.join(self.dir, "report.html")
        out = self.cli("report", sid, "--dir", self.store, "-o", page)
        self.assertEqual(out.returncode, 0, out.stderr)
        with open(page, encoding="utf-8") as fh:
            html = fh.read()
        self.assertIn("<svg", html)
        self.assertIn(sid, html)
        for run in minisweep.load(sid, dir=self.store).runs:
            self.assertIn(run.id, html)
        listing = self.cli("ls", "--dir", self.store)
        self.assertIn(sid, listing.stdout)
        self.assertIn("loss=1.5", listing.stdout)

    def test_errors_are_one_line_exit_2(self):
        self.write("bad.yaml", "method: grid\nparameters:\n  lr: {min: 0.1, max: 0.2}\n")
        no_program = self.make_sweep("program: missing.py\nmethod: grid\nparameters:\n  x: {values: [1]}\n")
        cases = [
            (("sweep", "bad.yaml", "--dir", self.store),
             "error: bad.yaml:3: parameters.lr: grid search cannot enumerate distribution 'uniform'; "
             "give 'values' or use q_uniform"),
            (("agent", "nosuchid", "--dir", self.store), "error: sweep 'nosuchid' not found in %s" % self.store),
            (("agent", no_program, "--dir", self.store),
             "error: program: program 'missing.py' not found (relative to %s)" % os.path.realpath(self.dir)),
            (("agent", no_program, "--workers", "many"),
             "error: argument --workers: invalid int value: 'many' (see minisweep agent --help)"),
            (("status", "../etc", "--dir", self.store), None),
            (("nonsense",), None),
        ]
        for args, line in cases:
            with self.subTest(args=args):
                out = self.cli(*args)
                self.assertEqual(out.returncode, 2, out.stderr)
                self.assertNotIn("Traceback", out.stderr)
                self.assertEqual(len(out.stderr.strip().splitlines()), 1, out.stderr)
                if line is not None:
                    self.assertEqual(out.stderr.strip(), line)
        self.assertEqual(self.load(no_program).runs, [])  # nothing started

    def test_help_for_every_command(self):
        for command in ("sweep", "agent", "ls", "status", "best", "export", "report", "check"):
            with self.subTest(command=command):
                out = self.cli(command, "--help")
                self.assertEqual(out.returncode, 0)
                self.assertIn("usage: minisweep %s" % command, out.stdout)


if __name__ == "__main__":
    unittest.main()
