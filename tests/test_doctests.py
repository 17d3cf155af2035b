"""Run the ``>>>`` examples of every minisweep module as part of the suite."""

import doctest
import importlib
import pkgutil
import unittest
import warnings

import minisweep


def load_tests(loader, tests, pattern):
    infos = pkgutil.walk_packages(minisweep.__path__, "minisweep.")
    for info in sorted(infos, key=lambda i: i.name):
        if info.name.rpartition(".")[2].startswith("__") or info.name.startswith("minisweep.wandb.integration") \
                or info.name == "minisweep.wandb.keras":  # framework callbacks: they import their framework
            continue
        module = importlib.import_module(info.name)
        tests.addTests(doctest.DocTestSuite(module, optionflags=doctest.ELLIPSIS))
    tests.addTests(doctest.DocTestSuite(minisweep))
    return tests


if __name__ == "__main__":
    unittest.main()
