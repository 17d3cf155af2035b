"""Running a sweep's ``program`` / ``command`` as a child process, as ``wandb agent`` does.

The child's command line is the sweep's ``command`` (default ``${env}
${interpreter} ${program} ${args}``) with W&B's macros expanded
(:mod:`.macros`).  The child reports metrics either through the W&B API —
``import wandb`` gets minisweep's stand-in (:mod:`minisweep.wandb`) from a shim directory the
agent puts first on the child's ``PYTHONPATH``, and W&B's agent variables
(``WANDB_SWEEP_ID``, ``WANDB_RUN_ID``, ``WANDB_SWEEP_PARAM_PATH``, ...) are set —
or with ``minisweep.init()`` / ``minisweep.log()`` (the agent hands it the run
through environment variables, so the same script also runs standalone); its
rows, summary, config changes, name, tags and ``finish(exit_code)`` come back
through the run's channel file (:mod:`minisweep.session`).  Or — in any language —
by printing its metrics in any of the layouts :mod:`.outputmetrics` reads
(``loss=0.23``, Keras' progress bar, a dict, a table, ...), for the names the
sweep declares.  A name the child reports through ``log()`` is not also taken
from its output, so a value logged and printed counts once.  The relay that
copies the child's output can never leave the child blocked on a full pipe: it
keeps draining when the terminal goes away (``minisweep agent ID | head -1``)
or cannot encode a character, and a store error while recording fails the run
with its reason once the child ends.  The exit status decides
``finished`` (0) or ``failed``.  The child gets its own process group; a stop
(hyperband, ``--stop``/``--cancel``, Ctrl-C, SIGTERM or SIGHUP to the agent)
sends SIGTERM to the group, then SIGKILL after a grace period.  When the
child exits, whatever it left running in its group (a background process, a
data loader) is killed too, so nothing of one run outlives it; so is the
child itself if the agent's own loop fails.
"""

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from typing import Any, Dict, List, Optional, Sequence

from .bundle import child_pythonpath
from .errors import ChildFailed, ConfigError
from .jsonvalues import decode_value
from .macros import DEFAULT_COMMAND, expand_command, wandb_param_yaml
from .outputmetrics import MetricReader, check_pattern
from .session import EVENTS, ActiveRun, RunStopped, apply_event, current_run
from .sharedfs import make_dirs
from .tensorboard import Watcher

__all__ = ["CommandFunction", "ChildFailed", "parse_metric_line", "METRIC_PATTERN", "ENV_RUN", "ENV_CONFIG",
           "ENV_LOG", "ENV_RUN_DIR"]

#: Environment variables through which the agent hands a child its run.
ENV_RUN = "MINISWEEP_RUN_ID"
ENV_CONFIG = "MINISWEEP_RUN_CONFIG"      # the config as JSON
ENV_LOG = "MINISWEEP_RUN_LOG"            # a file the child appends its logged rows to (JSON lines)
ENV_SWEEP = "MINISWEEP_SWEEP_ID"
ENV_PROJECT = "MINISWEEP_PROJECT"
ENV_RUN_DIR = "MINISWEEP_RUN_DIR"        # the run's own directory: TensorBoard event files written here are read


#: ``name=value`` or ``name: value`` alone on a line, value a number (the default metric pattern).
METRIC_PATTERN = r"^\s*(?P<name>[A-Za-z_][\w./-]*)\s*[:=]\s*(?P<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf|nan)\s*$"

def parse_metric_line(line: str, pattern: Any = METRIC_PATTERN) -> Optional[Dict[str, Any]]:
    """``{"loss": 0.23}`` for a line such as ``loss=0.23`` or ``loss: 0.23``; ``None`` otherwise.

    >>> parse_metric_line("loss=0.23"), parse_metric_line("  val/acc: 91 "), parse_metric_line("epoch 3 done")
    ({'loss': 0.23}, {'val/acc': 91}, None)
    """
    if isinstance(pattern, str):
        pattern = re.compile(pattern)
    m = pattern.match(line.rstrip("\r\n"))
    if not m:
        return None
    text = m.group("value")
    try:
        value: Any = int(text)
    except ValueError:
        value = float(text)
    return {m.group("name"): value}


