"""Read the registry data files (YAML) with the line of every entry, so a bad entry is reported as file:line.

The shipped files live in ``ingest/structure/registries/``. Staff extend them there, or put files of the same
names in the directory named by ``COOPWATCH_REGISTRY_DIR``: their entries are added to the shipped ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ingest.settings import ConfigError

SHIPPED = Path(__file__).resolve().parent / "registries"
EXTRA_ENV = "COOPWATCH_REGISTRY_DIR"


class RegistryError(ConfigError):
    """A registry file that cannot be used, with the file, the line and how to fix it (the CLI prints it, exit 2)."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path, self.line = str(path), line
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")


class LineDict(dict):
    """A mapping read from YAML that remembers its own line and the line of each key (1-based)."""

    line: int = 0
    lines: dict[str, int]


class LineList(list):
    """A sequence read from YAML that remembers the line of each item (1-based)."""

    lines: list[int]


class _LineLoader(yaml.SafeLoader):
    """A safe YAML loader whose mappings and sequences remember where they were written."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        out = LineDict(super().construct_mapping(node, deep=True))
        out.line = node.start_mark.line + 1
        out.lines = {self.construct_object(k, deep=True): k.start_mark.line + 1 for k, _ in node.value}
        return out

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:
        out = LineList(super().construct_sequence(node, deep=True))
        out.lines = [item.start_mark.line + 1 for item in node.value]
        return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _LineLoader.construct_sequence)


def read_yaml(path: Path) -> Any:
    """Parse one registry file; a syntax error becomes a RegistryError naming the line."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise RegistryError(path, line, f"not valid YAML ({exc.problem}); check the indentation and brackets") from exc
    except OSError as exc:
        raise RegistryError(path, None, f"cannot be read ({exc.strerror})") from exc


def registry_paths(name: str) -> list[Path]:
    """Return the shipped file of that name and, when present, the staff's extra file of the same name."""
    paths = [SHIPPED / name]
    extra = os.environ.get(EXTRA_ENV)
    if extra and (Path(extra) / name).is_file():
        paths.append(Path(extra) / name)
    return paths


def entries(path: Path, data: Any) -> Iterator[tuple[int, LineDict]]:
    """Yield (line, entry) for a file that is a list of mappings, rejecting anything else."""
    if data is None:
        return
    if not isinstance(data, list):
        raise RegistryError(path, getattr(data, "line", 1), "expected a list of entries, each starting with '- key:'")
    for line, item in zip(getattr(data, "lines", [1] * len(data)), data):
        if not isinstance(item, dict):
            raise RegistryError(path, line, "each entry must be a mapping such as '- key: ...' with 'names: [...]'")
        yield line, item


def names_of(path: Path, line: int, entry: dict, field: str = "names") -> list[str]:
    """Return an entry's list of names, rejecting a missing, empty or non-text list."""
    value = entry.get(field)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise RegistryError(path, getattr(entry, "lines", {}).get(field, line),
                            f"'{field}' must be a non-empty list of names, e.g. {field}: [Name, 名称]")
    return [v.strip() for v in value]


def check_keys(path: Path, line: int, entry: dict, allowed: set[str], required: set[str]) -> None:
    """Reject unknown and missing keys of one entry, naming the line and the keys that are allowed."""
    unknown = set(entry) - allowed
    if unknown:
        key = sorted(unknown)[0]
        raise RegistryError(path, getattr(entry, "lines", {}).get(key, line),
                            f"unknown key {key!r}; allowed keys are {', '.join(sorted(allowed))}")
    missing = required - set(entry)
    if missing:
        raise RegistryError(path, line, f"missing {', '.join(sorted(missing))}")
