"""Load one NLTK module without importing the rest of NLTK.

``import nltk`` takes 1-2 s (its ``__init__`` loads scipy, numpy and every corpus
reader), while the two parts searchkit uses, the Porter stemmer and the Punkt
sentence splitter, need only a few small helper modules. The module is loaded
under stand-in ``nltk`` packages that are removed again afterwards, with the
helpers, so a later ``import nltk`` builds everything anew. The code that runs is
NLTK's own, so stems and sentence boundaries are the same.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
from typing import Any

__all__ = ["load"]


def load(module: str) -> Any:
    """``import <module>`` for a module inside NLTK, loading as little NLTK as can be."""
    if "nltk" in sys.modules:  # already paid for
        return importlib.import_module(module)
    before = set(sys.modules)
    try:
        spec = importlib.util.find_spec("nltk")
        root = list(spec.submodule_search_locations or [])[0] if spec else None
        if root is None:
            raise ImportError("nltk is not installed")
        parts = module.split(".")[:-1]  # the packages above the module: nltk, nltk.stem, ...
        for depth in range(1, len(parts) + 1):
            package = types.ModuleType(".".join(parts[:depth]))
            package.__path__ = [os.path.join(root, *parts[1:depth])]
            package.__package__ = package.__name__
            sys.modules[package.__name__] = package
        return importlib.import_module(module)
    except Exception:  # another NLTK layout: take the slow way below
        pass
    finally:
        for loaded in set(sys.modules) - before:
            if loaded == "nltk" or loaded.startswith("nltk."):
                sys.modules.pop(loaded, None)
    return importlib.import_module(module)