def _exited(proc: Any) -> bool:
    """Whether the child has exited, without reaping it where POSIX allows (``waitid`` with ``WNOWAIT``).

    An exited but unreaped child keeps its process id, and with it its process
    group's id, reserved: killing the group afterwards can only reach the
    program's own leftovers, never a newcomer that was given a recycled id.
    """
    waitid = getattr(os, "waitid", None)
    if waitid is None or proc.returncode is not None:
        return proc.poll() is not None
    try:
        return waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # reaped already (by proc.poll elsewhere)
        return True
    except OSError:
        return proc.poll() is not None


def _tail_lines(path: str, limit: int = 20) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 8192))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-limit:])


class CommandFunction:
    """What the agent calls for each run when the sweep runs a program instead of a function.

    Called with no argument inside the agent's run thread: it finds the run
    (:func:`~.session.current_run`), starts the child, relays its output and
    metrics, stops it when asked, and raises when it failed or was stopped.

    Args:
        sweep_path: the sweep's directory; each run's files go to ``files/<run id>/``
            (``output.log``, ``config.json``, ``rows.jsonl``).
        command, program: the sweep config's ``command`` and ``program``.
        sweep_id, project: handed to the child.
        echo: a stream to copy the child's output to (``None``: keep it in the log file only).
        metric_pattern: a regular expression (groups ``name`` and ``value``) that replaces the
            built-in output layouts; checked here (:func:`~.outputmetrics.check_pattern`).
        metrics: the names read from the output (the sweep's metric and ``--metrics``).
        every_metric: read every numeric name instead (``--all-metrics``).
        tensorboard: more directories whose TensorBoard event files are the run's (``--tensorboard``);
            ``{run_id}`` in one is the run's id; without it, only files that appear during the run count.
            The run's own directory (``$MINISWEEP_RUN_DIR``) is always watched.
        entity: the sweep's entity, handed to the child as ``WANDB_ENTITY``.
        wandb_shim: serve ``import wandb`` in the child from :mod:`minisweep.wandb`
            (see :mod:`minisweep.wandb._install`).
        kill_delay: seconds between SIGTERM and SIGKILL when a run is stopped.
        poll: seconds between looks at the child.
    """

    def __init__(self, sweep_path: str, command: Optional[Sequence[Any]], program: Optional[str], *,
                 sweep_id: str, project: str, echo: Any = None, metric_pattern: Optional[str] = None,
                 metrics: Sequence[str] = (), every_metric: bool = False, tensorboard: Sequence[str] = (),
                 kill_delay: float = 5.0, poll: float = 0.05, entity: Optional[str] = None,
                 wandb_shim: bool = True) -> None:
        self.sweep_path = sweep_path
        self.command = list(command) if command else list(DEFAULT_COMMAND)
        self.program = program
        self.sweep_id = sweep_id
        self.project = project
        self.echo = echo
        self.pattern = check_pattern(metric_pattern) if metric_pattern else None
        self.metrics = [str(m) for m in metrics]
        self.every_metric = bool(every_metric)
        self.tensorboard = [str(d) for d in tensorboard]
        self.kill_delay = kill_delay
        self.poll = poll
        self._echo_lock = threading.Lock()
        self.entity = entity
        self.wandb_shim = wandb_shim
        self._shim: Optional[str] = None

    def check(self) -> None:
        """Refuse a command that cannot start (no program where one is needed, a missing script)."""
        texts = [str(c) for c in self.command]
        if "${program}" in texts and not self.program:
            raise ConfigError("the sweep's command uses ${program} but the config has no 'program'",
                              key_path="program")
        if ("${interpreter}" in texts and "${program}" in texts
                and texts.index("${program}") == texts.index("${interpreter}") + 1
                and not os.path.isfile(self.program or "")):
            raise ConfigError("program %r not found (relative to %s)" % (self.program, os.getcwd()),
                              key_path="program")

    def __call__(self) -> None:
        active = current_run()
        if active is None:  # pragma: no cover - the agent always binds one
            raise RuntimeError("CommandFunction called outside a run")
        files = make_dirs(self.sweep_path, "files", active.id)  # never through a symlink (sharedfs)
        config = active.config.as_dict()
        json_file = os.path.join(files, "config.json")
        with open(json_file, "w", encoding="utf-8") as fh:
            json.dump(config, fh)
        rows_path = os.path.join(files, "rows.jsonl")
        open(rows_path, "a").close()
        log_path = os.path.join(files, "output.log")
        argv = expand_command(self.command, program=self.program, config=config, json_file=json_file)
        env = dict(os.environ)
        env.update({ENV_RUN: active.id, ENV_CONFIG: json.dumps(config), ENV_LOG: rows_path,
                    ENV_SWEEP: self.sweep_id, ENV_PROJECT: self.project, ENV_RUN_DIR: os.path.abspath(files),
                    "PYTHONUNBUFFERED": "1"})
        env.update(self.wandb_environment(active.id, config, files))
        pythonpath = child_pythonpath(env.get("PYTHONPATH"))  # a one-file copy: the child imports from it
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        posix = os.name == "posix"
        watchers = self.watchers(files, active.id)  # before the start: files already there are not this run's
        with open(log_path, "ab") as log:
            log.write(("$ %s\n" % " ".join(argv)).encode("utf-8"))
            log.flush()
            try:
                proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                        start_new_session=posix)
            except OSError as exc:
                raise ChildFailed("cannot start %s: %s" % (argv[0] if argv else "the command",
                                                           exc.strerror or exc)) from None
            sources = _Sources(active, rows_path, watchers)
            relay = _Relay(self, proc, log, sources)
            reader = threading.Thread(target=relay.run, name="minisweep-relay-%s" % active.id, daemon=True)
            reader.start()
            stop_sent: Optional[float] = None
            killed = False
            try:
                while not _exited(proc):
                    time.sleep(self.poll)
                    sources.poll()
                    if active.should_stop:
                        now = time.monotonic()
                        if stop_sent is None:
                            stop_sent = now
                            self._signal(proc, signal.SIGTERM if posix else None)
                        elif not killed and now - stop_sent >= self.kill_delay:
                            killed = True
                            self._signal(proc, signal.SIGKILL if posix else None)
            except BaseException:  # an error here (or the agent told to go) must not leave the program running
                self._stop(proc, posix)
                raise
            finally:
                # The program has exited (or been stopped): what it left in its process group goes with it,
                # before its output can be mistaken for anyone else's; then it is reaped.
                self._signal(proc, signal.SIGKILL if posix else None)
                proc.wait()
                reader.join(5)
        sources.poll(final=True)
        failure = relay.failure or sources.failure
        if failure is not None:  # what the program reported could not be recorded: the run fails with why
            raise ChildFailed("%s; the program exited with status %s" % (failure, proc.returncode))
        if stop_sent is not None:
            raise RunStopped(active.id, active.stop_reason or "stopped")
        if proc.returncode != 0:
            raise ChildFailed("%s exited with status %s; its last output:\n%s" % (
                argv[0] if argv else "the command", proc.returncode, _tail_lines(log_path)))

    def wandb_environment(self, run_id: str, config: Dict[str, Any], files: str) -> Dict[str, str]:
        """What W&B's agent tells a run through the environment, and the ``import wandb`` shim.

        ``WANDB_SWEEP_ID``, ``WANDB_RUN_ID``, ``WANDB_SWEEP_PARAM_PATH`` (the
        run's config in W&B's file format, ``config-<run id>.yaml`` in the run's
        folder), ``WANDB_PROJECT``, ``WANDB_ENTITY`` (when the sweep has one),
        ``WANDB_DIR`` (the agent's working directory unless already set, as W&B
        does) and ``WANDB_MODE=offline`` (so that nothing is ever sent, even by
        a real wandb); and the shim directory first on ``PYTHONPATH``.
        """
        param_path = os.path.join(files, "config-%s.yaml" % run_id)
        with open(param_path, "w", encoding="utf-8") as fh:
            fh.write(wandb_param_yaml(config))
        env = {"WANDB_SWEEP_ID": self.sweep_id, "WANDB_RUN_ID": run_id, "WANDB_SWEEP_PARAM_PATH": param_path,
               "WANDB_PROJECT": self.project, "WANDB_MODE": "offline",
               "WANDB_DIR": os.environ.get("WANDB_DIR") or os.getcwd()}
        if self.entity:
            env["WANDB_ENTITY"] = self.entity
        if self.wandb_shim:
            shim = self.shim_path()
            old = os.environ.get("PYTHONPATH")
            env["PYTHONPATH"] = shim + (os.pathsep + old if old else "")
        return env

    def shim_path(self) -> str:
        """The directory that serves ``import wandb`` to children (made once per agent, removed at exit)."""
        with self._echo_lock:
            if self._shim is None:
                from .wandb._install import shim_directory  # lazy: runs minisweep.wandb (all of W&B's client)

                self._shim = shim_directory()
                atexit.register(shutil.rmtree, self._shim, True)
            return self._shim

    @staticmethod
    def _signal(proc: Any, sig: Any) -> None:
        """Send ``sig`` to the child's process group (``None``: terminate the child; Windows)."""
        try:
            if sig is None:
                if proc.returncode is None:
                    proc.terminate()
            else:
                os.killpg(proc.pid, sig)
        except (OSError, ProcessLookupError):
            pass

    def watchers(self, run_dir: str, run_id: str) -> List[Watcher]:
        """The :class:`~.tensorboard.Watcher` objects that follow one run's event files."""
        own = [run_dir] + [d.replace("{run_id}", run_id) for d in self.tensorboard if "{run_id}" in d]
        shared = [d for d in self.tensorboard if "{run_id}" not in d]
        return [Watcher(own)] + ([Watcher(shared, only_new=True)] if shared else [])

    def _stop(self, proc: Any, posix: bool) -> None:
        """SIGTERM to the child's group, and up to ``kill_delay`` seconds for the child to exit."""
        self._signal(proc, signal.SIGTERM if posix else None)
        deadline = time.monotonic() + self.kill_delay
        while not _exited(proc) and time.monotonic() < deadline:
            time.sleep(min(self.poll, 0.05))

    def reader(self) -> MetricReader:
        """A fresh :class:`~.outputmetrics.MetricReader` for one run's output."""
        return MetricReader(self.metrics, every=self.every_metric, pattern=self.pattern)


