# -*- coding: utf-8 -*-
# Copyright (c) 2026 flaskstack maintainers. MIT License (see LICENSE).
"""The app description (``flaskstack_apps``): validation and the layout derived from it.

Every path, user, socket and unit name of an app is derived here, once; ``playbooks/site.yml``
hands the result to the roles. Nothing here touches a host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import keyword
import posixpath
import re

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - only when imported outside Ansible (unit tests)
    AnsibleFilterError = ValueError

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
# module:callable, module.sub:callable, or an app factory call module:create_app('x', debug=False)
ENTRY_RE = re.compile(r"^%s(\.%s)*:%s(\(.*\))?$" % (IDENT, IDENT, IDENT))
ENV_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DOMAIN_RE = re.compile(r"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
URL_PREFIX_RE = re.compile(r"^/[A-Za-z0-9._~/-]*$")
SERVERS = ("gunicorn", "uwsgi")
KNOWN_KEYS = (
    "name", "repo", "archive", "directory", "version", "entry", "server", "domains", "env", "secret_env",
    "static", "requirements", "packages", "server_options", "shared_dirs", "hooks", "health", "port",
    "tls", "hsts", "maintenance", "allow", "deny", "restricted", "csp", "nginx_snippet",
    "processes", "timers", "state", "purge", "snapshot",
)
# A process or timer name: part of a unit name, NAME-PROCESS.service.
UNIT_PART_RE = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")
PROCESS_KEYS = ("command", "stop_timeout")
TIMER_KEYS = ("command", "on_calendar", "timeout", "hosts")
TIMER_DEFAULT_TIMEOUT = 1800
TLS_MODES = ("off", "self_signed", "acme")
SOURCES = ("repo", "archive", "directory")
# The app servers of a multi-host setup listen on TCP: the first app on 8001, the next on 8002, ...
FIRST_PORT = 8001
HOOK_STAGES = ("before_switch", "after_switch")
HEALTH_DEFAULTS = {"path": "/", "status": 200, "timeout": 30}
SHARED_DIR_MODE_RE = re.compile(r"^0?[0-7]{3}$")
# An IPv4/IPv6 address or network, as nginx's allow/deny take them.
ADDRESS_RE = re.compile(r"^([0-9]{1,3}(\.[0-9]{1,3}){3}(/[0-9]{1,2})?|[0-9A-Fa-f:]+(/[0-9]{1,3})?)$")
# Names that would collide with a system account or a system unit on Debian.
RESERVED_NAMES = frozenset((
    "root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy",
    "backup", "list", "irc", "gnats", "nobody", "nogroup", "sshd", "ssh", "nginx", "systemd", "dbus",
    "messagebus", "cron", "docker", "sudo", "admin", "staff", "adm", "users", "git", "postgres",
    "mysql", "redis", "uwsgi", "gunicorn", "flaskstack", "getty", "network", "networking",
))
# Server settings the collection sets itself (``server_options`` may not), each with the reason.
# They decide where and as whom the server listens and runs: an app rebound to 0.0.0.0:80, or
# run as another user, would be on the network beside nginx.
_LISTEN = "the app listens on its systemd socket; nginx is its only client"
_IDENTITY = "the unit runs the server as the app's own user and group"
_SOCKET = "the socket is reachable by nginx's group only"
_RUNS_FROM = "the server runs the app from its current release"
_SUPERVISED = "systemd starts the server in the foreground and tracks its process"
_PROTOCOL = "nginx speaks HTTP to Gunicorn and the uwsgi protocol to uWSGI"
_ENTRY = "the collection sets it from 'entry'"
# Gunicorn's config file is Python: its setting names are Python names (bind, max_requests).
# Names are compared lower-cased, with '-' read as '_'.
GUNICORN_OWNED = {
    "bind": _LISTEN, "user": _IDENTITY, "group": _IDENTITY, "chdir": _RUNS_FROM, "daemon": _SUPERVISED,
    "pidfile": _SUPERVISED, "protocol": _PROTOCOL, "wsgi_app": _ENTRY,
}
GUNICORN_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# uWSGI options (https://uwsgi-docs.readthedocs.io/en/latest/Options.html, and those of the http,
# router and zerg plugins): every option that opens a listening address, and those that set the
# identity, the directory, the app or the process. Compared lower-cased, with '_' read as '-'.
UWSGI_OWNED = dict(
    [(opt, _LISTEN) for opt in (
        "socket", "uwsgi-socket", "suwsgi-socket", "ssl-socket", "http-socket", "http11-socket", "https-socket",
        "fastcgi-socket", "fastcgi-nph-socket", "scgi-socket", "scgi-nph-socket", "raw-socket", "puwsgi-socket",
        "shared-socket", "undeferred-shared-socket", "zerg", "zerg-server", "fork-server", "fork-socket",
        "http", "httprouter", "https", "https2", "http-to-https", "fastrouter", "rawrouter", "sslrouter",
        "sslrouter2", "forkptyrouter", "forkpty-router", "forkptyurouter", "forkpty-urouter", "tuntap-router",
        "stats", "stats-server", "udp", "snmp", "legion", "legion-mcast", "cache-udp-server",
        "emperor-stats", "emperor-stats-server", "tuntap-router-stats",
        "http-stats", "http-stats-server", "http-ss", "http-subscription-server",
        "fastrouter-stats", "fastrouter-stats-server", "fastrouter-ss", "fastrouter-subscription-server",
        "rawrouter-stats", "rawrouter-stats-server", "rawrouter-ss", "rawrouter-subscription-server",
        "sslrouter-stats", "sslrouter-stats-server", "sslrouter-ss", "sslrouter-subscription-server",
        "forkptyrouter-stats", "forkptyrouter-stats-server", "forkptyrouter-ss",
    )]
    + [(opt, _IDENTITY) for opt in ("uid", "gid", "add-gid", "immediate-uid", "immediate-gid", "chroot")]
    + [(opt, _SOCKET) for opt in ("chmod-socket", "chown-socket")]
    + [(opt, _RUNS_FROM) for opt in ("chdir", "chdir2", "virtualenv", "venv", "home", "pyhome")]
    + [(opt, _SUPERVISED) for opt in (
        "daemonize", "daemonize2", "pidfile", "pidfile2", "safe-pidfile", "safe-pidfile2")]
    + [(opt, _PROTOCOL) for opt in ("protocol", "socket-protocol")]
    + [(opt, _ENTRY) for opt in ("module", "wsgi", "wsgi-file", "file", "eval")]
)
UWSGI_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
# A setting name shown as it is in a message ('server_options.NAME'); others are shown with repr().
_PLAIN_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
# Ints of more bits than this have more than 4300 digits: str() and repr() refuse them.
_MAX_INT_BITS = 14000


def _is_str(value):
    return isinstance(value, str) and value != ""


def _show(value, limit=60):
    """repr() of a value for a message, shortened; never raises.

    repr() raises ValueError for an int of more than 4300 digits (also inside a list).
    """
    try:
        text = repr(value)
    except Exception:  # whatever the value: the validator answers, it does not raise
        text = "<%s>" % type(value).__name__
    if limit is not None and len(text) > limit:
        text = text[:limit - 3] + "..."
    return text


def _text(value):
    """str() of a scalar, or None when it has none (a list, a mapping, an int str() refuses)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _MAX_INT_BITS:
        return None
    return str(value) if isinstance(value, (str, int, float)) else None


