"""From a field path (``spec.steps[3].needs[0]``) to the line of a YAML document.

Validation names fields, editors and CI logs want lines. The path is followed
through the document's node tree as far as it goes: a field that is missing
(``spec.app: required field is missing``) points at its nearest parent that
exists, which is where it has to be added.
"""

from __future__ import annotations

import re

import yaml

_TOKEN = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")


def path_tokens(path: str) -> list[str | int]:
    """``spec.steps[3].needs[0]`` -> ``['spec', 'steps', 3, 'needs', 0]``."""
    tokens: list[str | int] = []
    for index, name in _TOKEN.findall(path):
        tokens.append(int(index) if index else name)
    return tokens


def line_of(root: yaml.Node, path: str) -> int:
    """The 1-based line of the field at ``path``, or of its nearest existing parent."""
    node = root
    line = root.start_mark.line
    tokens = path_tokens(path)
    position = 0
    while position < len(tokens):
        token = tokens[position]
        if isinstance(node, yaml.SequenceNode) and isinstance(token, int):
            if token >= len(node.value):
                break
            node = node.value[token]
            line = node.start_mark.line
            position += 1
        elif isinstance(node, yaml.MappingNode) and isinstance(token, str):
            found = _key(node, tokens, position)
            if found is None:
                break
            key, node, position = found
            line = key.start_mark.line
        else:
            break
    return line + 1


def _key(
    node: yaml.MappingNode, tokens: list[str | int], position: int
) -> tuple[yaml.Node, yaml.Node, int] | None:
    # Map keys may hold dots (nodeSelector: {acme.dev/pool: macos}), so a key
    # is tried with as many following name tokens as it takes to match.
    words: list[str] = []
    for end in range(position, len(tokens)):
        token = tokens[end]
        if not isinstance(token, str):
            break
        words.append(token)
        wanted = ".".join(words)
        for key, value in node.value:
            if str(key.value) == wanted:
                return key, value, end + 1
    return None
