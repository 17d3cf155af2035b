"""Fuzzing the config path: every input either reads or raises ConfigError.

Three harnesses, each fed deterministic pseudo-random cases:

- *text*: real sweep files (the shared corpus, else built-in seeds, plus
  ``examples/``) mutated the ways files really break and the ways parsers
  really fail: flipped and inserted characters (the YAML indicators, tabs,
  ``\\r``, NUL, a BOM, non-BMP characters), lines duplicated, deleted,
  swapped and re-indented, truncation, two files spliced, very long lines,
  deep nesting, huge numbers and alias bombs.  Each mutant goes through
  ``yamlreader.load`` (with positions), ``read_config`` (as text and as bytes)
  and ``parse_config``.
- *structured*: valid configs with a random Python value (nested containers,
  NaN and infinities, huge and tiny numbers, keys that are ints, tuples,
  None or bools) put at a random key path, given to ``parse_config`` as a
  dict and as YAML text.
- every config ``parse_config`` accepts must also give ``next_config(cfg, [],
  seed=0)`` a dict or None: the validator must not pass a config the search
  layer then crashes on.

The property: a call returns (a dict, a SweepConfig) or raises ConfigError;
anything else, or any single call taking more than 2 s, fails the test with
the case's seed and index and the input that reproduces it
(``reproduce(kind, seed, index)`` rebuilds a case).

The suite runs a few thousand cases from fixed seeds.  ``MINISWEEP_FUZZ=1``
runs the heavy version: ``MINISWEEP_FUZZ_CASES`` cases per harness (default
200,000), or as many as fit in ``MINISWEEP_FUZZ_SECONDS``; the seed comes
from ``MINISWEEP_FUZZ_SEED`` (default: a fresh one, printed).
"""

import copy
import json
import math
import os
import random
import reprlib
import sys
import time
import traceback
import unittest
import warnings
from pathlib import Path

from minisweep import ConfigError, MinisweepWarning, next_config, parse_config, read_config
from minisweep.sweepconfig import SweepConfig
from minisweep.yamlreader import load
from tests.support import CORPUS

ROOT = Path(__file__).resolve().parents[1]

BUDGET = 10.0  # seconds any single call may take: a hang detector (slow cases take ~0.3 s), not a speed test

HEAVY = os.environ.get("MINISWEEP_FUZZ") == "1"

# Used when the shared corpus is absent, so the fuzz test never skips.
BUILTIN_SEEDS = {
    "builtin_random.yaml": """\
program: train.py
method: random
metric:
  name: val_loss
  goal: minimize
parameters:
  lr:
    distribution: log_uniform_values
    min: 1e-5
    max: 0.1
  batch_size:
    values: [16, 32, 64]
  dropout: {min: 0.0, max: 0.5}
  opt:
    parameters:
      name: {values: [adam, sgd]}
      momentum: {value: 0.9}
command:
- ${env}
- python
- ${program}
- ${args}
run_cap: 20
""",
    "builtin_grid.yaml": """\
method: grid
parameters:
  a: {values: [1, 2, 3]}
  b:
    distribution: int_uniform
    min: 1
    max: 4
  c:
    distribution: q_uniform
    min: 0
    max: 1
    q: 0.25
  d: {value: x}
""",
    "builtin_bayes.yaml": """\
%YAML 1.1
---
base: &base {min: 0.0, max: 1.0}
method: bayes
metric: {name: acc, goal: maximize, target: 0.99}
early_terminate:
  type: hyperband
  min_iter: 3
  eta: 2
parameters:
  x: *base
  y:
    <<: *base
    max: 2.0
  z:
    distribution: normal
    mu: 0
    sigma: 2
  w:
    distribution: categorical_w_probabilities
    values: [a, b]
    probabilities: [0.25, 0.75]
  s: {values: ["quoted", 'single', |
      literal
    ]}
description: >-
  folded
  text
""",
    "builtin.json": json.dumps({
        "method": "random",
        "metric": {"name": "loss"},
        "parameters": {"lr": {"min": 0.001, "max": 0.1}, "n": {"values": [1, 2]},
                       "b": {"distribution": "beta", "a": 2, "b": 3}},
    }, indent=2),
}


