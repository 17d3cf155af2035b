"""Reading a sweep config from wherever the user keeps it.

``wandb.sweep`` takes a dict or a function returning one; ``wandb sweep``
takes a YAML file.  :func:`read_config` takes all of those and a few more,
and returns the plain mapping, exactly as it was written:

- a ``dict`` (copied, so later edits do not leak in) or a callable returning one;
- a path (``str`` or :class:`os.PathLike`) to a ``.yaml`` / ``.yml``, ``.json``
  or ``.toml`` file;
- YAML or JSON text.

YAML goes through minisweep's own safe reader (:mod:`.yamlreader`), which
resolves scalars as PyYAML's ``safe_load`` does.  JSON goes through the
standard library.  TOML needs :mod:`tomllib` (Python 3.11+).

>>> read_config('method: grid\\nparameters: {a: {values: [1, 2]}}')
{'method': 'grid', 'parameters': {'a': {'values': [1, 2]}}}
>>> read_config(lambda: {"method": "random", "parameters": {"x": {"value": 1}}})["method"]
'random'
"""

import copy
import json
import os
import sys
from typing import Any, Dict, Optional, Tuple

from ._compat import isfile
from .errors import ConfigError
from .yamlreader import MAX_DEPTH, MAX_EXPANDED
from .yamlreader import load as load_yaml

__all__ = ["read_config", "read_config_with_positions", "kind_of"]

_SUFFIXES = (".yaml", ".yml", ".json", ".toml")


def read_config(source: Any) -> Dict[str, Any]:
    """Read a sweep config and return it as a plain mapping (not yet validated).

    Raises:
        ConfigError: the file is missing or cannot be parsed (naming the line
            and column), or the source is not a config at all (not even a
            mapping).
    """
    value, _, name = read_config_with_positions(source)
    if not isinstance(value, dict):
        raise ConfigError("a sweep config must be a mapping with 'method' and 'parameters', got %s"
                          % kind_of(value), source=name)
    return value


def kind_of(value: Any) -> str:
    """What a value read from a config is, in the words of an error message.

    >>> kind_of([1]), kind_of({}), kind_of(True), kind_of(None), kind_of(1.5)
    ('a list', 'a mapping', 'a boolean', 'null', 'a number')
    """
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "a %s" % type(value).__name__


def read_config_with_positions(source: Any) -> Tuple[Any, Optional[Dict[tuple, Tuple[int, int]]], Optional[str]]:
    """Like :func:`read_config`, also returning key positions and the file name.

    The positions map key paths (tuples) to (line, column), when the source is
    text; the validator uses them to put line numbers on its messages.  A
    parsed :class:`~.sweepconfig.SweepConfig` (which this module does not
    import: the validator is built on the reader, not the other way round) is
    read back as its :meth:`~.sweepconfig.SweepConfig.to_dict`.
    """
    if _is_parsed(source):
        return source.to_dict(), None, source.source
    if isinstance(source, dict):
        _check_shape(source, None)
        return copy.deepcopy(source), None, None
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError("not UTF-8 text (byte %d)" % exc.start) from None
    if isinstance(source, os.PathLike) or (isinstance(source, str) and _looks_like_path(source)):
        return _read_file(os.fspath(source))
    if isinstance(source, str):
        return _parse_text(source, None, None)
    if callable(source):
        try:
            value = source()
        except ConfigError:
            raise
        if not isinstance(value, dict):
            raise ConfigError("the config function returned %s, not a dict" % type(value).__name__)
        return read_config_with_positions(value)
    raise ConfigError("a sweep config must be a dict, a function returning one, a file path, "
                      "or YAML/JSON text; got %s" % type(source).__name__)


def _is_parsed(source: Any) -> bool:
    """Whether ``source`` is a parsed SweepConfig (known by its shape: its class is defined above this module)."""
    return not isinstance(source, (dict, str, bytes)) and callable(getattr(source, "to_dict", None)) \
        and hasattr(source, "params") and hasattr(source, "source")


def _looks_like_path(text: str) -> bool:
    if "\n" in text or not text.strip():
        return False
    if text.lower().endswith(_SUFFIXES):
        return True
    return isfile(text)


def _read_file(path: str) -> Tuple[Any, Optional[Dict[tuple, Tuple[int, int]]], str]:
    name = path
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise ConfigError("no such file: %s" % path) from None
    except ValueError:  # a NUL character in the name
        raise ConfigError("not a valid file name: %r" % path) from None
    except IsADirectoryError:
        raise ConfigError("%s is a directory, not a config file" % path) from None
    except OSError as exc:
        raise ConfigError("cannot read %s: %s" % (path, exc.strerror or exc)) from None
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".toml":
        value = _parse_toml(data, name)
        _check_shape(value, name)
        return value, None, name
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError("not UTF-8 text (byte %d)" % exc.start, source=name) from None
    if not text.strip():
        raise ConfigError("the file is empty", source=name)
    kind = "json" if suffix == ".json" else "yaml" if suffix in (".yaml", ".yml") else None
    return _parse_text(text, kind, name)


