"""What CPython 3.6 and 3.7 lack, in one place.

minisweep runs on CPython 3.6 through 3.13, because the machines that most
need a tool with no dependencies (clusters on RHEL 8, whose system Python is
3.6) have the oldest interpreters.  Every difference between versions that the
package has to bridge lives in this module, so the rest of the code is written
for modern Python and calls these names instead of probing for features:

- ``NormalDist``: the ``cdf`` and ``inv_cdf`` of ``statistics.NormalDist``
  (3.8+), computed exactly as it computes them.  It is used on every version,
  so every interpreter samples the same values and ``import statistics``
  (slow: it loads ``decimal`` and ``fractions``) is never needed;
- ``datetime_fromisoformat`` / ``date_fromisoformat``: read back what
  ``isoformat()`` wrote (``fromisoformat`` is 3.7+);
- ``enable_module_getattr``: a module-level ``__getattr__`` (PEP 562, 3.7+),
  which the package uses to load its public names on first use;
- ``check_sendable``: a function that a process pool cannot pickle is an
  error on 3.6 too, instead of a task that never finishes;
- ``isfile``: ``os.path.isfile`` that says False for a string no file can be
  named by (a NUL, a lone surrogate), as 3.8+ does, instead of raising.

>>> NormalDist(0.0, 1.0).inv_cdf(0.5)
0.0
>>> round(NormalDist(10.0, 2.0).cdf(12.0), 6)
0.841345
>>> datetime_fromisoformat("2024-03-01T12:30:00.250000+02:00").isoformat()
'2024-03-01T12:30:00.250000+02:00'
"""

import math
import sys

__all__ = ["NormalDist", "datetime_fromisoformat", "date_fromisoformat", "enable_module_getattr", "check_sendable",
           "isfile"]


class NormalDist:
    """The normal distribution's CDF and its inverse, as ``statistics.NormalDist`` has them.

    ``inv_cdf`` is Wichura's algorithm AS 241 (Applied Statistics 37, 1988,
    "PPND16"), the same rational approximations, evaluated in the same order,
    as CPython's ``statistics`` module; the tests check that both agree
    exactly wherever the standard library has ``NormalDist`` (3.8+).
    """

    def __init__(self, mu: float = 0.0, sigma: float = 1.0) -> None:
        if sigma < 0.0:
            raise ValueError("sigma must be non-negative")
        self._mu = float(mu)
        self._sigma = float(sigma)

    @property
    def mean(self) -> float:
        return self._mu

    @property
    def stdev(self) -> float:
        return self._sigma

    def cdf(self, x: float) -> float:
        if not self._sigma:
            raise ValueError("cdf() not defined when sigma is zero")
        return 0.5 * (1.0 + math.erf((x - self._mu) / (self._sigma * math.sqrt(2.0))))

    def inv_cdf(self, p: float) -> float:
        if p <= 0.0 or p >= 1.0:
            raise ValueError("p must be in the range 0.0 < p < 1.0")
        if self._sigma <= 0.0:
            raise ValueError("inv_cdf() not defined when sigma at or below zero")
        mu, sigma = self._mu, self._sigma
        q = p - 0.5
        if math.fabs(q) <= 0.425:
            r = 0.180625 - q * q
            num = (((((((2.5090809287301226727e+3 * r +
                         3.3430575583588128105e+4) * r +
                        6.7265770927008700853e+4) * r +
                       4.5921953931549871457e+4) * r +
                      1.3731693765509461125e+4) * r +
                     1.9715909503065514427e+3) * r +
                    1.3314166789178437745e+2) * r +
                   3.3871328727963666080e+0) * q
            den = (((((((5.2264952788528545610e+3 * r +
                         2.8729085735721942674e+4) * r +
                        3.9307895800092710610e+4) * r +
                       2.1213794301586595867e+4) * r +
                      5.3941960214247511077e+3) * r +
                     6.8718700749205790830e+2) * r +
                    4.2313330701600911252e+1) * r +
                   1.0)
            return mu + (num / den) * sigma
        r = p if q <= 0.0 else 1.0 - p
        r = math.sqrt(-math.log(r))
        if r <= 5.0:
            r = r - 1.6
            num = (((((((7.74545014278341407640e-4 * r +
                         2.27238449892691845833e-2) * r +
                        2.41780725177450611770e-1) * r +
                       1.27045825245236838258e+0) * r +
                      3.64784832476320460504e+0) * r +
                     5.76949722146069140550e+0) * r +
                    4.63033784615654529590e+0) * r +
                   1.42343711074968357734e+0)
            den = (((((((1.05075007164441684324e-9 * r +
                         5.47593808499534494600e-4) * r +
                        1.51986665636164571966e-2) * r +
                       1.48103976427480074590e-1) * r +
                      6.89767334985100004550e-1) * r +
                     1.67638483018380384940e+0) * r +
                    2.05319162663775882187e+0) * r +
                   1.0)
        else:
            r = r - 5.0
            num = (((((((2.01033439929228813265e-7 * r +
                         2.71155556874348757815e-5) * r +
                        1.24266094738807843860e-3) * r +
                       2.65321895265761230930e-2) * r +
                      2.96560571828504891230e-1) * r +
                     1.78482653991729133580e+0) * r +
                    5.46378491116411436990e+0) * r +
                   6.65790464350110377720e+0)
            den = (((((((2.04426310338993978564e-15 * r +
                         1.42151175831644588870e-7) * r +
                        1.84631831751005468180e-5) * r +
                       7.86869131145613259100e-4) * r +
                      1.48753612908506148525e-2) * r +
                     1.36929880922735805310e-1) * r +
                    5.99832206555887937690e-1) * r +
                   1.0)
        x = num / den
        if q < 0.0:
            x = -x
        return mu + x * sigma