def seed_texts():
    """(name, text) of every seed file: the corpus (or the built-ins) and examples/."""
    seeds = []
    if CORPUS.is_dir():
        for path in sorted(CORPUS.iterdir()):
            if path.suffix.lower() in (".yaml", ".yml", ".json") and not path.name.endswith(".expected.json"):
                seeds.append((path.name, path.read_bytes().decode("utf-8", "replace")))
    if not seeds:
        seeds = sorted(BUILTIN_SEEDS.items())
    for path in sorted((ROOT / "examples").glob("*")):
        if path.suffix.lower() in (".yaml", ".yml", ".json"):
            seeds.append(("examples/" + path.name, path.read_text(encoding="utf-8")))
    return seeds


SEEDS = seed_texts()


def _valid_dicts():
    """The seeds that parse_config accepts, as dicts: the base of structured fuzzing."""
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, text in SEEDS + sorted(BUILTIN_SEEDS.items()):
            try:
                raw = read_config(text)
                parse_config(raw)
            except ConfigError:
                continue
            out.append(raw)
    return out


VALID = _valid_dicts()

# --------------------------------------------------------------------------- text mutators

SIGNIFICANT = [":", ": ", "-", "- ", "[", "]", "{", "}", ",", "&a", "*a", "&", "*", "!", "!!", "!!str ",
               "!!int ", "!!map ", "|", ">", "|-", ">+2", "#", " #", "'", '"', "\\", "?", "? ", "%",
               "@", "`", "<<: ", "---", "...", "\t", "\r", "\r\n", "\n", "\0", "\x85", "\u2028",
               "\ufeff", "\U0001f600", "\ud800", "\x7f", "\x1b", " ", "  ", "~", "=", ".nan", "-.inf",
               "0x", "0b", "1:30", "2001-12-14", "yes", "\\x", "\\u", "%TAG", "%YAML 2.0\n"]


def _pos(rng, text):
    return rng.randint(0, len(text))


def m_flip(rng, text, other):
    if not text:
        return chr(rng.randint(0, 0x2FF))
    i = rng.randrange(len(text))
    r = rng.random()
    if r < 0.6:
        ch = chr(rng.randint(0, 0x7F))
    elif r < 0.9:
        ch = chr(ord(text[i]) ^ (1 << rng.randrange(8)))
    else:
        ch = chr(rng.choice([rng.randint(0x80, 0xD7FF), rng.randint(0xE000, 0x10FFFF)]))
    return text[:i] + ch + text[i + 1:]


def m_insert(rng, text, other):
    i = _pos(rng, text)
    return text[:i] + rng.choice(SIGNIFICANT) * rng.choice((1, 1, 1, 2, 3)) + text[i:]


def m_delete(rng, text, other):
    i = _pos(rng, text)
    return text[:i] + text[i + rng.randint(1, 8):]


def _lines(text):
    return text.split("\n")


def m_line_dup(rng, text, other):
    lines = _lines(text)
    i = rng.randrange(len(lines))
    lines.insert(i, lines[i])
    return "\n".join(lines)


def m_line_delete(rng, text, other):
    lines = _lines(text)
    del lines[rng.randrange(len(lines))]
    return "\n".join(lines)


def m_line_swap(rng, text, other):
    lines = _lines(text)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def m_indent(rng, text, other):
    lines = _lines(text)
    i = rng.randrange(len(lines))
    shift = rng.choice((-4, -2, -1, 1, 2, 4))
    if shift > 0:
        lines[i] = rng.choice((" ", " ", "\t")) * shift + lines[i]
    else:
        lines[i] = lines[i][min(-shift, len(lines[i]) - len(lines[i].lstrip(" "))):]
    return "\n".join(lines)


def m_truncate(rng, text, other):
    return text[:_pos(rng, text)]


def m_splice(rng, text, other):
    return text[:_pos(rng, text)] + other[_pos(rng, other):]


