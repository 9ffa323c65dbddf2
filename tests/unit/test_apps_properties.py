"""Property-based tests of ``app_errors`` (plugins/filter/apps.py) with Hypothesis; no host needed.

A valid, complete app description (``BASE``) gets random values of random types (None, booleans,
integers up to beyond what ``str()`` converts, floats with nan and inf, text, lists, mappings with
text, integer and boolean keys, nested) under one or several of its keys, or loses those keys.
Then:

* ``app_errors`` never raises and returns a list of strings;
* every message starts with the app's label followed by ': ' (``flaskstack_apps[0] (app 'shop')``,
  or ``flaskstack_apps[0]`` when the random name is not a non-empty string), and names one of the
  keys that were made random, quoted as the messages quote keys: ``'KEY'``, ``'KEY.sub'`` or
  ``'KEY[N]'``. Every other key of the description is valid, so a message naming none of the
  random keys would blame the wrong key (or none). A random source key ('repo', 'archive',
  'directory') is named by the "give exactly one source: 'repo' ... 'archive' ... 'directory'"
  message, which names all three;
* no message shows a value of ``secret_env``;
* a description that ``app_errors`` accepts is one ``app_layout`` can lay out;
* ``app_errors`` does not change the description it checks.
"""

import copy
import importlib.util
import math
import pathlib
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

spec = importlib.util.spec_from_file_location(
    "apps", pathlib.Path(__file__).resolve().parents[2] / "plugins" / "filter" / "apps.py"
)
apps = importlib.util.module_from_spec(spec)
spec.loader.exec_module(apps)

BASE = {
    "name": "shop",
    "repo": "/srv/git/shop.git",
    "version": "main",
    "entry": "shop:create_app()",
    "server": "gunicorn",
    "domains": ["shop.example.com"],
    "env": {"SHOP_MODE": "production", "WORKERS": 3},
    "secret_env": {"SHOP_TOKEN": "not-shown"},
    "static": [{"url": "/static", "path": "shop/static"}],
    "requirements": "requirements.txt",
    "packages": ["libpq5"],
    "server_options": {"workers": 3},
    "shared_dirs": ["instance", {"path": "uploads", "mode": "0750"}],
    "hooks": {"before_switch": ["flask db upgrade"], "after_switch": [{"cmd": "flask seed", "creates": "seeded"}]},
    "health": {"path": "/healthz", "status": 200, "timeout": 30},
    "port": 8001,
    "tls": "off",
    "hsts": False,
    "maintenance": False,
    "allow": ["10.0.0.0/8"],
    "deny": ["192.0.2.1"],
    "restricted": [{"url": "/admin", "allow": ["10.0.0.1"]}],
    "csp": "default-src 'self'",
    "nginx_snippet": "client_max_body_size 10m;",
    "processes": {"worker": "celery -A shop.tasks worker", "beat": {"command": "celery -A shop.tasks beat", "stop_timeout": 60}},
    "timers": {"cleanup": {"command": "flask --app shop cleanup", "on_calendar": "daily", "timeout": 600, "hosts": "one"}},
    "state": "present",
    "purge": False,
    "snapshot": True,
}
# Every known key but the other two sources.
assert set(BASE) | {"archive", "directory"} == set(apps.KNOWN_KEYS)

# Strings the validator looks for, so that random mappings often have the right keys (with wrong
# values) and random strings are often nearly valid.
WORDS = (
    "", " ", "off", "acme", "self_signed", "gunicorn", "uwsgi", "url", "path", "allow", "cert", "key",
    "cmd", "creates", "mode", "status", "timeout", "before_switch", "after_switch", "/static", "/",
    "/admin", "static", "../up", "/abs", "0750", "rwx", "10.0.0.1", "bind", "socket", "http", "uid",
    "user", "workers", "max-requests", "Bind", "{", '"', "app:app", "HOME", "1BAD", "a b", "\n",
)
HUGE = 10 ** 5000  # str() and repr() of it raise ValueError (more than 4300 digits)

