#!/usr/bin/env python3
"""Validate lab files against labs/lab.schema.json with an independent
validator (python3-jsonschema, Draft 2020-12): the schema vethlab prints
must accept every shipped lab, and refuse what the loader refuses by shape."""
import json, sys, pathlib
from jsonschema import Draft202012Validator

schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema)
bad = 0
for p in sys.argv[2:]:
    errs = sorted(v.iter_errors(json.load(open(p))), key=lambda e: list(e.path))
    for e in errs[:3]:
        bad += 1
        print(f"{p}: {'/'.join(map(str, e.path))}: {e.message[:200]}")
# The schema must be able to fail: a lab with an unknown key and a mistyped
# ping is refused.
wrong = {"lab": "x", "title": "t", "nodes": ["a"], "colour": 1,
         "steps": [{"name": "s", "title": "t", "do": [{"ping": 5, "from": "a"}]}]}
if v.is_valid(wrong):
    print("the schema accepts a lab with an unknown key and a numeric ping target")
    bad += 1
print(f"{len(sys.argv) - 2} lab files checked against {sys.argv[1]}: {bad} errors")
sys.exit(1 if bad else 0)