def m_long_line(rng, text, other):
    i = _pos(rng, text)
    piece = rng.choice(("a", "x ", "1", "'", "-", "[", "a: ", "#", " ", "ab" * 7, "\\n"))
    return text[:i] + piece * rng.randint(500, 20000) + text[i:]


def m_deep(rng, text, other):
    i = _pos(rng, text)
    n = rng.choice((50, 99, 100, 101, 150, 1000, 5000))
    opener, closer = rng.choice((("[", "]"), ("{", "}"), ("{a: ", "}"), ("[{", "}]"), ("- ", ""),
                                 ("a:\n ", "")))
    if opener in ("- ", "a:\n "):  # block nesting: each level indented one more (quadratic text)
        n = min(n, 300)
        body = "".join(" " * k + opener.strip() + ("\n" if opener == "a:\n " else " ") for k in range(n))
        return text[:i] + "\n" + body + "x\n" + text[i:]
    closing = closer * (n if rng.random() < 0.8 else rng.randrange(n))
    return text[:i] + opener * n + "1" + closing + text[i:]


def m_huge_number(rng, text, other):
    i = _pos(rng, text)
    digits = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(rng.choice((20, 400, 4299, 4300, 4301, 10000))))
    form = rng.choice(("%s", "-%s", "%s.5", "0.%s", "1.0e+%s", "1e%s", "0x%s", "0%s", "1:%s", "%s:59",
                       "\"%s\"", "!!int %s", "!!float %s", ".%s", "1_%s"))
    return text[:i] + (form % digits) + text[i:]


def m_aliases(rng, text, other):
    """An alias bomb: each level lists the previous one several times."""
    levels, width = rng.choice(((9, 9), (20, 2), (30, 2), (12, 10), (6, 50)))
    lines = ["a0: &a0 [x, y]"]
    for k in range(1, levels):
        lines.append("a%d: &a%d [%s]" % (k, k, ", ".join("*a%d" % (k - 1) for _ in range(width))))
    bomb = "\n".join(lines) + "\n"
    if rng.random() < 0.5:
        return bomb + text
    return bomb + "parameters:\n  x:\n    values: *a%d\n" % (levels - 1) + "method: grid\n"


def m_numbers(rng, text, other):
    """Replace a number in the text with an odd one."""
    import re

    found = list(re.finditer(r"(?<![\w.])[0-9][0-9.e+-]*", text))
    if not found:
        return text
    m = rng.choice(found)
    odd = rng.choice((".nan", ".inf", "-.inf", "0", "-0.0", "1e400", "1.0e+400", "-1.0e+400", "5e-324",
                      "4.9e-324", "1.0e-400", "0.0", "-1", "1e999999", "99999999999999999999999",
                      "0b", "0x", "1:99", "1:30", "0o17", "2001-13-45", "2001-02-29", "1_000", "'1'",
                      "1e-4", "true", "null", "[1, 2]", "{}", "[]", "1.0e+308", "1.7976931348623157e+308"))
    return text[:m.start()] + odd + text[m.end():]


MUTATORS = [m_flip, m_flip, m_insert, m_insert, m_insert, m_delete, m_line_dup, m_line_delete,
            m_line_swap, m_indent, m_indent, m_truncate, m_splice, m_long_line, m_deep, m_huge_number,
            m_aliases, m_numbers, m_numbers]


def text_case(seed, index):
    """The mutated text of case ``index``: one to four mutations of a seed file."""
    rng = random.Random("text:%s:%d" % (seed, index))
    text = rng.choice(SEEDS)[1]
    other = rng.choice(SEEDS)[1]
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        text = rng.choice(MUTATORS)(rng, text, other)
    return text


# --------------------------------------------------------------------------- structured values

ODD_STRINGS = ["", " ", "grid", "random", "bayes", "custom", "hyperband", "minimize", "maximize", "loss",
               "uniform", "int_uniform", "categorical", "q_uniform", "log_uniform", "log_uniform_values",
               "normal", "q_log_normal", "beta", "constant", "categorical_w_probabilities", "1e-4", "-1e-4",
               "1e400", "nan", "inf", "1_0", "0x10", "  3  ", "9" * 5000, "1." + "0" * 5000, "1e" + "9" * 30,
               "${program}", "\0", "\U0001f600", "\ud800", "a.b", "worst", "best", "latest", "false",
               "local", "cloud", "values", "parameters", "min", "max"]

