"""YAML documents with their node trees, so every problem can point at a line.

``yaml.safe_load_all`` throws the positions away; reading nodes first
(``compose``) and constructing the data from them keeps both. The node tree
also catches what the data cannot show: a key written twice in one mapping,
which PyYAML silently resolves to the last value while the API server refuses
the whole object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True)
class Document:
    """One document of a YAML file: its data and the nodes it was built from."""

    file: str
    index: int
    """Position among the file's non-empty documents, from 0."""
    node: yaml.Node
    data: Any

    @property
    def line(self) -> int:
        """The 1-based line where the document's content starts."""
        return self.node.start_mark.line + 1


@dataclass(frozen=True)
class SyntaxProblem:
    """YAML that does not parse: where, and the parser's own words."""

    file: str
    line: int | None
    message: str


@dataclass(frozen=True)
class DuplicateKey:
    """A mapping key written twice; the later value would silently win."""

    line: int
    path: str
    key: str
    first_line: int


def parse_documents(file: str, text: str) -> list[Document] | SyntaxProblem:
    """Every non-empty document of ``text``, or the first syntax error in it."""
    loader = yaml.SafeLoader(text)
    documents: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            data = loader.construct_document(node)
            if data is not None:
                documents.append(Document(file, len(documents), node, data))
    except yaml.MarkedYAMLError as error:
        return _syntax_problem(file, error)
    except yaml.YAMLError as error:
        return SyntaxProblem(file, None, f"{error}; fix the YAML")
    finally:
        loader.dispose()
    return documents


def _syntax_problem(file: str, error: yaml.MarkedYAMLError) -> SyntaxProblem:
    mark = error.problem_mark or error.context_mark
    words = [part for part in (error.context, error.problem) if part]
    message = ", ".join(words) or "invalid YAML"
    if "'\\t'" in message:
        hint = "indent with spaces: YAML does not allow tabs there"
    else:
        hint = "fix the YAML here (check indentation, quotes and closing brackets)"
    return SyntaxProblem(file, mark.line + 1 if mark else None, f"{message}; {hint}")


def duplicate_keys(node: yaml.Node, path: str = "") -> list[DuplicateKey]:
    """Keys set twice in one mapping anywhere under ``node``, with the path of the mapping."""
    found: list[DuplicateKey] = []
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value)
            here = f"{path}.{name}" if path else name
            if name in first:
                found.append(DuplicateKey(key.start_mark.line + 1, here, name, first[name]))
            else:
                first[name] = key.start_mark.line + 1
            found.extend(duplicate_keys(value, here))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found.extend(duplicate_keys(item, f"{path}[{index}]"))
    return found
