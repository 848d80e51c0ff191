"""Tests of run.py; run by `agentmem skills lint --test` inside the sandbox (exit 0 = pass)."""

import io
import json

import run

SCHEMA = {
    "type": "object",
    "required": ["name", "steps"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "steps": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 0}},
        "mode": {"enum": ["fast", "slow"]},
    },
    "additionalProperties": False,
}


def check(doc, expected_problems):
    got = run.validate(doc, SCHEMA)
    assert got == expected_problems, (doc, got)


check({"name": "a", "steps": [1, 2]}, [])
check({"name": "", "steps": []}, ["$.name: string shorter than 1", "$.steps: fewer than 1 items"])
check({"steps": [1, -1, "x"]}, ["$: missing required property 'name'", "$.steps[1]: -1 is below the minimum 0", "$.steps[2]: expected integer, got string"])
check({"name": "a", "steps": [0], "mode": "warp", "extra": 1}, ["$.mode: 'warp' is not one of ['fast', 'slow']", "$: unexpected property 'extra'"])
check([], ["$: expected object, got array"])
assert run.validate(True, {"type": "integer"}) == ["$: expected integer, got boolean"]

# the command-line entry: document and schema as files in the working folder
with open("doc.json", "w") as fh:
    json.dump({"name": "x", "steps": [3]}, fh)
with open("schema.json", "w") as fh:
    json.dump(SCHEMA, fh)
out = io.StringIO()
assert run.main(["doc.json", "schema.json"], stdout=out) == 0 and out.getvalue() == "valid\n", out.getvalue()
out = io.StringIO()
assert run.main(["-"], stdin=io.StringIO("{broken"), stdout=out) == 2 and "not valid JSON" in out.getvalue()
out = io.StringIO()
assert run.main(["-", "--schema-json", '{"type": "array"}'], stdin=io.StringIO('{"a": 1}'), stdout=out) == 1
assert out.getvalue() == "$: expected array, got object\n", out.getvalue()
print("ok: json-validate tests passed")