def _sorted(keys):
    """Mapping keys in a stable order, whatever their types (YAML keys may be ints, booleans, null)."""
    return sorted(keys, key=lambda k: (not isinstance(k, str), k if isinstance(k, str) else _show(k, None)))


def _names(keys):
    """Keys for a message: strings as they are, others as repr()."""
    return ", ".join(k if isinstance(k, str) else _show(k) for k in _sorted(keys))


def _relative_path_ok(path):
    if not _is_str(path) or path.startswith("/"):
        return False
    return ".." not in path.split("/")


def _app_label(index, app):
    name = app.get("name") if isinstance(app, dict) else None
    if isinstance(name, str) and name:
        return "flaskstack_apps[%d] (app '%s')" % (index, name)
    return "flaskstack_apps[%d]" % index


def _env_errors(label, key, value):
    """Errors of an env mapping. Values are never quoted: they may be secrets."""
    if value is None:
        return []
    if not isinstance(value, dict):
        return ["%s: '%s' must be a mapping of variable names to values" % (label, key)]
    errors = []
    for var, val in value.items():
        if not isinstance(var, str) or not ENV_KEY_RE.match(var):
            errors.append("%s: '%s' has an invalid variable name %s (letters, digits, _; not a digit first)"
                          % (label, key, _show(var)))
        elif isinstance(val, (dict, list)) or val is None:
            errors.append("%s: '%s.%s' must be a string, a number or a boolean" % (label, key, var))
    return errors


def _address_list_ok(value):
    return isinstance(value, list) and all(_is_str(a) and ADDRESS_RE.match(a) for a in value)


