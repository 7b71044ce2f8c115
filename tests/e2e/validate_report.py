#!/usr/bin/python3
"""Validates diagkit JSON reports against docs/report.schema.json.

Usage: validate_report.py SCHEMA REPORT.json...   (exit 0 valid, 1 invalid)
Uses Debian's python3-jsonschema: a full JSON Schema 2020-12 validator is
a well-kept library that a hand-written checker would only approximate.
"""
import json
import sys

import jsonschema


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        for err in sorted(validator.iter_errors(report), key=str):
            print(f"{path}: {'/'.join(map(str, err.absolute_path))}: {err.message}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