ODD_NUMBERS = [0, 1, -1, 2, 3, 1000, 10 ** 18, -10 ** 18, 10 ** 400, -10 ** 400, 2 ** 63, 0.0, -0.0, 0.5,
               1.5, 1e-300, 5e-324, -5e-324, 1e300, 1.7976931348623157e308, -1.7976931348623157e308,
               float("nan"), float("inf"), float("-inf"), 709.0, 710.0, -745.0, 1e16, 0.1, 0.25]

KEYS = ["method", "parameters", "metric", "early_terminate", "run_cap", "command", "program", "name",
        "description", "project", "entity", "controller", "values", "value", "min", "max", "q", "mu",
        "sigma", "a", "b", "probabilities", "distribution", "goal", "target", "impute",
        "impute_while_running", "type", "min_iter", "max_iter", "s", "eta", "strict", "x", "lr"]


def random_key(rng):
    r = rng.random()
    if r < 0.7:
        return rng.choice(KEYS)
    return rng.choice([0, 1, -1, 1.5, float("nan"), True, False, None, (), (1, "a"), ("x",),
                       "", "0", "\0", "a" * 300, 10 ** 30])


def random_value(rng, depth=0):
    r = rng.random()
    if depth > 4 or r < 0.35:
        return rng.choice(ODD_NUMBERS + [True, False, None])
    if r < 0.6:
        return rng.choice(ODD_STRINGS)
    if r < 0.8:
        return [random_value(rng, depth + 1) for _ in range(rng.choice((0, 1, 2, 3, 5)))]
    if r < 0.97:
        return {random_key(rng): random_value(rng, depth + 1) for _ in range(rng.choice((0, 1, 2, 3)))}
    r = rng.random()
    if r < 0.5:
        return rng.choice([(1, 2), {1, 2}, b"bytes", 1j, object(), frozenset(), range(3), 10 ** 5000,
                           -10 ** 4400, {10 ** 5000: 1}])
    if r < 0.7:  # deep nesting
        value = rng.choice(([], {}, 1))
        for _ in range(rng.choice((90, 99, 100, 101, 500, 3000))):
            value = [value] if rng.random() < 0.5 else {"k": value}
        return value
    if r < 0.85:  # a shared list, repeated to billions of values (an alias bomb without YAML)
        value = [1, 2]
        for _ in range(rng.choice((10, 25, 40))):
            value = [value, value, value]
        return value
    value = rng.choice(([], {}))  # a value that contains itself
    if isinstance(value, list):
        value.append(value)
    else:
        value["self"] = value
    return value


def random_distribution(rng):
    """A parameter spec of a random distribution with random (mostly sensible) keys."""
    from minisweep.distributions import DISTRIBUTIONS

    dist = rng.choice(sorted(DISTRIBUTIONS))
    spec = {"distribution": dist}
    for key in DISTRIBUTIONS[dist]:
        if rng.random() < 0.85:
            if key == "values":
                spec[key] = [random_value(rng, 3) for _ in range(rng.randint(1, 4))]
            elif key == "probabilities":
                spec[key] = [rng.choice(ODD_NUMBERS) for _ in range(rng.randint(1, 4))]
            else:
                spec[key] = rng.choice(ODD_NUMBERS + ["1e-4", "1e400", "1e3"])
    if rng.random() < 0.3:
        del spec["distribution"]
    return spec


def _containers(value, path=(), seen=None):
    """Every (path, dict-or-list) in a value, the value itself first; each once, at most 12 deep."""
    seen = set() if seen is None else seen
    seen.add(id(value))
    out = [(path, value)]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        if isinstance(child, (dict, list)) and id(child) not in seen and len(path) < 12:
            out.extend(_containers(child, path + (key,), seen))
    return out