class _Sources:
    """Where one run's rows come from, merged: the child's ``log()`` rows file, and its output.

    A name the child has reported through ``log()`` is not taken from its output
    or its event files any more (the rows file is read first, so a value logged
    and then printed counts once).  TensorBoard event files (``watchers``) are
    read in a thread of their own, so a large one never delays a stop.
    Thread-safe: the relay thread, that thread and the polling loop all call it.
    """

    def __init__(self, active: ActiveRun, rows_path: str, watchers: Sequence[Watcher] = ()) -> None:
        self.active = active
        self.rows_path = rows_path
        self.watchers = list(watchers)
        self.at = 0
        self.logged: set = set()
        self.lock = threading.Lock()
        self.failure: Optional[str] = None
        self._done = threading.Event()
        self._thread: Optional[threading.Thread] = None
        if self.watchers:  # event files are read in a thread of their own: a big one must not delay a stop
            self._thread = threading.Thread(target=self._follow, name="minisweep-tensorboard-%s" % active.id,
                                            daemon=True)
            self._thread.start()

    def poll(self, final: bool = False) -> None:
        """Record what the child logged; at the end (``final``) also the last TensorBoard scalars."""
        with self.lock:
            self._read_rows()
        if final:
            self._done.set()
            if self._thread is not None:
                self._thread.join(30)
            self._read_events(force=True)

    def stop_following(self) -> None:
        """No more looks at the event files from the thread (the relay calls it when the output ends)."""
        self._done.set()

    def _follow(self) -> None:
        while not self._done.wait(0.2):
            self._read_events(force=False)

    def _read_events(self, force: bool) -> None:
        """Record the TensorBoard scalars written since the last look (each watcher looks once a second)."""
        for watcher in self.watchers:
            try:
                rows = watcher.poll(force=force)
            except Exception:  # a directory that vanished while it was walked, a bug: look again later
                continue
            with self.lock:
                for row in rows:
                    row = {k: v for k, v in row.items() if k not in self.logged}
                    if any(k != "_step" for k in row):
                        try:
                            self.active.record(row)
                        except Exception as exc:  # the store failed: the run fails with this reason
                            if self.failure is None:
                                self.failure = "recording a TensorBoard scalar failed: %s" % exc
                            return

    def printed(self, row: Dict[str, Any]) -> None:
        """Record a row read from the output, without the names the child logs itself."""
        with self.lock:
            self._read_rows()
            row = {k: v for k, v in row.items() if k not in self.logged}
            if any(k != "_step" for k in row):
                self.active.record(row)

    def _read_rows(self) -> None:
        """Record the complete rows the child appended to its rows file since the last look."""
        try:
            with open(self.rows_path, "rb") as fh:
                fh.seek(self.at)
                data = fh.read()
        except OSError:
            return
        end = data.rfind(b"\n")
        if end < 0:
            return
        self.at += end + 1
        for line in data[: end + 1].splitlines():
            try:
                row = decode_value(json.loads(line.decode("utf-8")))
            except ValueError:
                continue
            if isinstance(row, dict):
                self.logged.update(k for k in row if k != "_step")
                self.active.record(row)
            elif isinstance(row, list) and len(row) == 2 and row[0] in EVENTS:
                apply_event(self.active, row[0], row[1])


