"""Read the YAML files people write (settings, sources) as plain data, with ``file:line`` errors.

What a careless or hostile file can do to a YAML loader is refused before any value is built: bytes
that are not UTF-8, anchors and aliases (an alias "bomb" expands to billions of nodes), tags other than
YAML's own (``!!python/object``), keys given twice in one mapping (YAML silently keeps the last),
nesting deep enough to exhaust the parser's recursion. Each refusal is a :class:`ConfigError` naming the
file and the line, and the fix. (``search.alerts.rules`` checks the alerts rules file the same way; it
keeps its own copy because ``search`` may import only ``ingest.models``.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 5_000_000
MAX_DEPTH = 50
STANDARD_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in
                          ("str", "int", "float", "bool", "null", "map", "seq", "timestamp"))


class ConfigError(ValueError):
    """A configuration problem a user can fix; the message names the file, line and fix."""


def read_text(path: str | Path, what: str) -> str:
    """Read a config file as UTF-8 text; refuse a huge or undecodable one naming the line of the first bad byte."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what} ({exc.strerror})") from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(f"{path}: {len(data)} bytes is too large for {what} (limit {MAX_FILE_BYTES})")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}): save {what} as UTF-8") from None


def compose(text: str, path: str | Path) -> yaml.Node | None:
    """Parse YAML into nodes (line numbers kept) and refuse deep nesting, aliases, foreign tags and duplicate keys."""
    try:
        check_depth(text, path)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise ConfigError(f"{path}:{line}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    check_nodes(root, path)
    return root


def check_depth(text: str, path: str | Path) -> None:
    """Refuse lists and mappings nested deeper than MAX_DEPTH (the YAML composer recurses on them)."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise ConfigError(f"{path}:{event.start_mark.line + 1}: YAML nested more than {MAX_DEPTH} levels "
                                  "deep; write plain lists and mappings")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def check_nodes(root: yaml.Node | None, path: str | Path) -> None:
    """Refuse a node reached twice (an alias), a non-standard tag, or a mapping that repeats a key."""
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        line = node.start_mark.line + 1
        if node.tag not in STANDARD_TAGS:
            shown = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise ConfigError(f"{path}:{line}: the YAML tag {shown!r} is not allowed: write plain values "
                              "(text, numbers, lists, mappings)")
        if id(node) in seen:
            raise ConfigError(f"{path}:{line}: YAML anchors and aliases (&name, *name) are not allowed: "
                              "write each value out")
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(_mapping_children(node, path))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _mapping_children(node: yaml.MappingNode, path: str | Path) -> list[yaml.Node]:
    keys: dict[str, int] = {}
    children = []
    for key, value in node.value:
        text = key.value if isinstance(key, yaml.ScalarNode) else None
        if text in keys:
            raise ConfigError(f"{path}:{key.start_mark.line + 1}: key {text!r} appears twice in one mapping "
                              f"(first on line {keys[text]}); keep one")
        if text is not None:
            keys[text] = key.start_mark.line + 1
        children += [key, value]
    return children


def construct(node: yaml.Node | None, path: str | Path) -> Any:
    """Build plain Python values from a checked node."""
    if node is None:
        return None
    try:
        return yaml.SafeLoader(yaml.serialize(node)).get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or node.start_mark
        raise ConfigError(f"{path}:{mark.line + 1}: {getattr(exc, 'problem', None) or exc}") from None


def load_yaml(path: str | Path, what: str) -> tuple[Any, yaml.Node | None]:
    """Return (plain data, root node) of a YAML config file, checked as described above."""
    root = compose(read_text(path, what), path)
    return construct(root, path), root
