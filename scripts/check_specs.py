#!/usr/bin/env python3
"""Every public variable of a role is in both defaults/main.yml and meta/argument_specs.yml.

Also checks that each variable carries its role's prefix and a comment line above it in defaults.
Exit 1 with the differences listed.
"""

import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
errors = []
for role in sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir()):
    defaults_path = role / "defaults" / "main.yml"
    defaults = yaml.safe_load(defaults_path.read_text()) or {}
    spec = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())
    options = spec["argument_specs"]["main"].get("options", {})
    for name in sorted(set(defaults) - set(options)):
        errors.append("%s: %s is in defaults/main.yml but not in meta/argument_specs.yml" % (role.name, name))
    for name in sorted(set(options) - set(defaults)):
        errors.append("%s: %s is in meta/argument_specs.yml but not in defaults/main.yml" % (role.name, name))
    for name, option in options.items():
        if not name.startswith(role.name + "_"):
            errors.append("%s: %s lacks the role prefix %s_" % (role.name, name, role.name))
        if not option.get("description"):
            errors.append("%s: %s has no description in the spec" % (role.name, name))
    readme = (role / "README.md").read_text() if (role / "README.md").exists() else ""
    for name in sorted(options):
        if "`%s`" % name not in readme:
            errors.append("%s: %s is not documented in the role's README.md" % (role.name, name))
    lines = defaults_path.read_text().splitlines()
    for index, line in enumerate(lines):
        if line and not line[0].isspace() and not line.startswith(("#", "---")) and ":" in line:
            previous = lines[index - 1] if index else ""
            if not previous.startswith("#") and not (previous and not previous[0].isspace() and ":" in previous):
                errors.append("%s: %s has no comment above it in defaults/main.yml" % (role.name, line.split(":")[0]))

if errors:
    print("\n".join(errors))
    sys.exit(1)
print("argument specs and defaults agree for every role")
