"""Cascading choices (theme → subject → reason…) read from a JSON catalogue in data/catalogues/.

The chosen codes travel as one query-string parameter per level (`?theme=…&subject=…`), so a
refresh or the back button never loses them, and the same URL works with and without JavaScript.
A view turns those parameters into a `CascadeState` and hands it to the `cascade` macro
(templates/components/cascade.html):

    state = Cascade.load("demo-cascade").resolve(request.args)
    if state.complete:
        ...  # state.leaf is the last node chosen, state.codes the codes to store

Catalogue format (JSON):

    {"levels": [{"field": "theme", "label": "Thème", "error": "Sélectionnez le thème."}, …],
     "choices": [{"code": "famille", "label": "Famille, logement", "children": [...]}, …]}

Any other key of a node (e.g. "online_service") is kept in `node.extra`. A node without children
before the last level ends the cascade early (a one-question branch)."""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Self
from urllib.parse import urlencode

CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "data" / "catalogues"
CATALOGUE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# Level fields become query-string and form parameter names.
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
NODE_KEYS = ("code", "label", "children")


class CatalogueError(ValueError):
    """The catalogue file is malformed; the message says where."""


@dataclass(frozen=True)
class Level:
    field: str
    label: str
    error: str
    placeholder: str = "Sélectionnez dans la liste"
    hint: str = ""


@dataclass(frozen=True)
class Node:
    code: str
    label: str
    children: tuple[Node, ...] = ()
    extra: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def child(self, code: str) -> Node | None:
        return next((c for c in self.children if c.code == code), None)

    def get(self, key: str, default: Any = None) -> Any:
        return self.extra.get(key, default)


@dataclass(frozen=True)
class Choice:
    level: Level
    node: Node


class Cascade:
    def __init__(self, name: str, levels: Iterable[Level], choices: Iterable[Node]) -> None:
        self.name = name
        self.levels = tuple(levels)
        self.root = Node(code="", label="", children=tuple(choices))

    @classmethod
    def load(cls, name: str) -> Cascade:
        """The catalogue data/catalogues/<name>.json, parsed and checked once per process."""
        if not CATALOGUE_NAME.match(name or ""):
            raise CatalogueError(f"nom de catalogue invalide : {name!r}")
        return _load(name)

    @classmethod
    def from_dict(cls, data: Any, name: str = "") -> Self:
        where = name or "catalogue"
        raw_levels = data.get("levels") if isinstance(data, dict) else None
        if not isinstance(raw_levels, list) or not raw_levels:
            raise CatalogueError(f"{where} : « levels » doit être une liste non vide")
        levels = []
        for i, raw in enumerate(raw_levels):
            if not isinstance(raw, dict) or not FIELD_NAME.match(str(raw.get("field", ""))):
                raise CatalogueError(f"{where} : niveau {i + 1} sans « field » valide")
            if not _text(raw.get("label")):
                raise CatalogueError(f"{where} : niveau {raw['field']} sans « label »")
            levels.append(Level(
                field=raw["field"], label=raw["label"].strip(),
                error=_text(raw.get("error")) or f"Sélectionnez un choix dans la liste « {raw['label'].strip()} ».",
                placeholder=_text(raw.get("placeholder")) or Level.placeholder,
                hint=_text(raw.get("hint"))))
        if len({lv.field for lv in levels}) != len(levels):
            raise CatalogueError(f"{where} : deux niveaux ont le même « field »")
        choices = _nodes(data.get("choices"), 0, len(levels), where)
        if not choices:
            raise CatalogueError(f"{where} : « choices » est vide")
        return cls(name, levels, choices)

    def resolve(self, params: Mapping[str, Any] | None) -> CascadeState:
        """The choices found in `params` (request.args, request.form or a dict), level by level.

        Stops at the first level that is missing, empty or unknown: deeper codes depend on it,
        so they are dropped. An unknown code is ignored silently (stale link, edited URL); an
        empty one means "Valider" was pressed without choosing, which is an error to show."""
        path, node, error = [], self.root, None
        for level in self.levels:
            if node.is_leaf:
                break
            raw = params.get(level.field) if params is not None else None
            if raw is None:
                break
            code = str(raw).strip()
            if not code:
                error = level.error
                break
            chosen = node.child(code)
            if chosen is None:
                break
            path.append(Choice(level, chosen))
            node = chosen
        return CascadeState(self, tuple(path), error)

    def walk(self) -> Iterator[tuple[int, Node]]:
        """Every (depth, node) of the tree, depth first."""
        stack = [(0, n) for n in reversed(self.root.children)]
        while stack:
            depth, node = stack.pop()
            yield depth, node
            stack.extend((depth + 1, c) for c in reversed(node.children))


