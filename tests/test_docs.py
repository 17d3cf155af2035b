"""Every `>>>` example in docs/*.md and README.md runs, and gives what the page says."""

import doctest
import os
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the pages that hold examples (3.13 reports a page without any as a skipped test)
PAGES = sorted(p for p in (ROOT / "docs").glob("*.md") if ">>> " in p.read_text(encoding="utf-8"))


def _setup(test):
    test.globs["_tmp"] = tempfile.TemporaryDirectory()
    test.globs["_cwd"] = os.getcwd()
    os.chdir(test.globs["_tmp"].name)  # examples that write files write them here


def _teardown(test):
    os.chdir(test.globs["_cwd"])
    test.globs["_tmp"].cleanup()


def load_tests(loader, tests, pattern):
    for page in PAGES:
        tests.addTests(doctest.DocFileSuite(str(page), module_relative=False, setUp=_setup, tearDown=_teardown,
                                            optionflags=doctest.ELLIPSIS))
    return tests


class PagesTest(unittest.TestCase):
    def test_the_teaching_page_has_examples(self):
        text = (ROOT / "docs" / "how-sweeps-work.md").read_text(encoding="utf-8")
        self.assertGreater(text.count(">>> "), 20)


if __name__ == "__main__":
    unittest.main()
