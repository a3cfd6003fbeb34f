"""Check release files offline: YAML, envelope and spec, each problem with file and line.

This is the one pipeline behind ``validate`` and ``graph``, so both report
the same problem the same way: ``FILE:LINE: FIELD: message``, the message
being the one the admission webhook and the operator's ``Invalid`` phase
give (``appdeploy.api.validation``), plus advice where that message has none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

from appdeploy.api.channels import NotificationChannelSpec
from appdeploy.api.expansion import Template
from appdeploy.api.notify import REMIND_FLOOR
from appdeploy.api.pod_policy import SAFE_POLICY, StepPodPolicy
from appdeploy.api.policy import ReleasePolicySpec
from appdeploy.api.problems import InvalidSpec, Problem
from appdeploy.api.spec import AppDeploymentSpec
from appdeploy.api.validation import parse_spec
from appdeploy.cli.channel_check import channel_problems, is_channel, is_policy, policy_problems
from appdeploy.cli.documents import (
    Document,
    DuplicateKey,
    SyntaxProblem,
    duplicate_keys,
    parse_documents,
)
from appdeploy.cli.envelope import describe_other, envelope_problems, is_appdeployment
from appdeploy.cli.files import read_text
from appdeploy.cli.hints import with_advice
from appdeploy.cli.json_schema import Schema, appdeployment_json_schema
from appdeploy.cli.locate import line_of
from appdeploy.cli.template_check import expanded_release, is_template, template_problems


@dataclass(frozen=True)
class FileProblem:
    """A problem placed in a file: ``examples/shop.yaml:42: spec.steps[3].needs[0]: ...``."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


@dataclass(frozen=True)
class Checked:
    """The outcome for one document, or for a whole file that could not be read."""

    file: str
    document: Document | None
    """None when the file itself is unreadable or not YAML."""
    spec: AppDeploymentSpec | None = None
    """Set exactly when the document is a valid AppDeployment."""
    problems: tuple[FileProblem, ...] = ()
    skipped: bool = False
    """A document that is not an AppDeployment, ignored (without ``--strict``)."""
    channel: NotificationChannelSpec | None = None
    """Set exactly when the document is a valid NotificationChannel."""
    policy: ReleasePolicySpec | None = None
    """Set exactly when the document is a valid ReleasePolicy."""
    template: Template | None = None
    """Set exactly when the document is a valid ReleaseTemplate or ClusterReleaseTemplate."""
    expanded_from: Template | None = None
    """The template a valid release was expanded from (``spec`` is then the expansion)."""
    expanded: Mapping[str, object] | None = None
    """The expanded spec as it would be stored, when ``expanded_from`` is set."""

    @property
    def namespace(self) -> str:
        """``metadata.namespace``, or an empty string when there is none."""
        return self._metadata_text("namespace")

    @property
    def name(self) -> str:
        """``metadata.name``, or an empty string when there is none."""
        return self._metadata_text("name")

    def _metadata_text(self, field: str) -> str:
        data = self.document.data if self.document else None
        metadata = data.get("metadata") if isinstance(data, Mapping) else None
        value = metadata.get(field) if isinstance(metadata, Mapping) else None
        return value if isinstance(value, str) else ""


def check_files(
    files: Iterable[Path],
    strict: bool = False,
    policy: StepPodPolicy = SAFE_POLICY,
    remind_floor: timedelta = REMIND_FLOOR,
    template_files: Iterable[Path] = (),
) -> list[Checked]:
    """Every document of every file, checked, in file and document order.

    Releases that name a template are expanded with the templates found in
    ``files`` and ``template_files`` (whose other documents are not reported).
    """
    read = [read_file(path) for path in files]
    extra = [read_file(path) for path in template_files]
    templates = [
        template
        for documents in [*read, *extra]
        if isinstance(documents, list)
        for document in documents
        if is_template(document.data)
        for template in [template_problems(document.data, policy, remind_floor)[0]]
        if template is not None
    ]
    checked: list[Checked] = []
    for documents in read:
        if isinstance(documents, Checked):
            checked.append(documents)
            continue
        checked.extend(
            check_document(document, strict, policy, remind_floor, templates)
            for document in documents
        )
    return checked