def _parse_text(text: str, kind: Optional[str],
                name: Optional[str]) -> Tuple[Any, Dict[tuple, Tuple[int, int]], Optional[str]]:
    if kind is None:
        kind = "json" if text.lstrip("\ufeff \t\r\n").startswith("{") else "yaml"
    if kind == "json":
        try:
            value = json.loads(text.lstrip("\ufeff"))
        except json.JSONDecodeError as exc:
            raise ConfigError("invalid JSON: %s" % exc.msg, line=exc.lineno, column=exc.colno,
                              source=name) from None
        except ValueError:  # an integer too long for int() (Python 3.11+)
            raise ConfigError("invalid JSON: an integer of more than 4300 digits", source=name) from None
        except RecursionError:
            raise ConfigError("invalid JSON: nested too deeply", source=name) from None
        _check_shape(value, name)
        positions: Dict[tuple, Tuple[int, int]] = {}
        try:  # JSON is nearly YAML: borrow the YAML reader's key positions for messages
            load_yaml(text, positions=positions)
        except ConfigError:
            positions = {}
        return value, positions, name
    positions = {}
    value = load_yaml(text, source=name, positions=positions)
    return value, positions, name


def _parse_toml(data: bytes, name: str) -> Any:
    try:
        import tomllib  # type: ignore[import-not-found]  # lazy: optional stdlib module (3.11+)
    except ImportError:
        raise ConfigError("reading TOML needs Python 3.11 or newer (its tomllib module); this is Python %d.%d "
                          "- write the config as YAML or JSON instead" % sys.version_info[:2], source=name) from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError("not UTF-8 text (byte %d)" % exc.start, source=name) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("invalid TOML: %s" % exc, source=name) from None
    except ValueError as exc:  # an integer too long for int()
        raise ConfigError("invalid TOML: %s" % exc, source=name) from None


_TOO_BIG = 10 ** 4300  # as Python 3.11+ int(): longer integers cannot even be printed


def _check_shape(value: Any, name: Optional[str]) -> None:
    """Refuse what the YAML reader refuses whatever the source: collections
    nested more than ``MAX_DEPTH`` deep or containing themselves, shared
    collections repeated past ``MAX_EXPANDED`` values, and integers of more
    than 4300 digits.  Each would otherwise surface later as a RecursionError,
    a blow-up or a ValueError in whatever walks, prints or saves the config.
    """
    shapes: Dict[int, Tuple[int, int]] = {}  # id(collection) -> (values in it, nesting)
    on_path = set()

    def fail(path: tuple, message: str) -> ConfigError:
        shown = []
        for key in path[:8]:
            try:
                shown.append(str(key))
            except ValueError:  # holds an integer too long to print (Python 3.11+)
                shown.append("<integer>")
        return ConfigError(message, key_path=".".join(shown + ["..."] * (len(path) > 8)), source=name)

    def shape(item: Any, path: tuple, depth: int) -> Tuple[int, int]:
        if isinstance(item, int) and not isinstance(item, bool):
            if abs(item) >= _TOO_BIG:
                raise fail(path, "an integer of more than 4300 digits")
            return 1, 0
        if not isinstance(item, (dict, list, tuple)):
            return 1, 0
        known = shapes.get(id(item))
        if known is None:
            if id(item) in on_path:
                raise fail(path, "this value contains itself (a recursive structure)")
            if depth >= MAX_DEPTH:
                raise fail(path, "collections nested more than %d levels deep" % MAX_DEPTH)
            on_path.add(id(item))
            size, height = 1, 0
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                here = path + (key,)
                if isinstance(item, dict):
                    size += shape(key, here, depth + 1)[0]
                child_size, child_height = shape(child, here, depth + 1)
                size += child_size
                height = max(height, child_height)
            on_path.discard(id(item))
            known = shapes[id(item)] = (size, height + 1)
        elif depth + known[1] > MAX_DEPTH:
            raise fail(path, "collections nested more than %d levels deep" % MAX_DEPTH)
        return known

    if shape(value, (), 0)[0] > MAX_EXPANDED:
        raise fail((), "the config holds more than %d values (counting each repeat of a shared "
                   "list or mapping)" % MAX_EXPANDED)