def _nginx_errors(label, app):
    """Errors of the keys that shape the app's nginx site."""
    errors = []
    tls = app.get("tls", "off")
    if isinstance(tls, dict):
        if set(tls) != {"cert", "key"} or not all(_is_str(v) for v in tls.values()):
            errors.append("%s: 'tls' as a mapping needs exactly 'cert' and 'key' (files on the controller)" % label)
    elif tls not in TLS_MODES:
        errors.append("%s: 'tls' must be one of %s, or {cert, key}" % (label, ", ".join(TLS_MODES)))
    elif tls != "off" and not app.get("domains"):
        errors.append("%s: 'tls' needs 'domains' (the certificate names them)" % label)
    for key in ("hsts", "maintenance"):
        if not isinstance(app.get(key, False), bool):
            errors.append("%s: '%s' must be true or false" % (label, key))
    for key in ("allow", "deny"):
        if not _address_list_ok(app.get(key, [])):
            errors.append("%s: '%s' must be a list of addresses or networks (192.0.2.1, 10.0.0.0/8, 2001:db8::/32)"
                          % (label, key))
    restricted = app.get("restricted", [])
    if not isinstance(restricted, list):
        errors.append("%s: 'restricted' must be a list of {url, allow}" % label)
    else:
        for pos, item in enumerate(restricted):
            where = "%s: 'restricted[%d]'" % (label, pos)
            if not isinstance(item, dict) or set(item) != {"url", "allow"}:
                errors.append("%s must be a mapping with exactly the keys 'url' and 'allow'" % where)
            elif not _is_str(item["url"]) or not URL_PREFIX_RE.match(item["url"]) or item["url"].rstrip("/") == "":
                errors.append("%s.url must be a URL prefix such as /admin" % where)
            elif not _address_list_ok(item["allow"]) or not item["allow"]:
                errors.append("%s.allow must be a non-empty list of addresses or networks" % where)
    for key in ("csp", "nginx_snippet"):
        value = app.get(key, "")
        if not isinstance(value, str):
            errors.append("%s: '%s' must be a string" % (label, key))
    csp = app.get("csp", "")
    if isinstance(csp, str) and ("{" in csp or '"' in csp):
        errors.append("%s: 'csp' must not contain braces or double quotes" % label)
    return errors


def _server_options_errors(label, server, options):
    """Errors of ``server_options``: a mapping of setting names to values, none the collection sets.

    The names and values are written as they are into gunicorn.conf.py (Python) or uwsgi.ini, so a
    name must be one name (no '=' or line break that would add a line) and a uWSGI value one line.
    """
    if not isinstance(options, dict):
        return ["%s: 'server_options' must be a mapping of server settings" % label]
    errors = []
    for name in _sorted(options):
        if not isinstance(name, str):
            errors.append("%s: 'server_options' has a setting name that is not a string: %s (names are such as "
                          "workers)" % (label, _show(name)))
            continue
        if server not in SERVERS:
            continue  # reported with 'server'
        if _PLAIN_NAME_RE.match(name):
            where = "%s: 'server_options.%s'" % (label, name)
        else:
            where = "%s: 'server_options' setting %s" % (label, _show(name))
        gunicorn = server == "gunicorn"
        canonical = name.strip().lower().replace("-", "_") if gunicorn else name.strip().lower().replace("_", "-")
        owned = (GUNICORN_OWNED if gunicorn else UWSGI_OWNED).get(canonical)
        if owned:
            alias = "" if canonical == name else " (%s's %s)" % ("Gunicorn" if gunicorn else "uWSGI", canonical)
            errors.append("%s%s is set by the collection (%s): remove it" % (where, alias, owned))
        elif gunicorn and (not GUNICORN_NAME_RE.match(name) or keyword.iskeyword(name)):
            errors.append("%s is not a Gunicorn setting name: gunicorn.conf.py takes Python names such as "
                          "max_requests" % where)
        elif not gunicorn and not UWSGI_NAME_RE.match(name):
            errors.append("%s is not a uWSGI option name: letters, digits and dashes, such as max-requests" % where)
        elif not gunicorn:
            value = options[name]
            items = value if isinstance(value, list) else [value]
            if any(isinstance(item, (dict, list)) for item in items):
                errors.append("%s must be a value or a list of values (a list repeats the option)" % where)
            elif any(isinstance(item, str) and ("\n" in item or "\r" in item) for item in items):
                errors.append("%s must not contain a line break (each value is one line of uwsgi.ini)" % where)
    return errors


