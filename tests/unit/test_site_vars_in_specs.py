"""The site playbook (site.yml, tasks/deploy_app.yml) includes the roles without their argument specs
(the description was checked once, before anything changed, by app_errors): every role variable it
sets must then be an option of that role's specs, so that a misspelt name cannot slip through
unnoticed."""

import pathlib

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLES = {"flask_app": "flask_app_", "wsgi_server": "wsgi_server_", "systemd_unit": "systemd_unit_", "nginx": "nginx_"}
# Where the site playbook sets each role's variables.
SOURCES = {"flask_app": "tasks/deploy_app.yml", "wsgi_server": "tasks/deploy_app.yml",
           "systemd_unit": "tasks/deploy_app.yml", "nginx": "site.yml"}


def role_options(role):
    specs = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    return {name for entry in specs.values() for name in entry.get("options", {})}


def set_vars(node):
    """Every key of every vars: mapping in the task list, recursively."""
    found = set()
    if isinstance(node, list):
        for item in node:
            found |= set_vars(item)
    elif isinstance(node, dict):
        found |= set((node.get("vars") or {}).keys())
        for key in ("block", "rescue", "always", "tasks"):
            found |= set_vars(node.get(key))
    return found


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_role_variable_of_the_site_path_is_in_the_roles_specs(role):
    tasks = yaml.safe_load((ROOT / "playbooks" / SOURCES[role]).read_text())
    used = {name for name in set_vars(tasks) if name.startswith(ROLES[role])}
    assert used, "%s sets no %s variable" % (SOURCES[role], role)
    assert sorted(used - role_options(role)) == []
