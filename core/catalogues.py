"""Catalogues shipped as data files in data/catalogues/ (ODS, motives, MSA themes…)."""
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "data" / "catalogues"


@lru_cache(maxsize=None)
def load(name: str) -> Any:
    with (CATALOGUE_DIR / f"{name}.json").open(encoding="utf-8") as f:
        return json.load(f)