def structured_case(seed, index):
    """A valid config with one to three random changes at random key paths."""
    rng = random.Random("struct:%s:%d" % (seed, index))
    cfg = copy.deepcopy(rng.choice(VALID))
    for _ in range(rng.choice((1, 1, 2, 3))):
        path, node = rng.choice(_containers(cfg))
        r = rng.random()
        if isinstance(node, list):
            if node and r < 0.7:
                node[rng.randrange(len(node))] = random_value(rng)
            else:
                node.append(random_value(rng))
        elif r < 0.15 and node:
            del node[rng.choice(list(node))]
        elif r < 0.35 and path[:1] == ("parameters",) and len(path) % 2 == 1:
            node[rng.choice(["x", "lr", "nested", "p"])] = random_distribution(rng)
        elif r < 0.45 and path[:1] == ("parameters",) and len(path) % 2 == 1:
            node[rng.choice(["n", "x"])] = {"parameters": {"a": random_distribution(rng)}}
        elif r < 0.7 and node:
            node[rng.choice(list(node))] = random_value(rng)
        else:
            node[random_key(rng)] = random_value(rng)
    return cfg


def to_yaml(value, rng, indent=0, seen=None):
    """YAML text for a random value: block style for mappings at random, else flow."""
    seen = set() if seen is None else seen
    if isinstance(value, dict) and value and rng.random() < 0.6 and id(value) not in seen:
        seen.add(id(value))
        pad = " " * indent
        lines = []
        for key, child in value.items():
            head = pad + _flow(key, seen) + ":"
            if isinstance(child, dict) and child:
                lines.append(head + "\n" + to_yaml(child, rng, indent + 2, seen))
            else:
                lines.append(head + " " + _flow(child, seen))
        return "\n".join(lines)
    return " " * indent + _flow(value, seen)


def _flow(value, seen=None, depth=0):
    """One value in flow style; a list or mapping met again (shared or recursive), or
    nested past 150 levels, becomes [] (the text fuzzer covers those in YAML)."""
    seen = set() if seen is None else seen
    if isinstance(value, (dict, list, tuple, set, frozenset, range)):
        if id(value) in seen or depth > 150:
            return "[]"
        seen.add(id(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, int):
        return str(value) if abs(value) < 10 ** 4000 else "9" * 5000
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ", ".join("%s: %s" % (_flow(k, seen, depth + 1), _flow(v, seen, depth + 1))
                               for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple, set, frozenset, range)):
        return "[" + ", ".join(_flow(v, seen, depth + 1) for v in value) + "]"
    return json.dumps(repr(value))


# --------------------------------------------------------------------------- the property


class Failure(Exception):
    """A call broke the property: it raised something other than ConfigError, or took too long."""


class _Repr(reprlib.Repr):
    """A bounded repr: safe for shared, recursive and huge values."""

    def __init__(self):
        super().__init__()
        self.maxlevel, self.maxdict, self.maxlist, self.maxtuple = 12, 40, 40, 40
        self.maxstring, self.maxother = 3000, 200

    def repr_int(self, x, level):
        return repr(x) if abs(x) < 10 ** 1000 else "<an integer of %d bits>" % x.bit_length()


def _short(value, limit=3000):
    text = _Repr().repr(value)
    return text if len(text) <= limit else text[:limit] + "... (%d characters)" % len(text)


def timed(what, func, arg, case, shown=None):
    """Call ``func(arg)`` and check the property; return its value or None on ConfigError.

    ``shown`` is the input to report, when it is not ``arg`` itself.
    """
    shown = arg if shown is None else shown
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            warnings.simplefilter("ignore", MinisweepWarning)
            value = func(arg)
    except ConfigError:
        value = None
    except Exception as exc:  # the property: nothing but ConfigError
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        raise Failure("%s %s raised %s: %s\n  at %s:%d in %s\n  input: %s" % (
            case, what, type(exc).__name__, _short(str(exc), 300), os.path.basename(tb.filename), tb.lineno,
            tb.name, _short(shown))) from exc
    spent = time.perf_counter() - start
    if spent > BUDGET:
        raise Failure("%s %s took %.1f s (budget %.0f s)\n  input: %s" % (case, what, spent, BUDGET, _short(shown)))
    return value