def datetime_fromisoformat(s: str) -> "datetime.datetime":
    """``datetime.datetime.fromisoformat``, or on 3.6 a parser for what ``isoformat()`` writes."""
    import datetime  # lazy: import minisweep stays cheap (tests/test_package.py ImportCostTest)

    if sys.version_info >= (3, 7):
        return datetime.datetime.fromisoformat(s)
    m = _iso_re("datetime").match(s)
    if m is None:
        raise ValueError("Invalid isoformat string: %r" % (s,))
    g = m.groups()
    micro = int(g[6].ljust(6, "0")) if g[6] else 0
    tz = None
    if g[7] == "Z":
        tz = datetime.timezone.utc
    elif g[7]:
        offset = datetime.timedelta(hours=int(g[9]), minutes=int(g[10]), seconds=int(g[11] or 0),
                                    microseconds=int(g[12] or 0))
        tz = datetime.timezone(-offset if g[8] == "-" else offset)
    return datetime.datetime(int(g[0]), int(g[1]), int(g[2]), int(g[3] or 0), int(g[4] or 0),
                             int(g[5] or 0), micro, tzinfo=tz)


def date_fromisoformat(s: str) -> "datetime.date":
    """``datetime.date.fromisoformat``, or on 3.6 a parser for ``YYYY-MM-DD``."""
    import datetime  # lazy: import minisweep stays cheap (tests/test_package.py ImportCostTest)

    if sys.version_info >= (3, 7):
        return datetime.date.fromisoformat(s)
    m = _iso_re("date").match(s)
    if m is None:
        raise ValueError("Invalid isoformat string: %r" % (s,))
    return datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _iso_re(kind: str) -> "re.Pattern":
    import re  # lazy: import minisweep stays cheap (tests/test_package.py ImportCostTest)

    date = r"(\d{4})-(\d{2})-(\d{2})"
    if kind == "date":
        return re.compile(date + r"\Z")
    time = r"(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{3}|\d{6}))?)?"
    offset = r"([+-])(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{6}))?)?"
    return re.compile(date + r"(?:[T ]" + time + r"(" + offset + r"|Z)?)?\Z")


def enable_module_getattr(module_name: str) -> None:
    """Make the module's own ``__getattr__`` and ``__dir__`` functions work on 3.6.

    From 3.7 on the interpreter calls them itself (PEP 562) and this does
    nothing; on 3.6 the module's class becomes a ``ModuleType`` subclass that
    forwards to them.
    """
    if sys.version_info >= (3, 7):
        return
    import types  # lazy: import minisweep stays cheap (tests/test_package.py ImportCostTest)

    namespace = sys.modules[module_name].__dict__

    class _Module(types.ModuleType):
        def __getattr__(self, name: str) -> object:
            return namespace["__getattr__"](name)

        def __dir__(self) -> list:
            return namespace["__dir__"]()

    sys.modules[module_name].__class__ = _Module


def check_sendable(executor: object, obj: object) -> None:
    """Raise the pickling error a ``ProcessPoolExecutor`` would meet sending ``obj``, on 3.6.

    CPython 3.6's process pool pickles tasks in a background thread and, when
    that fails, drops the error and leaves the future pending forever; 3.7 and
    later set the error on the future.  On 3.6 this pickles ``obj`` the way
    the pool would, so the caller sees the error instead of waiting; otherwise
    it does nothing.
    """
    if sys.version_info >= (3, 7):
        return
    from concurrent.futures import ProcessPoolExecutor  # lazy: only executor= needs it; import minisweep stays cheap

    if isinstance(executor, ProcessPoolExecutor):
        from multiprocessing.reduction import ForkingPickler  # lazy: only a process pool needs it

        ForkingPickler.dumps(obj)


def isfile(path: str) -> bool:
    """``os.path.isfile``, False for a path the OS cannot even represent (3.6 and 3.7 raise ValueError)."""
    import os  # lazy: import minisweep stays cheap (tests/test_package.py ImportCostTest)

    try:
        return os.path.isfile(path)
    except ValueError:
        return False