class _Relay:
    """Copies a child's output to its log file and the terminal, and records the metrics in it.

    It reads the pipe in chunks (never a whole line at once: a line may be
    300 MB long) until the child closes it, whatever happens on the way: a
    terminal that went away or cannot encode the output stops the echo, a
    log file that cannot be written stops the copy, a line the reader trips on
    is skipped.  A row that cannot be recorded (the store failed) sets
    ``failure``; the run then fails with that reason when the child ends.
    """

    CHUNK = 65536

    def __init__(self, owner: CommandFunction, proc: Any, log: Any, sources: _Sources) -> None:
        self.owner = owner
        self.proc = proc
        self.log = log
        self.sources = sources
        self.reader = owner.reader()
        self.failure: Optional[str] = None
        self.notes: List[str] = []

    def run(self) -> None:
        pipe = self.proc.stdout
        try:
            read = getattr(pipe, "read1", None) or pipe.read
            while True:
                try:
                    chunk = read(self.CHUNK)
                except (OSError, ValueError) as exc:
                    self._note("reading the output failed: %s" % exc)
                    break
                if not chunk:
                    break
                self._handle(chunk)
            self._rows(self.reader.close)
        except BaseException as exc:  # pragma: no cover - every step above is guarded; drain regardless
            self._fail("the output relay failed: %s: %s" % (type(exc).__name__, exc))
            self._drain(pipe)
        finally:
            self.sources.stop_following()  # whatever way the run ends, its event-file thread ends too
            try:
                pipe.close()
            except (OSError, ValueError):
                pass

    def _handle(self, chunk: bytes) -> None:
        if self.log is not None:
            try:
                self.log.write(chunk)
                self.log.flush()
            except (OSError, ValueError) as exc:
                self.log = None
                self._note("cannot write output.log any more: %s" % exc)
        if self.owner.echo is not None:
            self._echo(chunk)
        self._rows(lambda: self.reader.feed(chunk))

    def _rows(self, read: Any) -> None:
        try:
            rows = read()
        except Exception as exc:  # a reader bug must not stop the copying: skip what it tripped on
            self._note("could not read metrics from the output: %s: %s" % (type(exc).__name__, exc))
            return
        if self.failure is not None:
            return
        for row in rows:
            try:
                self.sources.printed(row)
            except Exception as exc:  # the store failed: the run loses what it reported
                self._fail("recording a metric from the output failed: %s" % exc)
                return

    def _echo(self, chunk: bytes) -> None:
        owner = self.owner
        stream = owner.echo
        with owner._echo_lock:
            if owner.echo is None:
                return
            try:
                buffer = getattr(stream, "buffer", None)
                if buffer is not None:
                    stream.flush()
                    buffer.write(chunk)
                    buffer.flush()
                else:
                    text = chunk.decode("utf-8", "replace")
                    try:
                        stream.write(text)
                    except UnicodeEncodeError:
                        encoding = getattr(stream, "encoding", None) or "ascii"
                        stream.write(text.encode(encoding, "replace").decode(encoding, "replace"))
                    stream.flush()
            except (OSError, ValueError) as exc:  # a closed pipe (| head -1), a closed stream
                owner.echo = None
                self._note("stopped copying the output to the terminal: %s" % (exc.strerror if isinstance(
                    exc, OSError) and exc.strerror else exc))
                _silence(stream)

    def _note(self, text: str) -> None:
        if text in self.notes:
            return
        self.notes.append(text)
        if self.log is not None:
            try:
                self.log.write(("\n[minisweep] %s\n" % text).encode("utf-8"))
                self.log.flush()
            except (OSError, ValueError):
                self.log = None

    def _fail(self, reason: str) -> None:
        if self.failure is None:
            self.failure = reason
        self._note(reason)

    @staticmethod
    def _drain(pipe: Any) -> None:
        try:
            while pipe.read(65536):
                pass
        except (OSError, ValueError):
            pass


def _silence(stream: Any) -> None:
    """After a broken pipe, point the stream's descriptor at /dev/null, so later writes and the
    interpreter's final flush do not fail again (the advice in Python's signal module docs)."""
    try:
        fd = stream.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, fd)
        finally:
            os.close(null)
    except (AttributeError, OSError, ValueError):
        pass
