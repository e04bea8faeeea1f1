"""The tags offered per satisfaction level (好差评), read from ``rating_tags.toml`` beside this module."""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

TAGS_FILE = Path(__file__).with_name("rating_tags.toml")
MAX_TAGS = 9  # picked by a single digit in the chat


@functools.cache
def tags_by_level(path: Path = TAGS_FILE) -> dict[int, tuple[str, ...]]:
    """{level: tags} for levels 1–5; a level missing from the file offers no tags."""
    with path.open("rb") as handle:
        levels = tomllib.load(handle).get("levels", {})
    result = {}
    for level in range(1, 6):
        tags = [str(tag).strip() for tag in levels.get(str(level), []) if str(tag).strip()]
        result[level] = tuple(dict.fromkeys(tags))[:MAX_TAGS]
    return result