def shared_dirs(value):
    """``shared_dirs`` normalised to [{path, mode}] (no validation)."""
    result = []
    for item in value or []:
        if isinstance(item, dict):
            result.append({"path": str(item.get("path", "")).strip("/"), "mode": str(item.get("mode", "0750"))})
        else:
            result.append({"path": str(item).strip("/"), "mode": "0750"})
    return result


def hooks(value):
    """``hooks`` normalised to {stage: [{cmd, creates}]} (no validation)."""
    given = value or {}
    result = {}
    for stage in HOOK_STAGES:
        result[stage] = [
            {"cmd": item["cmd"], "creates": item.get("creates", "")} if isinstance(item, dict)
            else {"cmd": item, "creates": ""}
            for item in given.get(stage, []) or []
        ]
    return result


def _lifecycle_errors(label, app):
    """Errors of the keys of an app's life besides its web process: processes, timers, state, purge, snapshot."""
    errors = []
    if app.get("state", "present") not in ("present", "absent"):
        errors.append("%s: 'state' must be present or absent" % label)
    for key in ("purge", "snapshot"):
        if key in app and not isinstance(app[key], bool):
            errors.append("%s: '%s' must be true or false" % (label, key))
    for key, known in (("processes", PROCESS_KEYS), ("timers", TIMER_KEYS)):
        value = app.get(key, {})
        if value is None:
            continue
        if not isinstance(value, dict):
            errors.append("%s: '%s' must be a mapping of names to commands" % (label, key))
            continue
        for name, item in value.items():
            if not isinstance(name, str) or not UNIT_PART_RE.match(name):
                errors.append("%s: '%s' has an invalid name (lower-case letters, digits, - and _, a letter first, "
                              "at most 31 characters)" % (label, key))
                continue
            where = "%s: '%s.%s'" % (label, key, name)
            if key == "processes" and isinstance(item, str):
                item = {"command": item}
            if not isinstance(item, dict):
                errors.append("%s must be a command or a mapping with %s" % (where, ", ".join(known)))
                continue
            unknown = [k for k in item if k not in known]
            if unknown:
                errors.append("%s has unknown key(s) (known: %s)" % (where, ", ".join(known)))
            command = item.get("command")
            if not _is_str(command) or "\n" in command:
                errors.append("%s.command must be a command on one line" % where)
            if key == "processes":
                stop = item.get("stop_timeout", 30)
                if isinstance(stop, bool) or not isinstance(stop, int) or not 1 <= stop <= 3600:
                    errors.append("%s.stop_timeout must be seconds (1-3600)" % where)
            else:
                calendar = item.get("on_calendar")
                if not _is_str(calendar) or "\n" in calendar:
                    errors.append("%s.on_calendar must be a systemd calendar expression such as daily" % where)
                timeout = item.get("timeout", TIMER_DEFAULT_TIMEOUT)
                if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= 86400:
                    errors.append("%s.timeout must be seconds (1-86400)" % where)
                if item.get("hosts", "all") not in ("all", "one"):
                    errors.append("%s.hosts must be all or one" % where)
    return errors


def timer_calendars(apps):
    """[{app, timer, on_calendar}] of every timer of a (valid) description, for systemd-analyze."""
    result = []
    for app in apps or []:
        if isinstance(app, dict) and isinstance(app.get("timers"), dict):
            for name, item in sorted(app["timers"].items()):
                if isinstance(item, dict) and _is_str(item.get("on_calendar")):
                    result.append({"app": app.get("name"), "timer": name, "on_calendar": item["on_calendar"]})
    return result


