"""The project's own JavaScript: ≤ 3 KB gzipped, from a readable source file (quality.md §2, issue 11).

There is no build step: static/js/guichet.js is served as written, so the readable source itself
must stay within the budget, at every compression level a proxy may use (nginx's gzip_comp_level
defaults to 1; 6 is the common setting; 9 is the most)."""
import gzip
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "static" / "js" / "guichet.js"
BUDGET = 3072  # bytes, gzipped


@pytest.fixture(scope="module")
def source():
    return SCRIPT.read_bytes()


@pytest.mark.parametrize("level", [1, 6, 9])
def test_gzipped_weight_within_budget(source, level):
    size = len(gzip.compress(source, compresslevel=level))
    assert size <= BUDGET, f"guichet.js is {size} bytes gzipped at level {level}, budget {BUDGET}"


def test_source_is_readable_not_minified(source):
    lines = source.decode("utf-8").splitlines()
    assert len(lines) >= 150, "one statement per line, not a hand-minified file"
    long_lines = [n for n, line in enumerate(lines, 1) if len(line) > 120]
    assert not long_lines, f"lines longer than 120 characters: {long_lines}"
    assert any(line.strip() == '"use strict";' for line in lines)
    code = [line for line in lines if line.strip() and not line.strip().startswith(("//", "/*", "*"))]
    # Indented blocks (4 spaces per level), never several statements on one line.
    assert all((len(line) - len(line.lstrip(" "))) % 4 == 0 for line in code)
    assert not [line for line in code if re.search(r";\s*\S", line.split("//")[0]) and "for (" not in line]
    # Descriptive names: no one-letter variable or function (the minified file had d, t, g, z...).
    short_names = re.findall(r"\b(?:var|function)\s+([A-Za-z_$])\b", "\n".join(code))
    assert not short_names, f"one-letter names: {short_names}"


def test_source_has_no_build_step_artifacts(source):
    text = source.decode("utf-8")
    assert "sourceMappingURL" not in text
    assert "import " not in text and "export " not in text  # a classic script, no modules
