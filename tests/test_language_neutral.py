"""Nothing outside the language folders names a language: the grep-style check of issue 19.

Every Python module of the toolkit (``researches/``, ``agent/``, ``server/``, ``benchmarks/``,
``preprocess_scripts/``, ``scripts/``) and every shell script is scanned, except the language
folders themselves (``datasets/grammars/``, ``datasets/lexicons/``), for:

* string literals (docstrings excepted: they may give examples) that are a source-language code
  of an embedded grammar or start a pair, voice or compound with it (``"fr"``, ``"de-en"``,
  ``"fr+m3"``, ``"common_voice_es_"``);
* identifiers that are such a code or carry it as a word (``fr``, ``fr_col``, ``FR_CHARSET``);
* in shell scripts, the same forms outside comments.

The codes come from the grammars (:data:`LANG_PAIRS`), so a new pair is checked as soon as it exists.
The target side is English throughout (CVSS-C and the embedded corpora are X -> English): the
English-only pieces (the target voice, the pocketsphinx judge's English model) say so in their names.
"""

import ast
import os
import re

import pytest

from ctc_unity.datasets.grammars import LANG_PAIRS, split_lang_pair

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCANNED = ("researches", "agent", "server", "benchmarks", "preprocess_scripts", "scripts")
LANGUAGE_FOLDERS = (os.path.join("datasets", "grammars"), os.path.join("datasets", "lexicons"))
CODES = frozenset(split_lang_pair(pair)[0] for pair in LANG_PAIRS)
_ALT = "|".join(sorted(CODES))
#: a code alone, or as the first part of ``code-xx`` / ``code_xx`` / ``code+xx`` (not inside a word)
NAMED = re.compile(rf"^\s*({_ALT})\s*$|(?<![A-Za-z0-9])({_ALT})[-_+][A-Za-z]|[-_]({_ALT})(?![A-Za-z0-9])", re.I)


def _files(ext):
    for top in SCANNED:
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, top)):
            dirnames[:] = [d for d in dirnames if d not in ("__pycache__", "node_modules")]
            rel = os.path.relpath(dirpath, ROOT)
            if any(folder in rel for folder in LANGUAGE_FOLDERS):
                continue
            for name in filenames:
                if name.endswith(ext):
                    yield os.path.join(dirpath, name)
    if ext == ".sh":
        yield from (os.path.join(ROOT, n) for n in sorted(os.listdir(ROOT)) if n.endswith(".sh"))


def _names_code(text: str) -> bool:
    return NAMED.search(text) is not None


def _docstrings(tree):
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def python_offences(path):
    """``[(line, what)]``: language codes in string literals and identifiers of one module."""
    tree = ast.parse(open(path, encoding="utf-8").read(), filename=path)
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            if _names_code(node.value):
                found.append((node.lineno, repr(node.value)))
        for ident in (getattr(node, "id", None), getattr(node, "attr", None), getattr(node, "arg", None),
                      node.name if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else None):
            if isinstance(ident, str) and any(p.lower() in CODES for p in ident.split("_")):
                found.append((node.lineno, ident))
    return found


def shell_offences(path):
    found = []
    for i, line in enumerate(open(path, encoding="utf-8"), 1):
        code = line.split("#", 1)[0] if not line.lstrip().startswith("#!") else ""
        if _names_code(code):
            found.append((i, line.strip()))
    return found


def test_the_check_catches_a_language_code(tmp_path):
    """The scanner itself: a literal, an identifier and a shell word are found; docstrings are not."""
    src = tmp_path / "m.py"
    code = sorted(CODES)[0]
    src.write_text(f'"""Docstring naming {code} is fine."""\nx = "{code}+m3"\n{code}_col = 1\n')
    assert [ln for ln, _ in python_offences(str(src))] == [2, 3]
    sh = tmp_path / "s.sh"
    sh.write_text(f"# comment {code} is fine\nLANG_PAIR=${{LANG_PAIR:-{code}-xx}}\n")
    assert [ln for ln, _ in shell_offences(str(sh))] == [2]


@pytest.mark.parametrize("ext", [".py", ".sh"])
def test_no_module_outside_the_language_folders_names_a_language(ext):
    scan = python_offences if ext == ".py" else shell_offences
    offences = {os.path.relpath(p, ROOT): off for p in _files(ext) for off in [scan(p)] if off}
    assert not offences, "\n".join(f"{f}:{ln}: {what}" for f, off in offences.items() for ln, what in off)
