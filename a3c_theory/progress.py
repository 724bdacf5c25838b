"""Progress reports: a tqdm bar on a terminal, one plain line per finished item otherwise.

A redirected log then holds readable lines (``sweep: 3/12 runs done (run.workers=4__seed=2)``) instead
of carriage-return bar redraws.
"""

import sys


class LineProgress:
    """The part of tqdm's interface used here (``update``, ``write``, context manager), as lines on ``file``."""

    def __init__(self, total: int, initial: int = 0, desc: str = "", unit: str = "item", file=None):
        self.total, self.n, self.desc, self.unit = total, initial, desc, unit
        self.file = sys.stderr if file is None else file

    def update(self, n: int = 1, label: str = "") -> None:
        self.n += n
        suffix = f" ({label})" if label else ""
        print(f"{self.desc}: {self.n}/{self.total} {self.unit}s done{suffix}", file=self.file, flush=True)

    def write(self, text: str) -> None:
        print(text, file=self.file, flush=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _Silent(LineProgress):
    def update(self, n: int = 1, label: str = "") -> None:
        self.n += n


def progress(total: int, initial: int = 0, desc: str = "", unit: str = "item", enabled: bool = True, file=None):
    """A tqdm bar when ``enabled`` and ``file`` (default stderr) is a terminal; a :class:`LineProgress`
    when enabled but redirected; one that reports nothing but failures (``write``) when not enabled.
    ``update(n, label)`` takes an optional label of the finished item (shown in line mode)."""
    file = sys.stderr if file is None else file
    if not enabled:
        return _Silent(total, initial, desc, unit, file)
    if file.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total, initial=initial, desc=desc, unit=unit, file=file)
        plain_update = bar.update
        bar.update = lambda n=1, label="": plain_update(n)
        return bar
    return LineProgress(total, initial, desc, unit, file)
