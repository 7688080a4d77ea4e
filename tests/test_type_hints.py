"""Public functions and methods of core/ carry type hints (issue « Portal kit », code hygiene).

ruff's flake8-annotations rules (ANN) cannot say "public functions only": ANN001 (missing parameter
type) applies to private helpers and to the closures of decorators and `init_app` as well. So this
test reads core/**/*.py with `ast` and lists every public function or method whose parameters or
return lack an annotation:

- public: a module-level function, or a method of a module-level class (and of the classes nested
  in it), whose name does not start with "_", and whose class names do not either; `__init__` is
  public too, but may leave out its `-> None`;
- every parameter is checked (*args and **kwargs included) but the first one of a method (self or
  cls; a @staticmethod has none);
- functions defined inside a function (decorator wrappers, hooks registered by `init_app`) are not
  public and are not checked.

Run it alone: `python -m pytest -p no:xdist -q tests/test_type_hints.py`."""
import ast
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED_PACKAGES = ("core",)

# Modules being rewritten on other branches, which add their hints there. Remove each entry once
# that branch is merged (paths relative to the repository, fnmatch patterns: `*` also crosses `/`).
NOT_YET_ANNOTATED = (
)


def _is_staticmethod(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)


def _missing(node: ast.FunctionDef | ast.AsyncFunctionDef, is_method: bool) -> list[str]:
    """What `node` leaves unannotated: parameter names, and "return"."""
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    if is_method and not _is_staticmethod(node):
        positional = positional[1:]
    params = [*positional, *args.kwonlyargs]
    missing = [a.arg for a in params if a.annotation is None]
    missing += [f"*{a.arg}" for a in (args.vararg,) if a is not None and a.annotation is None]
    missing += [f"**{a.arg}" for a in (args.kwarg,) if a is not None and a.annotation is None]
    if node.returns is None and node.name != "__init__":
        missing.append("return")
    return missing


def _public_functions(body: list[ast.stmt], prefix: str = "", in_class: bool = False):
    """(qualified name, node, is_method) of the public functions and methods in `body`."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if not node.name.startswith("_") or node.name == "__init__":
                yield prefix + node.name, node, in_class
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            yield from _public_functions(node.body, f"{prefix}{node.name}.", in_class=True)
        elif isinstance(node, (ast.If, ast.Try)):  # `if TYPE_CHECKING:`, `try: import … except …:`
            handlers = [h.body for h in getattr(node, "handlers", ())]
            for block in (node.body, *handlers, node.orelse, getattr(node, "finalbody", [])):
                yield from _public_functions(block, prefix, in_class)


def unannotated(root: Path = ROOT, packages: tuple[str, ...] = CHECKED_PACKAGES,
                allowed: tuple[str, ...] = NOT_YET_ANNOTATED) -> list[str]:
    """« path:line name: what is missing » for every offender under `packages`."""
    offenders = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if any(fnmatch(relative, pattern) for pattern in allowed):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
            for name, node, is_method in _public_functions(tree.body):
                missing = _missing(node, is_method)
                if missing:
                    offenders.append(f"{relative}:{node.lineno} {name}: {', '.join(missing)}")
    return offenders


def test_public_functions_of_core_have_type_hints():
    offenders = unannotated()
    assert not offenders, ("Public functions without type hints (annotate every parameter and the return):\n"
                           + "\n".join(offenders))


def test_the_check_finds_what_it_should(tmp_path):
    (tmp_path / "core" / "sub").mkdir(parents=True)
    (tmp_path / "core" / "mod.py").write_text(
        "def ok(a: int, *rest: str, b: int = 0, **kw: str) -> None: ...\n"
        "def bad(a, b: int): ...\n"
        "def _private(a): ...\n"
        "def outer() -> None:\n"
        "    def inner(x): ...\n"
        "class Thing:\n"
        "    def __init__(self, a: int): ...\n"
        "    def __repr__(self): ...\n"
        "    def method(self, *args, **kwargs) -> int: ...\n"
        "    @classmethod\n"
        "    def build(cls) -> 'Thing': ...\n"
        "    @staticmethod\n"
        "    def helper(x) -> int: ...\n"
        "    class Meta:\n"
        "        def hook(self): ...\n"
        "class _Hidden:\n"
        "    def method(self, x): ...\n"
        "if True:\n"
        "    def conditional(x: int): ...\n", encoding="utf-8")
    (tmp_path / "core" / "sub" / "skipped.py").write_text("def bad(a): ...\n", encoding="utf-8")
    assert unannotated(tmp_path, ("core",), ("core/sub/*",)) == [
        "core/mod.py:2 bad: a, return",
        "core/mod.py:9 Thing.method: *args, **kwargs",
        "core/mod.py:13 Thing.helper: x",
        "core/mod.py:15 Thing.Meta.hook: return",
        "core/mod.py:19 conditional: return",
    ]
