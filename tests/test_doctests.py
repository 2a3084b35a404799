"""Every module's doctests run: the examples in docstrings are part of the contract."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import hotline

MODULES = sorted(m.name for m in pkgutil.walk_packages(hotline.__path__, "hotline.")
                 if not m.name.startswith("hotline.web"))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest example(s) failed in {name}"