texts = st.sampled_from(WORDS) | st.text(max_size=12)
map_keys = texts | st.integers(-3, 3) | st.booleans() | st.sampled_from(apps.KNOWN_KEYS)
leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from((80, 200, 8001, 0o750))
    # built lazily: Hypothesis shows the elements of sampled_from with repr()
    | st.sampled_from((5000, -5000)).map(lambda digits: (10 ** abs(digits)) * (1 if digits > 0 else -1))
    | st.floats(allow_nan=True, allow_infinity=True)
    | texts
)
values = st.recursive(
    leaves,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(map_keys, children, max_size=4),
    max_leaves=12,
)
ABSENT = object()  # the key is removed from the description


def label_of(app):
    name = app.get("name")
    if isinstance(name, str) and name:
        return "flaskstack_apps[0] (app '%s')" % name
    return "flaskstack_apps[0]"


def names_a_key(message, keys):
    return re.search(r"'(%s)['.\[]" % "|".join(re.escape(k) for k in keys), message) is not None


@st.composite
def randomised_apps(draw):
    keys = draw(st.lists(st.sampled_from(apps.KNOWN_KEYS), min_size=1, max_size=4, unique=True))
    app = copy.deepcopy(BASE)
    for key in keys:
        value = draw(values | st.just(ABSENT))
        if value is ABSENT:
            app.pop(key, None)
        else:
            app[key] = value
    return keys, app


def test_base_app_is_valid():
    assert apps.app_errors([BASE]) == []
    assert apps.app_errors([dict(BASE, server="uwsgi")]) == []


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(randomised_apps())
def test_random_values_give_messages_naming_app_and_key(case):
    keys, app = case
    before = copy.deepcopy(app)
    errors = apps.app_errors([app])
    assert isinstance(errors, list)
    assert all(isinstance(e, str) for e in errors)
    label = label_of(app)
    for message in errors:
        assert message.startswith(label + ": "), (keys, message)
        assert names_a_key(message, keys), (keys, message)
    # Unchanged. (deepcopy keeps the float objects, and == takes an object as equal to itself: nan too.)
    assert app == before
    if not errors:
        layout = apps.app_layout([app], base_dir="/srv/flaskstack", web_user="www-data")
        apps.nginx_sites(layout)


SECRET = "hunter2-S3CRET"
secret_leaves = st.sampled_from((SECRET, "x" + SECRET, SECRET + "\n")) | st.none() | st.integers(-2, 2)
secret_values = st.recursive(
    secret_leaves,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(("a", "K", "1")), children,
                                                                      max_size=3),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(texts | st.integers(-2, 2), secret_values, max_size=4),
    st.dictionaries(texts | st.integers(-2, 2), values, max_size=3),
)
def test_secret_values_never_appear(secret_env, env):
    errors = apps.app_errors([dict(BASE, secret_env=secret_env, env=env)])
    assert not any("S3CRET" in e for e in errors), errors


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(("name", "entry", "csp", "nginx_snippet", "hsts", "maintenance", "port")), values)
def test_a_wrong_type_is_refused_and_named(key, value):
    """Non-vacuous: for these keys every value of a wrong type is refused, with the key named."""
    wanted = {"name": str, "entry": str, "csp": str, "nginx_snippet": str, "hsts": bool, "maintenance": bool,
              "port": int}[key]
    if isinstance(value, wanted) and not (wanted is int and isinstance(value, bool)):
        return
    errors = apps.app_errors([dict(BASE, **{key: value})])
    assert errors
    assert all(names_a_key(e, [key]) for e in errors), errors


@settings(max_examples=200, deadline=None)
@given(st.lists(values | st.builds(dict) | randomised_apps().map(lambda case: case[1]), max_size=3) | values)
def test_any_value_gets_an_answer(value):
    errors = apps.app_errors(value)
    assert isinstance(errors, list)
    assert all(isinstance(e, str) and e.startswith("flaskstack_apps") for e in errors)


def test_nan_and_huge_numbers_are_answered():
    for value in (math.nan, math.inf, HUGE, -HUGE, [HUGE], {HUGE: HUGE}):
        for key in apps.KNOWN_KEYS:
            errors = apps.app_errors([dict(BASE, **{key: value})])
            assert all(isinstance(e, str) for e in errors)
