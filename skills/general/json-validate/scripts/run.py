#!/usr/bin/env python3
"""Validate a JSON document against a small subset of JSON Schema; print one line per problem."""

from __future__ import annotations

import json
import re
import sys

KNOWN = {"type", "required", "properties", "additionalProperties", "items", "minItems", "maxItems", "enum", "const", "minimum", "maximum", "minLength", "maxLength", "pattern", "$schema", "title", "description"}
TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def validate(value, schema, path="$", strict=False):
    """Return a list of 'path: message' strings (empty when ``value`` satisfies ``schema``)."""
    problems = []
    if not isinstance(schema, dict):
        return [f"{path}: schema must be an object"]
    if strict:
        problems += [f"{path}: unsupported schema keyword {k!r}" for k in schema if k not in KNOWN]
    expected = schema.get("type")
    if expected is not None:
        names = expected if isinstance(expected, list) else [expected]
        unknown = [n for n in names if n not in TYPES]
        if unknown:
            return problems + [f"{path}: schema names unknown type(s) {unknown}"]
        if not any(TYPES[n](value) for n in names):
            return problems + [f"{path}: expected {' or '.join(names)}, got {type_name(value)}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        problems.append(f"{path}: expected {schema['const']!r}, got {value!r}")
    if TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{path}: {value} is below the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{path}: {value} is above the maximum {schema['maximum']}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            problems.append(f"{path}: string shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            problems.append(f"{path}: string longer than {schema['maxLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            problems.append(f"{path}: {value!r} does not match pattern {schema['pattern']!r}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            problems.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.append(f"{path}: more than {schema['maxItems']} items")
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                problems += validate(item, schema["items"], f"{path}[{i}]", strict)
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                problems.append(f"{path}: missing required property {key!r}")
        props = schema.get("properties", {})
        for key, item in value.items():
            if key in props:
                problems += validate(item, props[key], f"{path}.{key}", strict)
            elif schema.get("additionalProperties") is False:
                problems.append(f"{path}: unexpected property {key!r}")
            elif isinstance(schema.get("additionalProperties"), dict):
                problems += validate(item, schema["additionalProperties"], f"{path}.{key}", strict)
    return problems


def type_name(value):
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if TYPES[name](value):
            return name
    return type(value).__name__


def load(arg, what, stdin):
    try:
        text = stdin.read() if arg == "-" else open(arg, encoding="utf-8").read()
    except OSError as exc:
        raise ValueError(f"cannot read {what} {arg!r}: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{what} is not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from exc


def main(argv=None, stdin=None, stdout=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    strict = "--strict" in argv
    argv = [a for a in argv if a != "--strict"]
    inline = None
    if "--schema-json" in argv:
        i = argv.index("--schema-json")
        if i + 1 >= len(argv):
            print("usage error: --schema-json needs a value", file=stdout)
            return 2
        inline = argv[i + 1]
        del argv[i : i + 2]
    if len(argv) > 2:
        print("usage: run.py [DOCUMENT|-] [SCHEMA] [--schema-json JSON] [--strict]", file=stdout)
        return 2
    try:
        doc = load(argv[0] if argv else "-", "document", stdin)
        schema = json.loads(inline) if inline is not None else (load(argv[1], "schema", stdin) if len(argv) > 1 else {})
    except (ValueError, json.JSONDecodeError) as exc:
        print(f"$: {exc}", file=stdout)
        return 2
    problems = validate(doc, schema, strict=strict)
    for line in problems:
        print(line, file=stdout)
    if not problems:
        print("valid", file=stdout)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