def _release_errors(label, app):
    """Errors of the keys that shape releases: shared_dirs, hooks, health."""
    errors = []
    shared = app.get("shared_dirs", [])
    if not isinstance(shared, list):
        errors.append("%s: 'shared_dirs' must be a list of directories of the checkout" % label)
    else:
        seen = set()
        for pos, item in enumerate(shared):
            where = "%s: 'shared_dirs[%d]'" % (label, pos)
            if isinstance(item, dict):
                if not set(item) <= {"path", "mode"} or "path" not in item:
                    errors.append("%s must be a path or a mapping with 'path' and optionally 'mode'" % where)
                    continue
                path, mode = item["path"], _text(item.get("mode", "0750"))
                if mode is None or not SHARED_DIR_MODE_RE.match(mode):
                    errors.append("%s.mode must be an octal mode such as '0750'" % where)
            else:
                path = item
            if not _relative_path_ok(path) or path.strip("/") in ("", "."):
                errors.append("%s must be a directory of the checkout, relative and without '..'" % where)
            elif path.strip("/") in seen:
                errors.append("%s %r is listed twice" % (where, path))
            else:
                seen.add(path.strip("/"))
    hooks = app.get("hooks", {})
    if not isinstance(hooks, dict):
        errors.append("%s: 'hooks' must be a mapping with 'before_switch' and/or 'after_switch'" % label)
    else:
        unknown = _sorted(set(hooks) - set(HOOK_STAGES))
        if unknown:
            errors.append("%s: 'hooks' has unknown stage(s) %s (known: %s)"
                          % (label, ", ".join(_show(k) for k in unknown), ", ".join(HOOK_STAGES)))
        for stage in HOOK_STAGES:
            commands = hooks.get(stage, [])
            if not isinstance(commands, list):
                errors.append("%s: 'hooks.%s' must be a list of commands" % (label, stage))
                continue
            for pos, item in enumerate(commands):
                where = "%s: 'hooks.%s[%d]'" % (label, stage, pos)
                if isinstance(item, dict):
                    if "cmd" not in item or not set(item) <= {"cmd", "creates"}:
                        errors.append("%s must be a command or a mapping with 'cmd' and optionally 'creates'" % where)
                    elif not _is_str(item["cmd"]):
                        errors.append("%s.cmd must be a command" % where)
                    elif "creates" in item and not _relative_path_ok(item["creates"]):
                        errors.append("%s.creates must be a path relative to the shared directory, without '..'"
                                      % where)
                elif not _is_str(item):
                    errors.append("%s must be a command or a mapping with 'cmd' and optionally 'creates'" % where)
    health = app.get("health", {})
    if not isinstance(health, dict) or not set(health) <= set(HEALTH_DEFAULTS):
        errors.append("%s: 'health' must be a mapping with 'path', 'status' and/or 'timeout'" % label)
    else:
        if not _is_str(health.get("path", "/")) or not str(health.get("path", "/")).startswith("/") \
                or any(c.isspace() for c in str(health.get("path", "/"))):
            errors.append("%s: 'health.path' must be a URL path such as /healthz" % label)
        status = health.get("status", 200)
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            errors.append("%s: 'health.status' must be an HTTP status such as 200" % label)
        timeout = health.get("timeout", 30)
        if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= 3600:
            errors.append("%s: 'health.timeout' must be a number of seconds (1-3600)" % label)
    return errors


def _static_in_shared(app):
    """[(static position, static path, shared item as given)] for each static path that lies in a
    shared directory (nginx must be able to read it there). Assumes a validated description."""
    found = []
    for pos, item in enumerate(app.get("static") or []):
        path = str(item["path"]).strip("/")
        for raw in app.get("shared_dirs") or []:
            shared = str(raw.get("path", "") if isinstance(raw, dict) else raw).strip("/")
            if shared and (path == shared or path.startswith(shared + "/")):
                found.append((pos, path, raw))
    return found


def _static_shared_errors(label, app):
    """A static path in a shared directory whose given mode keeps nginx out: refused, never a silent 403."""
    errors = []
    try:
        pairs = _static_in_shared(app)
    except (TypeError, AttributeError, KeyError, ValueError):
        return errors  # the shapes are reported by the other checks
    for pos, path, raw in pairs:
        mode = raw.get("mode") if isinstance(raw, dict) else None
        if isinstance(mode, str) and SHARED_DIR_MODE_RE.match(mode) and int(mode, 8) & 0o005 != 0o005:
            errors.append("%s: 'static[%d].path' %r lies in the shared directory %r, whose mode %s keeps nginx out "
                          "(every file would answer 403): give that shared directory mode '0755', or leave its "
                          "mode out and the collection sets it" % (label, pos, path, raw.get("path"), mode))
    return errors


