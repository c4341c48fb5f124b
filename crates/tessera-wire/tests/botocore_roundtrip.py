#!/usr/bin/env python3
"""Cross-checks tessera-wire against botocore, for every IAM and STS operation.

For each operation an input is generated from the input shape (satisfying
its lengths, enums and ranges), serialized by botocore's QuerySerializer and
decoded by the crate (through `examples/wire_roundtrip.rs`); an output is
generated from the output shape, encoded by the crate and parsed by
botocore's QueryParser. Both must give back the generated value.

Run from the repository root (needs botocore):
    cargo build -p tessera-wire --example wire_roundtrip
    python3 crates/tessera-wire/tests/botocore_roundtrip.py target/debug/examples/wire_roundtrip
"""

import base64
import datetime
import json
import re
import subprocess
import sys
import urllib.parse

import botocore.session
from botocore.parsers import QueryParser
from botocore.serialize import QuerySerializer

STAMP = datetime.datetime(2024, 5, 1, 12, 34, 56, tzinfo=datetime.timezone.utc)
CANDIDATES = ["a&b<c> é+%=/?", "abc", "/path/", "v1", "123456789012", "ABCDEF123456",
              "http://example.com/a", "p-abcdefgh12", "o-abcdefghij", "o-abcdefghij/r-abcd",
              "arn:aws:iam::123456789012:role/name"]


def fits(shape, text):
    length = len(text.encode("utf-16-le")) // 2
    if length < shape.metadata.get("min", 0) or length > shape.metadata.get("max", 10**9):
        return False
    pattern = shape.metadata.get("pattern")
    if pattern:
        # Python's re has no \p{..}: use ASCII subsets, which only narrows
        # the values chosen.
        for category, subset in (("\\p{L}", "a-zA-Z"), ("\\p{Z}", " "), ("\\p{N}", "0-9")):
            pattern = pattern.replace(category, subset)
        return re.fullmatch(pattern, text) is not None
    return True


def string_value(shape, salt):
    if shape.enum:
        return shape.enum[salt % len(shape.enum)]
    options = CANDIDATES + [c * max(1, shape.metadata.get("min", 1)) for c in "aA1/"]
    for option in options:
        for text in (f"{option}{salt}" if salt else option, option):
            if fits(shape, text):
                return text
    raise ValueError(f"no string fits {shape.name}")


def generate(shape, depth=0, salt=0):
    kind = shape.type_name
    if kind == "structure":
        if depth > 6:
            return {}
        return {name: generate(member, depth + 1, salt) for name, member in shape.members.items()}
    if kind == "list":
        count = max(1, min(2, shape.metadata.get("max", 2)), shape.metadata.get("min", 0))
        return [generate(shape.member, depth + 1, salt + i) for i in range(count)]
    if kind == "map":
        return {string_value(shape.key, i + 1): generate(shape.value, depth + 1, i) for i in range(2)}
    if kind == "string":
        return string_value(shape, salt)
    if kind in ("integer", "long"):
        return max(shape.metadata.get("min", -(10**9)), min(7 + salt, shape.metadata.get("max", 10**9)))
    if kind == "boolean":
        return salt % 2 == 0
    if kind == "timestamp":
        return STAMP
    if kind == "blob":
        return b"hello world"
    raise ValueError(kind)


def to_json(value):
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def main():
    binary = sys.argv[1]
    proc = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(request):
        proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())

    session = botocore.session.get_session()
    failures = 0
    checked = 0
    for service in ("iam", "sts"):
        model = session.get_service_model(service)
        for name in model.operation_names:
            operation = model.operation_model(name)
            checked += 1
            value = generate(operation.input_shape) if operation.input_shape else {}
            request = QuerySerializer().serialize_to_request(value, operation)
            body = urllib.parse.urlencode(request["body"])
            got = ask({"service": service, "operation": name, "body": body})
            if got.get("input") != to_json(value):
                failures += 1
                print(f"{service} {name} input: {got}")
            output = generate(operation.output_shape) if operation.output_shape else {}
            got = ask({"service": service, "operation": name, "output": to_json(output)})
            if "xml" not in got:
                failures += 1
                print(f"{service} {name} output: {got}")
                continue
            parsed = QueryParser().parse(
                {"body": got["xml"].encode(), "headers": {}, "status_code": 200}, operation.output_shape)
            parsed.pop("ResponseMetadata", None)
            if parsed != output:
                failures += 1
                print(f"{service} {name} output mismatch:\n  sent {output}\n  got  {parsed}")
    proc.stdin.close()
    proc.wait()
    print(f"{checked} operations, {failures} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
