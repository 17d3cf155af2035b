"""The package's layering, read from its source: which module imports which.

The import graph is built with :mod:`ast` from every module of the package
(relative imports only: the package must work vendored under another name),
counting imports at module level and inside functions alike, since a cycle
hidden inside a function is still a cycle.  Imports under
``if TYPE_CHECKING:`` are left out: they never run.  Three rules:

- no import cycle (a cycle is the sign that two modules are one concept, or
  that a shared piece has no home of its own);
- the search layer is pure (STYLE.md item 2): a search module never imports
  the store, the config reader, the agent, nor ``os``, ``time`` or
  ``threading``;
- an import inside a function says why on its own line (``# lazy: ...``):
  start-up time of ``import minisweep`` and of the CLI, or an optional
  standard-library module;
- no module imports another's private name (``from .runner import _Agent``):
  what is shared is public, or lives where both can reach it.
"""

import ast
import os
import unittest
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

import minisweep

PACKAGE = Path(minisweep.__file__).resolve().parent

#: The search layer (STYLE.md item 2): functions of (parsed space, run history, rng).
SEARCH_MODULES = ("grid", "distributions", "values", "bayes", "gp", "hyperband", "search",
                  "conditional", "conditionalbayes", "startpoints", "priorruns")
#: What a search module must not import: file and clock owners, and the modules that use them.
FORBIDDEN_IN_SEARCH = ("store", "reader", "runner", "os", "time", "threading")


class Import:
    """One import statement's target, as the graph sees it."""

    def __init__(self, target: str, line: int, in_function: bool, text: str) -> None:
        self.target = target          # "grid", "wandb._install", "" (the package itself), or "stdlib:os"
        self.line = line
        self.in_function = in_function
        self.text = text              # the source line, for messages and the "# lazy:" rule