@dataclass(frozen=True)
class LevelSelect:
    """One select of a cascade shown inside a form that posts every level at once."""
    level: Level
    options: tuple[Node, ...]
    selected: str  # the code chosen at this level, "" while nothing is


@dataclass(frozen=True)
class CascadeState:
    cascade: Cascade
    path: tuple[Choice, ...]
    error: str | None = None

    @property
    def node(self) -> Node:
        """The deepest node chosen (the root when nothing is chosen yet)."""
        return self.path[-1].node if self.path else self.cascade.root

    @property
    def complete(self) -> bool:
        return bool(self.path) and self.node.is_leaf

    @property
    def leaf(self) -> Node | None:
        return self.node if self.complete else None

    @property
    def current_level(self) -> Level | None:
        """The level to ask now, or None once complete."""
        return None if self.complete else self.cascade.levels[len(self.path)]

    @property
    def options(self) -> tuple[Node, ...]:
        return () if self.complete else self.node.children

    @property
    def codes(self) -> dict[str, str]:
        """{field: code} of the choices made, in level order (to store, or to build a URL)."""
        return {c.level.field: c.node.code for c in self.path}

    @property
    def missing_message(self) -> str | None:
        """What to tell a POST form whose cascade is incomplete."""
        return None if self.complete else self.current_level.error

    def selects(self) -> tuple[LevelSelect, ...]:
        """The selects of a cascade that sits inside a larger POST form (the `cascade_selects`
        macro): every chosen level, its siblings as options so it can be changed in place, then
        the next level to choose (none once complete)."""
        result, parent = [], self.cascade.root
        for choice in self.path:
            result.append(LevelSelect(choice.level, parent.children, choice.node.code))
            parent = choice.node
        if not self.complete:
            result.append(LevelSelect(self.current_level, parent.children, ""))
        return tuple(result)

    def params(self, depth: int | None = None) -> list[tuple[str, str]]:
        """[(field, code)] of the first `depth` choices (all of them by default)."""
        return [(c.level.field, c.node.code) for c in self.path[:depth]]

    def url(self, base: str, depth: int | None = None, extra: Mapping[str, Any] | None = None) -> str:
        """`base` with the first `depth` choices (and `extra` parameters) in its query string:
        the "Modifier" link of level `depth` keeps the levels above it and drops the others."""
        query = list((extra or {}).items()) + self.params(depth)
        if not query:
            return base
        return base + ("&" if "?" in base else "?") + urlencode(query)


def _text(value):
    return value.strip() if isinstance(value, str) else ""


def _nodes(raw, depth, n_levels, where):
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise CatalogueError(f"{where} : « children » doit être une liste")
    nodes, seen = [], set()
    for item in raw:
        if not isinstance(item, dict):
            raise CatalogueError(f"{where} : chaque choix doit être un objet")
        code, label = str(item.get("code", "")), _text(item.get("label"))
        if not CODE.match(code):
            raise CatalogueError(f"{where} : code invalide {code!r}")
        if not label:
            raise CatalogueError(f"{where} : le choix {code!r} n’a pas de libellé")
        if code in seen:
            raise CatalogueError(f"{where} : code {code!r} en double au même niveau")
        seen.add(code)
        if item.get("children") and depth + 1 >= n_levels:
            raise CatalogueError(f"{where} : {code!r} a des sous-choix au-delà du dernier niveau")
        children = _nodes(item.get("children"), depth + 1, n_levels, f"{where} › {code}")
        extra = {k: v for k, v in item.items() if k not in NODE_KEYS}
        nodes.append(Node(code, label, children, MappingProxyType(extra)))
    return tuple(nodes)


@lru_cache(maxsize=None)
def _load(name):
    path = CATALOGUE_DIR / f"{name}.json"
    with path.open(encoding="utf-8") as f:
        return Cascade.from_dict(json.load(f), name=name)
