"""Safe YAML loading that remembers where every key was written.

Question files come from strangers' pull requests, so errors must point at a file, a line
and a field. PyYAML's `safe_load` forgets positions and silently keeps the last of two
duplicate keys; here we compose the node tree with the safe loader, record each key's line,
reject duplicates, and only then construct plain Python data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1_000_000

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One user-facing problem in a file: `file:line: field: message`."""

    path: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass
class LoadedYaml:
    """Parsed YAML data plus the line of every key path (1-based)."""

    data: Any
    lines: dict[Location, int] = field(default_factory=dict)

    def line_of(self, loc: Location) -> int | None:
        """Line of the deepest known prefix of `loc` (a missing key points at its parent)."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return None


class YamlError(Exception):
    """A file that is not acceptable YAML; carries the problems found."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


class _Loader(yaml.SafeLoader):
    """The safe loader, reporting values Python rejects (e.g. the date 2025-13-45) as YAML
    errors at their line instead of letting a bare ValueError escape. An explicit tag on a
    value it does not fit (`!!bool maybe`, `!!int ''`, `!!timestamp soon`) makes PyYAML's
    constructors fail with KeyError, IndexError or AttributeError: reported the same way."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError, LookupError, AttributeError) as exc:
            shown = node.value if isinstance(node, yaml.ScalarNode) else node.tag
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid value {shown!r}: {exc}", node.start_mark
            ) from None

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        # A merge key copies the merged pairs into the node; chained through aliases
        # (`b: &b {<<: [*a, *a]}`, `c: &c {<<: [*b, *b]}`, ...) the copies grow exponentially.
        # Keep only the last pair of each key: the one the constructed dict keeps anyway.
        super().flatten_mapping(node)
        keys = [
            (k.tag, k.value) if isinstance(k, yaml.ScalarNode) else id(k) for k, _ in node.value
        ]
        last = {key: i for i, key in enumerate(keys)}
        node.value = [pair for i, pair in enumerate(node.value) if last[keys[i]] == i]


def _walk(
    node: yaml.Node,
    loc: Location,
    lines: dict[Location, int],
    path: str,
    seen_nodes: set[int] | None = None,
) -> list[Problem]:
    problems: list[Problem] = []
    # An alias is the same node object as its anchor: walk each collection once, so that
    # nested aliases ("billion laughs") or a recursive anchor cannot blow up the walk.
    seen_nodes = set() if seen_nodes is None else seen_nodes
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        if id(node) in seen_nodes:
            return problems
        seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                # Never stringify it: an aliased list as a key can expand exponentially.
                where = ".".join(str(p) for p in loc)
                message = "a key must be a plain value, not a list or mapping"
                problems.append(Problem(path, line, where, message))
                continue
            key = key_node.value
            dotted = ".".join(str(p) for p in (*loc, key))
            if key in seen:
                problems.append(
                    Problem(path, line, dotted, f"duplicate key (first set on line {seen[key]})")
                )
                continue
            seen[key] = line
            lines[(*loc, key)] = line
            problems += _walk(value_node, (*loc, key), lines, path, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*loc, index)] = item.start_mark.line + 1
            problems += _walk(item, (*loc, index), lines, path, seen_nodes)
    return problems


def parse_yaml(text: str, path: str) -> LoadedYaml:
    """Parse one YAML document safely; raise `YamlError` naming file and line."""
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # checks the whole text for control characters
        row = text.count("\n", 0, exc.position) + 1
        message = f"invalid YAML: {exc.reason} (character #x{exc.character:04x})"
        raise YamlError([Problem(path, row, "", message)]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return LoadedYaml(data=None)
        lines: dict[Location, int] = {(): node.start_mark.line + 1}
        problems = _walk(node, (), lines, path)
        if problems:
            raise YamlError(problems)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise YamlError([Problem(path, line, "", f"invalid YAML: {message}")]) from None
    except yaml.YAMLError as exc:
        raise YamlError([Problem(path, None, "", f"invalid YAML: {exc}")]) from None
    except RecursionError:  # PyYAML composes nested lists and mappings recursively
        raise YamlError([Problem(path, None, "", "invalid YAML: nested too deeply")]) from None
    finally:
        loader.dispose()
    return LoadedYaml(data=data, lines=lines)


def read_yaml(path: Path, display: str | None = None) -> LoadedYaml:
    """Read and parse a YAML file, refusing oversized and non-UTF-8 files."""
    shown = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlError([Problem(shown, None, "", f"cannot read file: {exc.strerror}")]) from None
    if len(raw) > MAX_BYTES:
        raise YamlError(
            [Problem(shown, None, "", f"file is {len(raw):,} bytes; the limit is {MAX_BYTES:,}")]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlError(
            [Problem(shown, line, "", "file is not valid UTF-8 text; save it as UTF-8")]
        ) from None
    return parse_yaml(text, shown)