def app_errors(apps):
    """Return a list of human-readable errors in an app description list (empty when valid).

    Each message names the app and the key. Values of ``secret_env`` never appear in a message.
    """
    if apps is None:
        return ["flaskstack_apps is not defined: describe your apps in it (see the README)"]
    if not isinstance(apps, list):
        return ["flaskstack_apps must be a list of app descriptions, got %s" % type(apps).__name__]
    if not apps:
        return ["flaskstack_apps is empty: describe at least one app"]
    errors = []
    seen = {}
    catch_all = []
    for index, app in enumerate(apps):
        label = _app_label(index, app)
        if not isinstance(app, dict):
            errors.append("%s must be a mapping" % label)
            continue
        unknown = _sorted(set(app) - set(KNOWN_KEYS))
        if unknown:
            errors.append("%s: unknown key(s) %s (known keys: %s)"
                          % (label, ", ".join(_show(k) for k in unknown), ", ".join(KNOWN_KEYS)))
        name = app.get("name")
        if not _is_str(name):
            errors.append("%s: 'name' is required" % label)
        elif not NAME_RE.match(name):
            errors.append("%s: 'name' must match ^[a-z][a-z0-9_]*$ (it names the system user, the unit and the paths)"
                          % label)
        elif len(name) > 30:
            errors.append("%s: 'name' must be at most 30 characters (it names a system user)" % label)
        elif name in RESERVED_NAMES:
            errors.append("%s: 'name' %r is reserved: it would collide with a system account or unit" % (label, name))
        elif name in seen:
            errors.append("%s: 'name' %r is already used by flaskstack_apps[%d]: app names must be unique"
                          % (label, name, seen[name]))
        else:
            seen[name] = index

        sources = [key for key in SOURCES if app.get(key) not in (None, "")]
        if len(sources) != 1:
            errors.append("%s: give exactly one source: 'repo' (a git URL, or a path on the host), 'archive' "
                          "(a .tar.gz or .zip on the controller) or 'directory' (a directory on the controller)%s"
                          % (label, "; got %s" % ", ".join(sources) if sources else ""))
        for key in sources:
            if not _is_str(app[key]):
                errors.append("%s: '%s' must be a string" % (label, key))
            elif key == "repo" and any(c.isspace() for c in app[key]):
                errors.append("%s: 'repo' must not contain white space" % label)

        version = app.get("version", "HEAD")
        version = _text(version) if isinstance(version, (str, int)) else None
        if version is None or version.strip() == "" or any(c.isspace() for c in version):
            errors.append("%s: 'version' must be a branch, a tag or a commit" % label)

        entry = app.get("entry")
        if not _is_str(entry):
            errors.append("%s: 'entry' is required ('module:callable' or 'module:create_app()')" % label)
        elif not ENTRY_RE.match(entry):
            errors.append("%s: 'entry' %r must be 'module:callable' or an app factory 'module:create_app()'"
                          % (label, entry))

        server = app.get("server", "gunicorn")
        if server not in SERVERS:
            errors.append("%s: 'server' %s is not supported (choose one of: %s)"
                          % (label, _show(server), ", ".join(SERVERS)))

        domains = app.get("domains", [])
        if not isinstance(domains, list) or not all(_is_str(d) and DOMAIN_RE.match(d) for d in domains):
            errors.append("%s: 'domains' must be a list of host names such as example.com or *.example.com" % label)
        elif not domains:
            catch_all.append(label)

        errors.extend(_env_errors(label, "env", app.get("env")))
        errors.extend(_env_errors(label, "secret_env", app.get("secret_env")))
        env, secret_env = app.get("env"), app.get("secret_env")
        if isinstance(env, dict) and isinstance(secret_env, dict):
            both = set(env) & set(secret_env)
            if both:
                errors.append("%s: %s set in both 'env' and 'secret_env'" % (label, _names(both)))

        static = app.get("static", [])
        if not isinstance(static, list):
            errors.append("%s: 'static' must be a list of {url, path}" % label)
        else:
            urls = set()
            for pos, item in enumerate(static):
                where = "%s: 'static[%d]'" % (label, pos)
                if not isinstance(item, dict) or set(item) != {"url", "path"}:
                    errors.append("%s must be a mapping with exactly the keys 'url' and 'path'" % where)
                    continue
                url = item["url"]
                if not _is_str(url) or not URL_PREFIX_RE.match(url) or "/../" in url + "/" or url.rstrip("/") == "":
                    errors.append("%s.url must be a URL prefix such as /static (not /)" % where)
                elif url.rstrip("/") in urls:
                    errors.append("%s.url %r is listed twice" % (where, url))
                else:
                    urls.add(url.rstrip("/"))
                if not _relative_path_ok(item["path"]):
                    errors.append("%s.path must be a directory of the checkout, relative and without '..'" % where)

        errors.extend(_nginx_errors(label, app))

        requirements = app.get("requirements")
        if requirements is not None and not _relative_path_ok(requirements):
            errors.append("%s: 'requirements' must be a file of the checkout, relative and without '..'" % label)
        packages = app.get("packages", [])
        if not isinstance(packages, list) or not all(_is_str(p) for p in packages):
            errors.append("%s: 'packages' must be a list of Debian package names" % label)
        errors.extend(_server_options_errors(label, server, app.get("server_options", {})))
        errors.extend(_release_errors(label, app))
        errors.extend(_static_shared_errors(label, app))
        errors.extend(_lifecycle_errors(label, app))

    ports = {}
    for index, app in enumerate(apps):
        if not isinstance(app, dict):
            continue
        port = app.get("port", FIRST_PORT + index)
        if isinstance(port, bool) or not isinstance(port, int) or not 1024 <= port <= 65535:
            errors.append("%s: 'port' must be a TCP port from 1024 to 65535" % _app_label(index, app))
        elif port in ports:
            errors.append("%s: 'port' %d is already used by flaskstack_apps[%d]" % (_app_label(index, app), port, ports[port]))
        else:
            ports[port] = index

    if len(catch_all) > 1:
        errors.append("%s have no 'domains': only one app per host may answer requests for any host name"
                      % " and ".join(catch_all))
    return errors