def check_parsed(cfg, case, source):
    """A config parse_config accepted must be one the search layer can run."""
    if not isinstance(cfg, SweepConfig):
        raise Failure("%s parse_config returned %r\n  input: %s" % (case, type(cfg), _short(source)))
    out = timed("next_config", lambda c: next_config(c, [], seed=0), cfg, case, source)
    if out is not None and not isinstance(out, dict):
        raise Failure("%s next_config returned %r\n  input: %s" % (case, type(out), _short(source)))


def run_text_case(seed, index):
    text = text_case(seed, index)
    case = "text case (seed %r, index %d):" % (seed, index)
    positions = {}
    timed("yamlreader.load", lambda t: load(t, positions=positions), text, case)
    raw = timed("read_config", read_config, text, case)
    if raw is not None and not isinstance(raw, dict):
        raise Failure("%s read_config returned %r\n  input: %s" % (case, type(raw), _short(text)))
    if index % 4 == 0:
        data = text.encode("utf-8", "surrogatepass")
        if index % 8 == 0 and data:  # bytes that need not be UTF-8
            i = random.Random(index).randrange(len(data))
            data = data[:i] + bytes([0xFF, 0xC3]) + data[i:]
        timed("read_config(bytes)", read_config, data, case)
    cfg = timed("parse_config", parse_config, text, case)
    if cfg is not None:
        check_parsed(cfg, case, text)


def run_structured_case(seed, index):
    raw = structured_case(seed, index)
    case = "structured case (seed %r, index %d):" % (seed, index)
    cfg = timed("parse_config", parse_config, raw, case)
    if cfg is not None:
        check_parsed(cfg, case, raw)
    text = to_yaml(raw, random.Random(index))
    cfg = timed("parse_config(yaml)", parse_config, text, case)
    if cfg is not None:
        check_parsed(cfg, case, text)


def reproduce(kind, seed, index):
    """The input of a failing case, for a debugger: ``reproduce("text", 1, 42)``."""
    return text_case(seed, index) if kind == "text" else structured_case(seed, index)


def fuzz(runner, seed, cases, seconds=None, max_failures=20):
    """Run cases; return (count, failure messages), one message per distinct place of failure."""
    failures = {}
    deadline = None if seconds is None else time.monotonic() + seconds
    count = 0
    for index in range(cases):
        if deadline is not None and time.monotonic() > deadline:
            break
        count += 1
        try:
            runner(seed, index)
        except Failure as exc:
            where = str(exc).split("\n")[:2]
            key = where[0].split(":", 1)[-1].split(" raised ")[-1].split(":")[0] + where[-1]
            if key not in failures and HEAVY:  # long runs: show it now, not at the end
                print("\n" + str(exc), file=sys.stderr, flush=True)
            failures.setdefault(key, str(exc))
            if len(failures) >= max_failures:
                break
    return count, list(failures.values())


class FuzzTest(unittest.TestCase):
    """Random and mutated inputs: ConfigError or success, never another exception, never a hang."""

    TEXT_CASES = 1200
    STRUCTURED_CASES = 1200

    def _run(self, runner, quick_cases, kind):
        if HEAVY:
            seed = os.environ.get("MINISWEEP_FUZZ_SEED") or str(random.SystemRandom().randrange(10 ** 9))
            seconds = os.environ.get("MINISWEEP_FUZZ_SECONDS")
            cases = int(os.environ.get("MINISWEEP_FUZZ_CASES", "200000"))
            start = time.monotonic()
            count, failures = fuzz(runner, seed, cases, float(seconds) if seconds else None)
            print("\nfuzz %s: seed %s, %d cases in %.0f s, %d distinct failures"
                  % (kind, seed, count, time.monotonic() - start, len(failures)), file=sys.stderr)
        else:
            count, failures = fuzz(runner, "quick", quick_cases, max_failures=5)
        self.assertFalse(failures, "\n\n".join(failures))

    def test_mutated_text(self):
        self._run(run_text_case, self.TEXT_CASES, "text")

    def test_structured_values(self):
        self._run(run_structured_case, self.STRUCTURED_CASES, "structured")

    def test_seeds_are_loaded(self):
        self.assertGreaterEqual(len(SEEDS), 2)
        self.assertTrue(VALID, "no seed config is valid, so structured fuzzing has no base")