def module_name(path: Path) -> str:
    """``minisweep/wandb/_install.py`` -> ``wandb._install``; ``minisweep/__init__.py`` -> ``""``."""
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> Dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "__pycache__" not in path.parts:
            out[module_name(path)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
           (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom, modules: Dict[str, Path]) -> List[str]:
    """The package modules a relative ``from ... import ...`` loads."""
    base = importer.split(".") if importer else []
    if not is_package:
        base = base[:-1]
    base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
    prefix = ".".join(base + ([node.module] if node.module else []))
    targets = []
    for alias in node.names:  # `from . import grid` loads the module grid, not just the package
        sub = (prefix + "." if prefix else "") + alias.name
        if sub in modules:
            targets.append(sub)
    if not targets or len(targets) < len(node.names):
        targets.append(prefix)
    return targets


def imports_of(name: str, path: Path, modules: Dict[str, Path]) -> List[Import]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source, str(path))
    is_package = path.name == "__init__.py"
    found: List[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and not in_function and _is_type_checking(child):
                for sub in child.orelse:
                    visit_statement(sub, in_function)
                continue
            visit_statement(child, in_function)

    def visit_statement(child: ast.AST, in_function: bool) -> None:
        text = lines[child.lineno - 1] if hasattr(child, "lineno") else ""
        if isinstance(child, ast.ImportFrom):
            if child.level:
                for target in _resolve(name, is_package, child, modules):
                    found.append(Import(target, child.lineno, in_function, text))
            else:
                found.append(Import("stdlib:" + (child.module or "").split(".")[0], child.lineno, in_function, text))
        elif isinstance(child, ast.Import):
            for alias in child.names:
                found.append(Import("stdlib:" + alias.name.split(".")[0], child.lineno, in_function, text))
        else:
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    return found


def import_graph() -> Tuple[Dict[str, Set[str]], Dict[str, List[Import]]]:
    """``{module: {package modules it imports}}`` and every import of every module."""
    modules = all_modules()
    graph: Dict[str, Set[str]] = {}
    every: Dict[str, List[Import]] = {}
    for name, path in modules.items():
        every[name] = imports_of(name, path, modules)
        graph[name] = {i.target for i in every[name] if not i.target.startswith("stdlib:") and i.target != name}
    return graph, every


def find_cycle(graph: Dict[str, Set[str]]) -> Optional[List[str]]:
    """One import cycle as ``[a, b, ..., a]``, or ``None``.  The package itself (``""``) is left out:
    every submodule's import runs it first, so an edge to it is no cycle by itself."""
    colour: Dict[str, int] = {}
    stack: List[str] = []

    def walk(node: str) -> Optional[List[str]]:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt == "":
                continue
            if colour.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if colour.get(nxt) is None:
                cycle = walk(nxt)
                if cycle:
                    return cycle
        stack.pop()
        colour[node] = 2
        return None

    for start in sorted(graph):
        if start and colour.get(start) is None:
            cycle = walk(start)
            if cycle:
                return cycle
    return None


def impure_imports(imports: Dict[str, List[Import]]) -> List[str]:
    """The imports among ``imports`` (of search modules) that reach the store, the reader, the agent,
    ``os``, ``time`` or ``threading``, one line each."""
    bad = []
    for name in sorted(imports):
        for imp in imports[name]:
            target = imp.target[len("stdlib:"):] if imp.target.startswith("stdlib:") else imp.target
            if target.split(".")[0] in FORBIDDEN_IN_SEARCH or target.startswith("store"):
                bad.append("%s.py:%d imports %s: %s" % (name, imp.line, target, imp.text.strip()))
    return bad


#: Lines above which a module must say at its top why it is one module (issue 12: "~600").
LONG_MODULE = 650

#: The layers of docs/architecture.md, top to bottom: a module imports only from its own layer and the
#: ones before it.  The ``wandb`` subpackage comes after all of them and is not listed module by module,
#: except ``wandb._install`` (how ``import wandb`` is pointed at minisweep), which command mode uses.
LAYERS: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("foundations", ("errors", "_compat", "runs", "values", "ids", "formatting")),
    ("search parts", ("distributions", "hyperband", "conditional", "startpoints", "priorruns", "update", "gp")),
    ("config", ("yamlreader", "reader", "sweepconfig")),
    ("search", ("grid", "conditionalbayes", "bayes", "search")),
    ("store", ("sharedfs", "lock", "jsonvalues", "journal", "replay", "store")),
    ("in the run", ("runvalues", "session", "outputmetrics", "tensorboard", "macros", "bundle",
                    "wandb._install", "command")),
    ("agent", ("agentloop", "runner", "distributed", "api")),
    ("views", ("importance", "charts", "curves", "report", "watchmodel", "watch", "cli", "__main__", "")),
)


def upward_imports(graph: Dict[str, Set[str]], layers: Tuple[Tuple[str, Tuple[str, ...]], ...] = LAYERS) -> List[str]:
    """Imports that go from a layer to a later one, and modules in no layer (``wandb`` excepted)."""
    rank = {name: i for i, (_, names) in enumerate(layers) for name in names}
    bad = []
    for name in sorted(graph):
        if (name == "wandb" or name.startswith("wandb.")) and name not in rank:
            continue
        if name not in rank:
            bad.append("%s is in no layer" % (name or "(package)"))
            continue
        for target in sorted(graph[name]):
            if (target == "wandb" or target.startswith("wandb.")) and target not in rank:
                bad.append("%s imports %s: only the wandb subpackage may" % (name or "(package)", target))
            elif target in rank and rank[target] > rank[name]:
                bad.append("%s (%s) imports %s (%s), a later layer" % (
                    name or "(package)", layers[rank[name]][0], target, layers[rank[target]][0]))
    return bad


def format_graph(graph: Dict[str, Set[str]]) -> str:
    """The graph as text, one ``module -> imports`` line per module (for docs and reports)."""
    return "\n".join("%s -> %s" % (name or "(package)", ", ".join(sorted(t or "(package)" for t in graph[name])) or "-")
                     for name in sorted(graph))


