"""``researches.ctc_unity`` is an alias of the plugin package ``ctc_unity``.

The plugin's canonical module name is ``ctc_unity`` (fairseq's ``--user-dir researches/ctc_unity``
imports it under that name; ``pip install -e .`` installs it so). Importing it as
``researches.ctc_unity.X`` returns the very same module objects as ``ctc_unity.X``, so fairseq's
models, tasks and criterions are registered once whichever name is used.
"""
import importlib
import importlib.abc
import importlib.util
import sys

_ALIAS, _CANONICAL = __name__ + ".ctc_unity", "ctc_unity"


class _AliasLoader(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves ``researches.ctc_unity[.X]`` to the already-importable ``ctc_unity[.X]``."""

    def find_spec(self, name, path=None, target=None):
        if name == _ALIAS or name.startswith(_ALIAS + "."):
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        module = importlib.import_module(_CANONICAL + spec.name[len(_ALIAS):])
        spec.loader_state = module.__spec__  # the import system sets __spec__ = spec: restored below
        return module

    def exec_module(self, module):  # the canonical module is already executed
        module.__spec__ = module.__spec__.loader_state


if not any(isinstance(f, _AliasLoader) for f in sys.meta_path):
    sys.meta_path.insert(0, _AliasLoader())