class FoundByFuzzingTest(unittest.TestCase):
    """Each input here once escaped as another exception or a hang; now a ConfigError."""

    def refused(self, func, arg, *fragments):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with self.assertRaises(ConfigError) as caught:
                func(arg)
        self.assertLess(time.perf_counter() - start, BUDGET)
        for fragment in fragments:
            self.assertIn(fragment, str(caught.exception))
        return caught.exception

    def test_bytes_that_are_not_utf8(self):  # was UnicodeDecodeError
        self.refused(read_config, b"method: grid\nname: caf\xe9\n", "not UTF-8 text (byte 22)")

    def test_file_name_with_a_nul(self):  # was ValueError from open()
        self.refused(read_config, "sweep\0.yaml", "not a valid file name")

    def test_document_that_is_not_a_mapping(self):  # read_config returned the str
        self.refused(read_config, "c!!float 1.0e+308omm", "must be a mapping", "got a string")
        self.refused(read_config, "- a\n- b\n", "got a list")

    def test_yaml_alias_bomb(self):  # grid search then spent minutes and gigabytes in value_key
        lines = ["a0: &a0 [x, y]"] + ["a%d: &a%d [%s]" % (k, k, ", ".join(["*a%d" % (k - 1)] * 10))
                                      for k in range(1, 12)]
        text = "\n".join(lines) + "\nmethod: grid\nparameters: {x: {values: *a11}}\n"
        error = self.refused(load, text, "aliases expand the document to more than 100000 values")
        self.assertEqual(error.line, 6)  # the first alias past the limit
        self.refused(parse_config, text, "alias bomb")
        self.assertEqual(load("a: &a [1, 2]\nb: [*a, *a]\n"), {"a": [1, 2], "b": [[1, 2], [1, 2]]})

    def test_yaml_aliases_nesting_past_the_limit(self):  # deep values built from shallow text
        text = "a: &a " + "[" * 60 + "]" * 60 + "\nb: &b " + "[" * 60 + "*a" + "]" * 60 + "\n"
        self.refused(load, text, "alias '*a' nests collections more than 100 levels deep")

    def test_unhashable_distribution(self):  # was TypeError: unhashable type
        for dist in ([], ["uniform"], {"a": 1}):
            with self.subTest(dist=dist):
                self.refused(parse_config, {"method": "random", "parameters": {
                    "x": {"distribution": dist, "min": 0, "max": 1}}}, "parameters.x.distribution: unknown distribution")

    def test_log_uniform_exponent_beyond_floats(self):  # was OverflowError from math.exp
        for dist, bounds, culprit in (("log_uniform", (1, 710), "parameters.x.max"),
                                      ("q_log_uniform", (1, 1e300), "parameters.x.max"),
                                      ("inv_log_uniform", (-710, 1), "parameters.x.min"),
                                      ("log_uniform", (-10 ** 400, 1), "parameters.x.min")):
            with self.subTest(dist=dist, bounds=bounds):
                self.refused(parse_config, {"method": "random", "parameters": {
                    "x": {"distribution": dist, "min": bounds[0], "max": bounds[1]}}}, culprit)

    def test_integers_beyond_floats(self):  # was OverflowError in bayes, random.gammavariate, ppf
        for spec in ({"min": 0, "max": 10 ** 400}, {"distribution": "beta", "a": 10 ** 309},
                     {"min": "0", "max": "1" + "0" * 400}):
            with self.subTest(spec=spec):
                self.refused(parse_config, {"method": "bayes", "metric": {"name": "loss"},
                                            "parameters": {"x": spec}}, "parameters.x.")

    def test_numeric_strings_longer_than_int_allows(self):  # was ValueError from int() on 3.11+
        self.refused(parse_config, {"method": "random", "parameters": {"x": {"min": 0, "max": "9" * 5000}}},
                     "parameters.x.max: expected a finite number")
        self.refused(parse_config, {"method": "random", "run_cap": "9" * 5000, "parameters": {"x": {"value": 1}}},
                     "run_cap")

    def test_long_almost_numbers(self):  # _NUMBER_RE backtracked quadratically: 5 s for 14,000 characters
        for text in ("1" * 20000 + "=1", "1" * 20000 + "x", "-" + "1_" * 10000 + ".5e"):
            with self.subTest(text=text[-5:]):
                self.refused(parse_config, {"method": "random", "parameters": {"x": {"min": text, "max": 1}}},
                             "parameters.x.min: expected a number")
        cfg = parse_config({"method": "random", "parameters": {"x": {"min": "1_0.5", "max": "1e2"}}})
        self.assertEqual((cfg.params[0].min, cfg.params[0].max), (10.5, 100.0))

    def test_draws_that_overflow(self):  # accepted, then OverflowError/ValueError in the search layer
        for spec in ({"distribution": "q_uniform", "min": 0, "max": 1e300, "q": 1e-10},
                     {"distribution": "q_normal", "q": 5e-324},
                     {"distribution": "log_normal", "mu": 800},
                     {"distribution": "q_log_uniform_values", "min": 1e-300, "max": 1e300, "q": 1e-300},
                     {"distribution": "q_uniform", "min": -1e308, "max": 1e308, "q": 1e308},
                     {"min": -1e308, "max": 1e308},
                     {"min": -10 ** 308, "max": 10 ** 308}):
            for method in ("random", "bayes"):
                with self.subTest(spec=spec, method=method):
                    self.refused(parse_config, {"method": method, "metric": {"name": "loss"},
                                                "parameters": {"x": spec}}, "parameters.x: ", "overflow")
        cfg = parse_config({"method": "random", "parameters": {"x": {"distribution": "log_normal", "mu": 600}}})
        self.assertIsInstance(next_config(cfg, [], seed=0), dict)

    def test_grid_too_large_to_list(self):  # was a MemoryError (or the machine's memory) in grid search
        for spec in ({"min": 0, "max": 10 ** 15}, {"distribution": "q_uniform", "min": 0, "max": 1, "q": 1e-12},
                     {"distribution": "q_uniform", "min": 0, "max": 1, "q": 5e-324}):
            with self.subTest(spec=spec):
                self.refused(parse_config, {"method": "grid", "parameters": {"x": spec}}, "parameters.x: ")
        cfg = parse_config({"method": "grid", "parameters": {"x": {"min": 1, "max": 1000000}}})
        self.assertEqual(next_config(cfg, [], seed=0), {"x": 1})

    def test_dicts_too_deep_recursive_or_repetitive(self):  # RecursionError in deepcopy, hangs in grid
        deep = 1
        for _ in range(3000):
            deep = [deep]
        recursive = {"x": {"values": []}}
        recursive["x"]["values"].append(recursive)
        shared = [1, 2]
        for _ in range(40):
            shared = [shared, shared, shared]
        for value, fragment in ((deep, "nested more than 100 levels"), (recursive, "contains itself"),
                                (shared, "more than 100000 values"), (10 ** 5000, "more than 4300 digits"),
                                ({10 ** 5000: 1}, "more than 4300 digits")):
            with self.subTest(fragment=fragment):
                self.refused(parse_config, {"method": "grid", "parameters": {"x": {"values": [value]}}}, fragment)
                self.refused(read_config, lambda: {"method": "grid", "parameters": {"x": {"value": value}}},
                             fragment)

    def test_json_too_deep_or_too_long_an_integer(self):  # RecursionError; ValueError on 3.11+
        self.refused(read_config, '{"a": ' + "[" * 100000 + "]" * 100000 + "}", "invalid JSON: nested too deeply")
        self.refused(read_config, '{"a": [' + "[" * 150 + "]" * 150 + "]}", "nested more than 100 levels")
        self.refused(read_config, '{"a": ' + "9" * 5000 + "}", "more than 4300 digits")


if __name__ == "__main__":
    unittest.main()
