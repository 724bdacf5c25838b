"""The equation index: the README and engine/__init__.py show the same table, and every function it names
exists (so a newcomer following it lands on real code)."""

import importlib
import re
from pathlib import Path

import a3c_theory.engine

START, END = "<!-- equation-index:start -->\n", "<!-- equation-index:end -->"


def _index(text: str) -> str:
    assert text.count(START) == 1 and text.count(END) == 1
    return text[text.index(START) + len(START):text.index(END)]


def _resolve(dotted: str):
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attribute in parts[i:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(dotted)


def test_readme_and_engine_docstring_show_the_same_index():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert _index(readme) == _index(a3c_theory.engine.__doc__)


def test_every_indexed_function_exists():
    table = _index(a3c_theory.engine.__doc__)
    names = re.findall(r"`(a3c_theory\.[A-Za-z_.]+)`", table)
    assert len(names) >= 30
    for name in names:
        assert callable(_resolve(name)), name
    for symbol in ("td_error", "critic_step", "actor_coefficient", "delayed_apply", "project", "step_sizes",
                   "policy_gradient", "discounted_visitation", "stationary_distribution"):
        assert symbol in table
