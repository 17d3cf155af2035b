"""Run the ``>>>`` examples of every minisweep module as part of the suite."""

import doctest
import importlib
import pkgutil
import unittest
import warnings

import minisweep


def load_tests(loader, tests, pattern):
    for info in sorted(pkgutil.iter_modules(minisweep.__path__), key=lambda i: i.name):
        if info.name.startswith("__"):
            continue
        module = importlib.import_module("minisweep." + info.name)
        tests.addTests(doctest.DocTestSuite(module, optionflags=doctest.ELLIPSIS))
    tests.addTests(doctest.DocTestSuite(minisweep))
    return tests


if __name__ == "__main__":
    unittest.main()
