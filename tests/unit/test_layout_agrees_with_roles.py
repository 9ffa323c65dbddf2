"""Each path of an app is derived once, in app_layout; every role's standalone default must name the
same path for the same app name, so a role used alone lands where the site playbook puts it."""

import importlib.util
import pathlib

import jinja2
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("apps", ROOT / "plugins" / "filter" / "apps.py")
apps = importlib.util.module_from_spec(spec)
spec.loader.exec_module(apps)

NAME = "shop"


def role_defaults(role, name_var):
    """The role's defaults rendered for the app NAME (their references to each other resolved)."""
    raw = yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text())
    values = dict(raw, **{name_var: NAME})
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    for dummy in range(5):  # defaults refer to defaults
        for key, value in values.items():
            if isinstance(value, str) and "{{" in value:
                try:
                    values[key] = env.from_string(value).render(values)
                except jinja2.UndefinedError:
                    pass
    return values


@pytest.fixture(scope="module")
def layout():
    return apps.app_layout([{"name": NAME, "repo": "/srv/git/shop.git", "entry": "shop:app"}],
                           base_dir="/srv/flaskstack", web_user="www-data")[0]


@pytest.mark.parametrize("role, name_var, default, layout_key, prefix", [
    ("flask_app", "flask_app_name", "flask_app_root", "root", ""),
    ("flask_app", "flask_app_name", "flask_app_releases_dir", "releases_dir", ""),
    ("flask_app", "flask_app_name", "flask_app_shared_dir", "shared_dir", ""),
    ("flask_app", "flask_app_name", "flask_app_src_dir", "src_dir", ""),
    ("flask_app", "flask_app_name", "flask_app_config_dir", "config_dir", ""),
    ("flask_app", "flask_app_name", "flask_app_env_file", "env_file", ""),
    ("wsgi_server", "wsgi_server_name", "wsgi_server_venv", "venv", ""),
    ("wsgi_server", "wsgi_server_name", "wsgi_server_chdir", "src_dir", ""),
    ("wsgi_server", "wsgi_server_name", "wsgi_server_config_dir", "config_dir", ""),
    ("wsgi_server", "wsgi_server_name", "wsgi_server_socket", "socket", ""),
    ("wsgi_server", "wsgi_server_name", "wsgi_server_runtime_dir", "runtime_dir", "/run/"),
    ("systemd_unit", "systemd_unit_name", "systemd_unit_runtime_directory", "runtime_dir", ""),
    ("systemd_unit", "systemd_unit_name", "systemd_unit_state_directory", "state_dir", ""),
])
def test_role_default_agrees_with_the_layout(layout, role, name_var, default, layout_key, prefix):
    assert role_defaults(role, name_var)[default] == prefix + layout[layout_key]
