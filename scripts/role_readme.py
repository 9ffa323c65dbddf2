#!/usr/bin/env python3
"""Write (or with --check, verify) the variable table of each role's README from its argument spec.

The table sits between <!-- BEGIN VARIABLES --> and <!-- END VARIABLES --> in roles/ROLE/README.md.
"""

import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- BEGIN VARIABLES -->", "<!-- END VARIABLES -->"


def cell(value):
    if isinstance(value, (dict, list)):
        value = yaml.safe_dump(value, default_flow_style=True, width=1000).strip()
    return str(value).replace("|", "\\|")


def table(spec):
    rows = ["| variable | type | required | default | meaning |", "|---|---|---|---|---|"]
    for name, option in spec["options"].items():
        description = option["description"]
        if isinstance(description, list):
            description = " ".join(description)
        rows.append("| `%s` | %s | %s | `%s` | %s |" % (
            name, option.get("type", "str"), "yes" if option.get("required") else "",
            cell(option.get("default", "")), description))
        for sub, suboption in (option.get("options") or {}).items():
            sub_description = suboption["description"]
            if isinstance(sub_description, list):
                sub_description = " ".join(sub_description)
            rows.append("| &nbsp;&nbsp;`%s.%s` | %s | %s | `%s` | %s |" % (
                name, sub, suboption.get("type", "str"), "yes" if suboption.get("required") else "",
                cell(suboption.get("default", "")), sub_description))
    return "\n".join(rows)


def main():
    check = "--check" in sys.argv
    stale = []
    for role in sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir()):
        spec = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]
        readme = role / "README.md"
        text = readme.read_text()
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        new = "%s%s\n%s\n%s%s" % (head, BEGIN, table(spec), END, tail)
        if new != text:
            stale.append(role.name)
            if not check:
                readme.write_text(new)
    if check and stale:
        print("role README variable tables are stale (run scripts/role_readme.py): " + ", ".join(stale))
        sys.exit(1)


if __name__ == "__main__":
    main()