class ImportGraphTest(unittest.TestCase):
    def setUp(self):
        self.graph, self.imports = import_graph()

    def test_the_graph_sees_the_package(self):
        # guards the rules below against passing on an empty or misread graph
        self.assertIn("sweepconfig", self.graph)
        self.assertIn("distributions", self.graph["sweepconfig"])
        for name in SEARCH_MODULES:
            self.assertIn(name, self.graph, "search module %s is missing: update SEARCH_MODULES" % name)

    def test_no_import_cycle(self):
        cycle = find_cycle(self.graph)
        self.assertIsNone(cycle, "import cycle: %s" % " -> ".join(cycle or []))

    def test_the_search_layer_is_pure(self):
        bad = impure_imports({name: self.imports.get(name, []) for name in SEARCH_MODULES})
        self.assertEqual(bad, [], "the search layer must do no I/O:\n" + "\n".join(bad))

    def test_imports_inside_functions_say_why(self):
        bad = []
        for name in sorted(self.imports):
            for imp in self.imports[name]:
                if imp.in_function and "# lazy:" not in imp.text:
                    bad.append("%s:%d: %s" % (self.file(name), imp.line, imp.text.strip()))
        self.assertEqual(sorted(set(bad)), [], "imports inside functions without a '# lazy: <reason>' comment "
                         "on their line (import at the top of the module instead):\n" + "\n".join(sorted(set(bad))))

    def test_no_private_name_is_imported_from_another_module(self):
        bad = []
        for name, path in sorted(all_modules().items()):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.ImportFrom) and node.level:
                    for alias in node.names:
                        if alias.name.startswith("_") and not alias.name.startswith("__"):
                            bad.append("%s:%d imports %s" % (self.file(name), node.lineno, alias.name))
        self.assertEqual(bad, [], "private names imported across modules:\n" + "\n".join(bad))

    def test_imports_follow_the_layers(self):
        bad = upward_imports(self.graph)
        self.assertEqual(bad, [], "imports against docs/architecture.md's layers (move the code, or the module "
                         "to another layer in LAYERS and in the doc):\n" + "\n".join(bad))

    def test_the_architecture_page_names_every_module(self):
        page = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
        missing = [name for _, names in LAYERS for name in names if name and "`%s`" % name not in page]
        self.assertEqual(missing, [], "docs/architecture.md does not name: %s" % ", ".join(missing))

    def test_a_long_module_says_why_it_is_one_module(self):
        # issue 12: no module over ~600 lines without a reason written at its top
        bad = []
        for name, path in sorted(all_modules().items()):
            source = path.read_text(encoding="utf-8")
            lines = source.count("\n")
            if lines > LONG_MODULE and "Why one module" not in (ast.get_docstring(ast.parse(source)) or ""):
                bad.append("%s: %d lines" % (self.file(name), lines))
        self.assertEqual(bad, [], "modules over %d lines whose docstring has no 'Why one module ...' paragraph "
                         "(split them at a seam, or say why not):\n%s" % (LONG_MODULE, "\n".join(bad)))

    def file(self, name: str) -> str:
        return os.path.relpath(str(all_modules()[name]), str(PACKAGE.parent))


class GraphReaderTest(unittest.TestCase):
    """The reader itself, on small made-up graphs (so a rule cannot pass by reading nothing)."""

    def test_a_cycle_is_found_and_shown(self):
        self.assertEqual(find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}), ["a", "b", "c", "a"])
        self.assertIsNone(find_cycle({"a": {"b"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}))

    def test_impure_imports_are_named(self):
        imports = {"grid": [Import("stdlib:time", 3, False, "import time"),
                            Import("runs", 4, False, "from .runs import Run")],
                   "search": [Import("store", 9, True, "from .store import SweepStore"),
                              Import("stdlib:random", 2, False, "import random")]}
        self.assertEqual(impure_imports(imports), ["grid.py:3 imports time: import time",
                                                   "search.py:9 imports store: from .store import SweepStore"])

    def test_an_import_up_the_layers_is_named(self):
        layers = (("low", ("a",)), ("high", ("b",)))
        self.assertEqual(upward_imports({"a": {"b"}, "b": {"a"}}, layers), ["a (low) imports b (high), a later layer"])
        self.assertEqual(upward_imports({"a": set(), "c": {"a"}}, layers), ["c is in no layer"])
        self.assertEqual(upward_imports({"a": set(), "b": {"a"}}, layers), [])

    def test_the_package_itself_is_no_cycle(self):
        self.assertIsNone(find_cycle({"": {"a"}, "a": {""}}))


if __name__ == "__main__":
    unittest.main()