def app_layout(apps, base_dir, web_user):
    """Normalise the app descriptions and derive every name and path the roles need.

    ``secret_env`` is left out on purpose: the result is looped over and may be printed.
    """
    errors = app_errors(apps)
    if errors:
        raise AnsibleFilterError("invalid flaskstack_apps:\n- " + "\n- ".join(errors))
    layout = []
    for index, app in enumerate(apps):
        name = app["name"]
        root = posixpath.join(base_dir, name)
        # The live release: a symlink switched atomically to releases/<id>.
        src_dir = posixpath.join(root, "current")
        source = [key for key in SOURCES if app.get(key) not in (None, "")][0]
        config_dir = posixpath.join("/etc/flaskstack", name)
        layout.append({
            "name": name,
            "user": name,
            "group": name,
            "source": {"type": {"repo": "git"}.get(source, source), "location": app[source]},
            "repo": app.get("repo", ""),
            "version": str(app.get("version", "HEAD")),
            "entry": app["entry"],
            "server": app.get("server", "gunicorn"),
            "domains": list(app.get("domains", [])),
            "env": dict(app.get("env") or {}),
            "requirements": app.get("requirements", ""),
            "packages": list(app.get("packages", [])),
            "server_options": dict(app.get("server_options", {})),
            "static": [
                {"url": s["url"].rstrip("/") + "/", "path": posixpath.join(src_dir, s["path"].strip("/")) + "/"}
                for s in app.get("static", [])
            ],
            "root": root,
            "src_dir": src_dir,
            "releases_dir": posixpath.join(root, "releases"),
            "shared_dir": posixpath.join(root, "shared"),
            "venv": posixpath.join(src_dir, "venv"),
            # A shared directory nginx serves static files from is readable by it (0755 unless given).
            "shared_dirs": [
                dict(item, mode="0755") if any(str(raw.get("path", "") if isinstance(raw, dict) else raw).strip("/")
                                               == item["path"] and not (isinstance(raw, dict) and "mode" in raw)
                                               for dummy_pos, dummy_path, raw in _static_in_shared(app)) else item
                for item in shared_dirs(app.get("shared_dirs"))
            ],
            "hooks": hooks(app.get("hooks")),
            "health": dict(HEALTH_DEFAULTS, **(app.get("health") or {})),
            # Host header of the health checks: the app's first name (a wildcard made concrete).
            "health_host": (list(app.get("domains", [])) or ["localhost"])[0].replace("*", "www"),
            # What the app server speaks on its socket.
            "protocol": "uwsgi" if app.get("server", "gunicorn") == "uwsgi" else "http",
            "config_dir": config_dir,
            "env_file": posixpath.join(config_dir, "env"),
            "unit": name,
            "socket": "/run/flaskstack/%s.sock" % name,
            # TCP port of the app server when web and app hosts are separate.
            "port": app.get("port", FIRST_PORT + index),
            "socket_group": web_user,
            "tls": app.get("tls", "off"),
            "hsts": app.get("hsts", app.get("tls", "off") != "off"),
            "maintenance": app.get("maintenance", False),
            "allow": list(app.get("allow", [])),
            "deny": list(app.get("deny", [])),
            "restricted": [{"url": r["url"].rstrip("/"), "allow": list(r["allow"])}
                           for r in app.get("restricted", [])],
            "csp": app.get("csp", ""),
            "nginx_snippet": app.get("nginx_snippet", ""),
            "runtime_dir": "flaskstack/%s" % name,
            "state_dir": "flaskstack/%s" % name,
            "state": app.get("state", "present"),
            "purge": app.get("purge", False),
            "snapshot": app.get("snapshot", True),
            # Long-running commands and scheduled ones, each its own unit, from the live release.
            "processes": [
                {"name": pname, "unit": "%s-%s" % (name, pname),
                 "command": pitem if isinstance(pitem, str) else pitem["command"],
                 "stop_timeout": 30 if isinstance(pitem, str) else pitem.get("stop_timeout", 30)}
                for pname, pitem in sorted((app.get("processes") or {}).items())
            ],
            "timers": [
                {"name": tname, "unit": "%s-%s" % (name, tname), "command": titem["command"],
                 "on_calendar": titem["on_calendar"], "timeout": titem.get("timeout", TIMER_DEFAULT_TIMEOUT),
                 "hosts": titem.get("hosts", "all")}
                for tname, titem in sorted((app.get("timers") or {}).items())
            ],
        })
    return layout