def check_file(
    path: Path,
    strict: bool = False,
    policy: StepPodPolicy = SAFE_POLICY,
    remind_floor: timedelta = REMIND_FLOOR,
) -> list[Checked]:
    """Every document of one file, or the reason the file cannot be read."""
    return check_files([path], strict, policy, remind_floor)


def read_file(path: Path) -> list[Document] | Checked:
    """The documents of one file, or a Checked saying why the file cannot be read."""
    file = str(path)
    try:
        text = read_text(path)
    except UnicodeDecodeError as error:
        reason = f"not UTF-8 text ({error.reason} at byte {error.start}); save it as UTF-8"
        return Checked(file, None, problems=(FileProblem(file, None, "", reason),))
    except OSError as error:
        reason = f"cannot read: {error.strerror}; check the path and its permissions"
        return Checked(file, None, problems=(FileProblem(file, None, "", reason),))
    parsed = parse_documents(file, text)
    if isinstance(parsed, SyntaxProblem):
        problem = FileProblem(file, parsed.line, "", parsed.message)
        return Checked(file, None, problems=(problem,))
    return parsed


def check_document(
    document: Document,
    strict: bool = False,
    policy: StepPodPolicy = SAFE_POLICY,
    remind_floor: timedelta = REMIND_FLOOR,
    templates: Sequence[Template] = (),
) -> Checked:
    """One document: skipped, invalid with located problems, or a valid release."""
    file, data = document.file, document.data
    if is_template(data):
        return _template_document(document, policy, remind_floor)
    if is_channel(data):
        channel, found_problems = channel_problems(data)
        located = tuple(_place(document, problem) for problem in found_problems)
        return Checked(file, document, problems=located, channel=channel)
    if is_policy(data):
        policy_spec, found_problems = policy_problems(data)
        located = tuple(_place(document, problem) for problem in found_problems)
        return Checked(file, document, problems=located, policy=policy_spec)
    if not is_appdeployment(data):
        if not strict:
            return Checked(file, document, skipped=True)
        message = f"{describe_other(data)}: not an AppDeployment; move it out of the "
        message += "checked files or drop --strict"
        return Checked(file, document, problems=(FileProblem(file, document.line, "", message),))
    problems = [_duplicate(document, duplicate) for duplicate in duplicate_keys(document.node)]
    spec: AppDeploymentSpec | None = None
    source: Template | None = None
    expanded: Mapping[str, object] | None = None
    found = list(envelope_problems(data))
    raw_spec = data.get("spec")
    if isinstance(raw_spec, Mapping):
        try:
            spec = parse_spec(raw_spec, policy, remind_floor=remind_floor)
            if spec.template_ref is not None:
                namespace = _namespace(data)
                source, expanded, spec = expanded_release(
                    spec, namespace, templates, policy, remind_floor
                )
        except InvalidSpec as invalid:
            found.extend(invalid.problems)
    elif "spec" in data:
        found.append(Problem("spec", "must be a mapping with app, version and steps"))
    problems.extend(_place(document, with_advice(problem, _schema())) for problem in found)
    problems.sort(key=lambda problem: problem.line or 0)
    if problems:
        return Checked(file, document, problems=tuple(problems))
    return Checked(file, document, spec=spec, expanded_from=source, expanded=expanded)


def _template_document(
    document: Document, policy: StepPodPolicy, remind_floor: timedelta
) -> Checked:
    template, found_problems = template_problems(document.data, policy, remind_floor)
    located = tuple(_place(document, problem) for problem in found_problems)
    return Checked(document.file, document, problems=located, template=template)


def _namespace(data: Mapping[str, object]) -> str:
    metadata = data.get("metadata")
    namespace = metadata.get("namespace") if isinstance(metadata, Mapping) else None
    return namespace if isinstance(namespace, str) else ""


def _place(document: Document, problem: Problem) -> FileProblem:
    line = line_of(document.node, problem.path)
    return FileProblem(document.file, line, problem.path, problem.message)


def _duplicate(document: Document, duplicate: DuplicateKey) -> FileProblem:
    message = (
        f'"{duplicate.key}" is set twice in this mapping (also on line '
        f"{duplicate.first_line}); keep one: kubectl and the API server refuse duplicate keys"
    )
    return FileProblem(document.file, duplicate.line, duplicate.path, message)


@cache
def _schema() -> Schema:
    # Built once per process: the hints only read it.
    return appdeployment_json_schema()
