"""YAML from the user's files, parsed with aliases bounded, so that an alias bomb fails fast.

Why: YAML aliases (`*a`) repeat an anchored node without copying it, so ten lines of "billion laughs"
(`b: [*a, *a, ...]` nine levels deep) compose in no time but stand for 10^9 nodes; whatever walks the
result afterwards (our config checker, str() of a value, yaml.serialize) then runs for hours or fills the
memory. Every YAML file the build reads (site.yaml, pairings.yaml, id_renames) goes through `compose`
or `load` here. The loader counts, for each alias, the nodes of the subtree it repeats; when aliases
add more than MAX_ALIAS_NODES nodes to what the file literally writes, parsing stops at once with a
YAMLError naming the line. A file without aliases is never limited, however long; a recursive alias
(a node containing itself) is refused too, since it stands for an infinite tree.
"""

from __future__ import annotations

from pathlib import Path

import yaml

MAX_ALIAS_NODES = 100_000  # nodes aliases may add beyond the written ones; real configs add a few dozen


class AliasLimitError(yaml.YAMLError):
    """The file's aliases stand for too many nodes (or for an infinite tree)."""


class BoundedSafeLoader(yaml.SafeLoader):
    """yaml.SafeLoader that sizes every node as composed and refuses aliases that expand too far."""

    def __init__(self, stream):
        super().__init__(stream)
        self._sizes: dict[int, int] = {}  # id(node) -> nodes in its subtree, aliases expanded
        self._alias_nodes = 0  # nodes added by aliases so far

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            anchored = self.anchors.get(event.anchor)
            if anchored is not None:
                size = self._sizes.get(id(anchored))
                if size is None:  # its own subtree is still being composed: it contains itself
                    raise AliasLimitError(f"recursive alias *{event.anchor} at line {event.start_mark.line + 1}; refused")
                self._alias_nodes += size
                if self._alias_nodes > MAX_ALIAS_NODES:
                    raise AliasLimitError(
                        f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes (at *{event.anchor}, line "
                        f"{event.start_mark.line + 1}): an alias bomb? refused")
            return super().compose_node(parent, index)
        node = super().compose_node(parent, index)
        self._sizes[id(node)] = 1 + sum(self._sizes.get(id(child), 1) for child in _children(node))
        return node


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def compose(text: str) -> yaml.Node | None:
    """The node tree of one YAML document, aliases bounded (raises yaml.YAMLError, AliasLimitError included)."""
    loader = BoundedSafeLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def load(text: str):
    """Plain Python values of one YAML document, aliases bounded (what yaml.safe_load returns)."""
    loader = BoundedSafeLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_file(path: Path):
    """`load` of a file's UTF-8 text; a YAML error becomes a ValueError whose one line names the file."""
    try:
        return load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc


def list_items(path: Path, key: str, kind: str, shape: str) -> list[yaml.Node]:
    """The item nodes of a curator's YAML file that must be a list (pairings.yaml, patterns.yaml), each with
    its start mark for messages; [] for an empty file. `key` is the site.yaml key naming the file, `kind`
    its name in messages ("pairings"), `shape` what an entry holds. Raises FileNotFoundError for a missing
    file and ValueError (one line naming the file) for one that is not YAML or not a list."""
    if not path.is_file():
        raise FileNotFoundError(f"{kind} file not found: {path} ({kind}.file: '{key or path}')")
    try:
        node = compose(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc
    if node is None:
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise ValueError(f"{path}: {kind} must be a list of entries with {shape}")  # noqa: TRY004 (a user's file)
    return list(node.value)