def nginx_sites(layout, backends=None, down=None):
    """The nginx role's ``nginx_sites`` for a layout made by ``app_layout``.

    ``backends``: private addresses of the app hosts when they are reached over TCP (None: the
    local unix socket). ``down``: those of them taken out of the upstreams (a rolling deploy).
    """
    down = set(down or [])

    def servers(app):
        if backends is None:
            return ["unix:%s" % app["socket"]]
        return ["%s:%d%s" % ("[%s]" % a if ":" in a else a, app["port"], " down" if a in down else "")
                for a in backends]

    return [
        {
            "name": app["name"],
            "domains": app["domains"],
            "protocol": app["protocol"],
            "upstream_servers": servers(app),
            "static": app["static"],
            "tls": app["tls"],
            "hsts": app["hsts"],
            "maintenance": app["maintenance"],
            "allow": app["allow"],
            "deny": app["deny"],
            "restricted": app["restricted"],
            "csp": app["csp"],
            "snippet": app["nginx_snippet"],
        }
        for app in layout if app.get("state", "present") == "present"
    ]


def nginx_site_links(names, absent, available_dir, enabled_dir, upstreams_dir):
    """Items of the files module for the nginx role: a link in ``enabled_dir`` to each site of ``names``,
    then, for each site of ``absent``, its link, its file and its upstream file removed."""
    items = [{"path": "%s/%s.conf" % (enabled_dir, name), "src": "../%s/%s.conf" % (posixpath.basename(available_dir), name),
              "state": "link"} for name in names]
    for name in absent or []:
        items += [{"path": "%s/%s.conf" % (folder, name), "state": "absent"}
                  for folder in (enabled_dir, available_dir, upstreams_dir)]
    return items


def calendar_error(result):
    """The message for a timer whose on_calendar systemd-analyze refused (one result of its loop)."""
    timer = result.get("flaskstack_timer", {})
    return "flaskstack_apps (app '%s'): 'timers.%s'.on_calendar %r is not a calendar expression systemd accepts: %s" % (
        timer.get("app"), timer.get("timer"), timer.get("on_calendar"),
        (result.get("stderr") or result.get("msg") or "").strip())


def status_input(app, listen_of):
    """One item of the status module's ``apps`` for an app of the layout (``listen_of``: where each
    app server listens on this host, by app name)."""
    return {
        "name": app["name"], "root": app["root"], "units": ["%s.service" % app["unit"], "%s.socket" % app["unit"]],
        "address": listen_of.get(app["name"], app["socket"]), "protocol": app["protocol"],
        "path": app["health"]["path"], "status": app["health"]["status"], "host": app["health_host"],
    }


def status_line(entry):
    """One line of the status playbook's report for an entry the status module returned."""
    return "%s: %s, release %s (%s%s), live since %s, previous %s, units %s, health: %s" % (
        entry["name"], "healthy" if entry["healthy"] else "UNHEALTHY", entry["live_release"] or "none",
        entry["source"] or "?", (", version %s" % entry["version"]) if entry.get("version") else "",
        entry["live_since"] or "-", entry["previous"] or "none",
        ", ".join("%s %s" % item for item in sorted(entry["units"].items())) or "none", entry["health"])


class FilterModule(object):
    """flaskstack app description filters."""

    def filters(self):
        return {
            "app_errors": app_errors,
            "app_layout": app_layout,
            "nginx_sites": nginx_sites,
            "shared_dirs": shared_dirs,
            "hooks": hooks,
            "status_input": status_input,
            "status_line": status_line,
            "timer_calendars": timer_calendars,
            "calendar_error": calendar_error,
            "nginx_site_links": nginx_site_links,
        }
