"""Advice for the problems whose message alone does not say what to do next.

Most validation messages already carry their remedy ("did you mean ...",
"add it to needs"). The generic ones from the models ("unknown field",
"required field is missing") and YAML's number-for-string surprise get it
here, from the JSON Schema: which fields exist at that place, and what the
missing one is for.
"""

from __future__ import annotations

from appdeploy.api.problems import Problem, did_you_mean
from appdeploy.cli.json_schema import Schema, schema_at
from appdeploy.cli.locate import path_tokens

UNKNOWN_FIELD = "unknown field"
MISSING_FIELD = "required field is missing"
NOT_A_STRING = "Input should be a valid string"


def with_advice(problem: Problem, schema: Schema) -> Problem:
    """The problem, with what to do next appended when its message lacks it."""
    tokens = path_tokens(problem.path)
    if problem.message == UNKNOWN_FIELD and tokens and isinstance(tokens[-1], str):
        return Problem(problem.path, _unknown_field(tokens, schema))
    if problem.message == MISSING_FIELD:
        field = schema_at(schema, tokens)
        purpose = (
            f" ({_sentence(field['description'])})" if field and "description" in field else ""
        )
        return Problem(problem.path, f"{MISSING_FIELD}; add it{purpose}")
    if problem.message == NOT_A_STRING:
        return Problem(
            problem.path,
            f"{NOT_A_STRING}; quote the value: YAML reads an unquoted 4.10, 10 or true "
            "as a number or a boolean",
        )
    if problem.message.startswith("cycle "):
        return Problem(problem.path, f"{problem.message}; remove one of these needs")
    return problem


def _unknown_field(tokens: list[str | int], schema: Schema) -> str:
    name = str(tokens[-1])
    parent = schema_at(schema, tokens[:-1])
    fields = sorted(parent.get("properties", {})) if parent else []
    if not fields:
        return f"{UNKNOWN_FIELD}; remove it"
    suggestion = did_you_mean(name, fields)
    if suggestion:
        return f"{UNKNOWN_FIELD}{suggestion}"
    return f"{UNKNOWN_FIELD}; remove it or use one of: {', '.join(fields)}"


def _sentence(description: str) -> str:
    first = description.strip().split("\n\n")[0].replace("\n", " ").replace("``", "")
    if first[1:2].islower():  # "The app ..." reads as "the app ..." inside parentheses
        first = first[0].lower() + first[1:]
    return first.rstrip(".")
