"""W&B's command macros: from a run's config to the child's command line.

Most sweeps in the wild are YAML files whose ``program`` is a script that
parses ``--lr=0.01``-style arguments.  For each run the command-line agent
builds the child's argv from the sweep's ``command`` (default
``${env} ${interpreter} ${program} ${args}``), replacing W&B's macros:

==========================  ==================================================
``${env}``                  ``/usr/bin/env`` (nothing on Windows)
``${interpreter}``          the running Python (``sys.executable``) — W&B says
                            ``python``, which a locked-down machine may not
                            have on PATH; the one deliberate difference
``${program}``              the config's ``program``
``${args}``                 ``--k=v`` per top-level parameter
``${args_no_equals}``       ``--k v`` (two items)
``${args_no_hyphens}``      ``k=v``
``${args_no_boolean_flags}``  ``--k`` for True, nothing for False, else ``--k=v``
``${args_json}``            one item: the config as JSON
``${args_json_file}``       the path of a JSON file holding the config
``${args_append_hydra}``    ``+k=v``
``${args_override_hydra}``  ``++k=v``
``${envvar:NAME}``          the environment variable NAME, anywhere in an item
==========================  ==================================================

Values are formatted with Python's ``str()`` (``True``, ``None``, ``[1, 2]``),
exactly as W&B formats them.  An item that *is* a macro is replaced by its
items (an unknown one by nothing); a macro inside a longer item is left as
written, except ``${envvar:...}``.

>>> expand_command(["${env}", "python3", "${program}", "${args}"], program="train.py",
...                config={"lr": 0.1, "aug": True, "dims": [1, 2]}, env_prefix=["/usr/bin/env"])
['/usr/bin/env', 'python3', 'train.py', '--lr=0.1', '--aug=True', '--dims=[1, 2]']
>>> expand_command(["${program}", "${args_no_boolean_flags}"], program="t.py", config={"a": True, "b": False, "c": 1})
['t.py', '--a', '--c=1']

The agent runs the result as a child process (:mod:`.command`); ``minisweep
best --format args`` prints the best run's ``${args}``.
"""

import json
import math
import os
import re
import sys
from typing import Any, Dict, List, Optional, Sequence

__all__ = ["DEFAULT_COMMAND", "expand_command", "macro_values", "wandb_param_yaml"]

DEFAULT_COMMAND = ["${env}", "${interpreter}", "${program}", "${args}"]

_ENVVAR = re.compile(r"\$\{envvar:([A-Za-z0-9_]*)\}")


def wandb_param_yaml(config: Dict[str, Any]) -> str:
    """A run's config in the format of W&B's ``WANDB_SWEEP_PARAM_PATH`` file.

    W&B's agent writes ``wandb_version: 1`` and then, for each parameter,
    ``name:`` with a nested ``value:``.  Keys and values are written as JSON,
    which YAML reads as the same scalars; floats always carry a ``.`` (and
    ``.inf``/``.nan``), because YAML 1.1 readers such as PyYAML read ``1e-05``
    as a string.

    >>> print(wandb_param_yaml({"lr": 1e-05, "layers": [64, 32], "opt": "adam"}), end="")
    wandb_version: 1
    <BLANKLINE>
    "lr":
      value: 1.0e-05
    "layers":
      value: [64, 32]
    "opt":
      value: "adam"
    """
    lines = ["wandb_version: 1"]
    if config:
        lines.append("")
    for key, value in config.items():
        lines.append("%s:" % json.dumps(str(key)))
        lines.append("  value: %s" % _yaml_value(value))
    return "\n".join(lines) + "\n"


def _yaml_value(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        mantissa, e, exponent = text.partition("e")
        if "." not in mantissa:
            mantissa += ".0"
        if e and exponent[:1] not in "+-":
            exponent = "+" + exponent
        return mantissa + (e + exponent if e else "")
    if isinstance(value, (int, str)):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join("%s: %s" % (json.dumps(str(k)), _yaml_value(v)) for k, v in value.items()) + "}"
    return json.dumps(str(value))


def _fmt(value: Any) -> str:
    return str(value)


def macro_values(config: Dict[str, Any], *, program: Optional[str], json_file: Optional[str] = None,
                 interpreter: Optional[str] = None, env_prefix: Optional[List[str]] = None) -> Dict[str, List[str]]:
    """What each whole-item macro expands to, for one run's config."""
    args, no_equals, no_hyphens, no_booleans, append_hydra, override_hydra = [], [], [], [], [], []
    for key, value in config.items():
        flag = "%s=%s" % (key, _fmt(value))
        args.append("--" + flag)
        no_equals += ["--" + key, _fmt(value)]
        no_hyphens.append(flag)
        append_hydra.append("+" + flag)
        override_hydra.append("++" + flag)
        if isinstance(value, bool):
            if value:
                no_booleans.append("--" + key)
        else:
            no_booleans.append("--" + flag)
    if env_prefix is None:
        env_prefix = [] if sys.platform == "win32" else ["/usr/bin/env"]
    return {
        "env": list(env_prefix),
        "interpreter": [interpreter or sys.executable],
        "program": [program] if program else [],
        "args": args,
        "args_no_equals": no_equals,
        "args_no_hyphens": no_hyphens,
        "args_no_boolean_flags": no_booleans,
        "args_json": [json.dumps(config)],
        "args_json_file": [json_file] if json_file else [],
        "args_append_hydra": append_hydra,
        "args_override_hydra": override_hydra,
    }


def expand_command(command: Optional[Sequence[Any]], *, program: Optional[str], config: Dict[str, Any],
                   json_file: Optional[str] = None, interpreter: Optional[str] = None,
                   env_prefix: Optional[List[str]] = None, environ: Optional[Dict[str, str]] = None) -> List[str]:
    """The child's argv for one run (W&B's rules; see the module docs)."""
    environ = os.environ if environ is None else environ
    values = macro_values(config, program=program, json_file=json_file, interpreter=interpreter,
                          env_prefix=env_prefix)
    out: List[str] = []
    for item in (command or DEFAULT_COMMAND):
        text = str(item)
        text = _ENVVAR.sub(lambda m: environ.get(m.group(1), m.group(1)), text)
        if text.startswith("${") and text.endswith("}") and text.count("${") == 1:
            out.extend(values.get(text[2:-1], []))
        else:
            out.append(text)
    return out
