#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 flaskstack maintainers. MIT License (see LICENSE).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: release
short_description: Build the release of a flaskstack app on its host, in one step
version_added: 2.0.0
description:
  - Prepares everything an app's release needs on the host and builds the release, in one call
    instead of a chain of tasks; the switch to it is M(flaskstack.deploy.switch)'s job.
  - Creates the app's system group and user (no login shell) and its directories (root, releases,
    shared directories owned by the app, configuration directory).
  - >-
    Fetches the source (a git commit, kept in a cached clone under I(root)/repo, or an archive
    already on the host), names the release C(<source12>-<build_id>), and when no complete release
    of that name exists builds it in I(releases_dir)/I(release): the code (owned by root, read-only
    for the app), links to the shared directories, its own virtualenv with the app's dependencies
    and I(packages) (installed with uv or pip, from a cache on the host), byte-compiled; the marker
    C(.flaskstack-release) is written last, so an interrupted build is rebuilt by the next run.
  - Generates the app's secret key once (I(secret_key_file)); it never leaves the host.
  - Never touches the live release.
author: flaskstack maintainers (@flaskstack)
attributes:
  check_mode:
    support: full
    description: Reports what it would create and build; resolves a git version with C(git ls-remote) when there is no clone yet.
  diff_mode:
    support: full
    description: The diff lists the changes (user, directories, release built).
options:
  name:
    description: The app's name (its user and group unless I(user)/I(group) say otherwise).
    type: str
    required: true
  user:
    description: System user the app runs as; created when missing.
    type: str
  group:
    description: Primary group of I(user); created when missing.
    type: str
  root:
    description: The app's directory (root-owned), home of the cached clone C(repo/).
    type: path
    required: true
  releases_dir:
    description: Directory of the releases. Default I(root)/releases.
    type: path
  shared_dir:
    description: Directory of what outlives a release. Default I(root)/shared.
    type: path
  current:
    description: The link to the live release (read only here). Default I(root)/current.
    type: path
  config_dir:
    description: The app's configuration directory (root:I(group), mode 0750); created when set.
    type: path
  source:
    description: Where the code comes from.
    type: str
    choices: [git, archive]
    default: git
  repo:
    description: Git repository (anything C(git fetch) accepts, a path on the host included). With I(source=git).
    type: str
  version:
    description: Branch, tag or commit to deploy.
    type: str
    default: HEAD
  depth:
    description: History depth fetched (0 = full history).
    type: int
    default: 1
  key_file:
    description: Private SSH key that can read the repository.
    type: path
  known_hosts_file:
    description: known_hosts file of the git server; host keys are checked strictly when set.
    type: path
  archive:
    description: An archive on the host (.tar, .tar.gz, .tgz, .zip). With I(source=archive); the release is named after its SHA-1.
    type: path
  strip_components:
    description: Leading path components stripped from the archive's members.
    type: int
    default: 0
  build_id:
    description: Names what shapes a release besides its code (dependencies, installer options, server); a change builds a new release of the same code.
    type: str
    required: true
  shared_dirs:
    description:
      - Directories of the checkout that persist across releases and that the app may write; each is created
        under I(shared_dir) (owner the app) and linked into every release.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Path relative to the checkout.
        type: str
        required: true
      mode:
        description: Octal mode of the directory.
        type: str
        default: "0750"
  code_only:
    description: Code and shared links only, no virtualenv (a web host that serves the release's static files).
    type: bool
    default: false
  requirements:
    description: Requirements file of the checkout; empty = C(requirements.txt) when present, else the project itself (C(pyproject.toml), C(setup.py)).
    type: str
    default: ""
  packages:
    description: Python packages installed into the virtualenv with the app's (the WSGI server, pinned).
    type: list
    elements: str
    default: []
  installer:
    description:
      - What builds the virtualenv. C(uv) creates it and installs from its cache on the host in about a second;
        C(pip) is the standard library's venv and pip.
    type: str
    choices: [uv, pip]
    default: uv
  uv_version:
    description: Version of uv, installed from the package index into C(tools_dir) the first time it is needed.
    type: str
    default: 0.13.9
  tools_dir:
    description: Where the module keeps its tools (uv).
    type: path
    default: /usr/local/lib/flaskstack
  cache_dir:
    description: The installers' cache on the host (root only, 0700).
    type: path
    default: /var/cache/flaskstack
  index_url:
    description:
      - Package index URL (a private index); empty = PyPI. It may carry credentials, as in
        C(https://USER:TOKEN@HOST/simple); its value is masked wherever the module reports its
        arguments, messages or result.
    type: str
    default: ""
  extra_index_urls:
    description: Extra package index URLs, masked like I(index_url).
    type: list
    elements: str
    default: []
  cert:
    description: CA bundle on the host for the index's HTTPS; empty = the system's CAs.
    type: str
    default: ""
  trusted_hosts:
    description: Index hosts trusted without a valid certificate.
    type: list
    elements: str
    default: []
  extra_args:
    description: Extra arguments for the installer's C(install) command.
    type: list
    elements: str
    default: []
  python:
    description: The Python the virtualenv is made from.
    type: path
    default: /usr/bin/python3
  secret_key_file:
    description: An environment file (C(NAME=value), mode 0640 root:I(group)) with a secret key generated once; empty = none.
    type: path
  secret_key_var:
    description: Variable name of the generated secret key.
    type: str
    default: SECRET_KEY
  unit_dir:
    description: Where the app's process and timer units are (read only here, for C(managed_units)).
    type: path
    default: /etc/systemd/system
notes:
  - Runs as root. The cached clone, the release's code and its virtualenv belong to root; the app may write only its shared directories.
"""

EXAMPLES = r"""
- name: Build the release of hello
  flaskstack.deploy.release:
    name: hello
    root: /srv/flaskstack/hello
    config_dir: /etc/flaskstack/hello
    repo: https://git.example.com/hello.git
    version: main
    build_id: 3f2a1c
    shared_dirs: [{path: instance}]
    packages: [gunicorn==27.0.1]
    secret_key_file: /etc/flaskstack/hello/secret_key.env
  register: hello_release

- name: Switch only when the release is new
  flaskstack.deploy.switch:
    name: hello
    root: /srv/flaskstack/hello
    release: "{{ hello_release.release }}"
  when: hello_release.is_new
"""

RETURN = r"""
release:
  description: Id of the release (C(<source12>-<build_id>)).
  returned: always
  type: str
  sample: 1a2b3c4d5e6f-3f2a1c
release_dir:
  description: Its directory.
  returned: always
  type: str
  sample: /srv/flaskstack/hello/releases/1a2b3c4d5e6f-3f2a1c
built:
  description: Whether this run built it (false when a complete release of that name existed).
  returned: always
  type: bool
is_new:
  description: Whether it is not the live release.
  returned: always
  type: bool
live_release:
  description: The release live before this run ('' on a first deploy).
  returned: always
  type: str
commit:
  description: The git commit deployed (with I(source=git)).
  returned: always
  type: str
source_id:
  description: The commit or the archive's SHA-1.
  returned: always
  type: str
source_label:
  description: What was deployed, for messages (repository, version and commit, or the archive).
  returned: always
  type: str
managed_units:
  description: The unit files of the app's processes and timers on the host (NAME-PART.service/.timer with the app's marker).
  returned: always
  type: list
  elements: str
changes:
  description: What this run changed on the host (or would change, in check mode).
  returned: always
  type: list
  elements: str
"""

import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
import time
import zipfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskstack.deploy.plugins.module_utils import hostops, releases

SHA_RE = re.compile(r"^[0-9a-f]{40}$")


class BuildError(Exception):
    pass


def _git_env(params):
    env = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    ssh = ["ssh", "-o", "BatchMode=yes"]
    if params["key_file"]:
        ssh += ["-i", params["key_file"], "-o", "IdentitiesOnly=yes"]
    if params["known_hosts_file"]:
        ssh += ["-o", "UserKnownHostsFile=%s" % params["known_hosts_file"], "-o", "StrictHostKeyChecking=yes"]
    env["GIT_SSH_COMMAND"] = " ".join(ssh)
    return env


def _run(module, argv, what, env=None, cwd=None):
    rc, out, err = module.run_command(argv, environ_update=env or {}, cwd=cwd)
    if rc != 0:
        raise BuildError("%s failed (rc=%d): %s" % (what, rc, (err or out).strip()[-2000:]))
    return out


def resolve_git(module, params, repo_dir, changes):
    """Fetch the version into the cached clone; return the commit. In check mode, read it remotely."""
    env = _git_env(params)
    version = params["version"]
    git = module.get_bin_path("git", required=True)
    if module.check_mode:
        # Check mode leaves even the cached clone alone: the remote says what the version is.
        if SHA_RE.match(version):
            return version
        rc, out, err = module.run_command([git, "ls-remote", params["repo"], version, "refs/heads/%s" % version,
                                           "refs/tags/%s^{}" % version, "refs/tags/%s" % version], environ_update=env)
        if rc != 0:
            # (a deploy key this check run did not write yet): the real run will tell
            changes.append("fetch %s %s (not readable in check mode: %s)" % (params["repo"], version, err.strip()[-200:]))
            return "unknown"
        refs = dict(reversed(line.split("\t", 1)) for line in out.splitlines() if "\t" in line)
        for ref in ("refs/tags/%s^{}" % version, "refs/tags/%s" % version, "refs/heads/%s" % version, version):
            if ref in refs:
                return refs[ref]
        raise BuildError("version %s is not in %s" % (version, params["repo"]))
    if not os.path.isdir(os.path.join(repo_dir, ".git")):
        changes.append("clone %s" % params["repo"])
        if os.path.exists(repo_dir):
            shutil.rmtree(repo_dir)
        _run(module, [git, "init", "-q", repo_dir], "git init", env)
        _run(module, [git, "-C", repo_dir, "remote", "add", "origin", params["repo"]], "git remote add", env)
    else:
        _run(module, [git, "-C", repo_dir, "remote", "set-url", "origin", params["repo"]], "git remote set-url", env)
    depth = ["--depth", str(params["depth"])] if params["depth"] > 0 else []
    argv = [git, "-C", repo_dir, "fetch", "-q", "--force", "--no-tags"] + depth + ["origin", version]
    rc, out, err = module.run_command(argv, environ_update=env)
    if rc != 0 and params["depth"] > 0 and SHA_RE.match(version):
        # A server that refuses single commits: fetch the history and look for it there.
        argv = [git, "-C", repo_dir, "fetch", "-q", "--force", "--tags", "origin",
                "+refs/heads/*:refs/remotes/origin/*"]
        rc, out, err = module.run_command(argv, environ_update=env)
        if rc == 0:
            rc, out, err = module.run_command([git, "-C", repo_dir, "rev-parse", "--verify", "--quiet",
                                               version + "^{commit}"], environ_update=env)
            if rc != 0:
                raise BuildError("commit %s is not in %s (fetched all its branches and tags)" % (version, params["repo"]))
            return out.strip()
    if rc != 0:
        raise BuildError("git fetch of %s from %s failed: %s" % (version, params["repo"], (err or out).strip()[-2000:]))
    return _run(module, [git, "-C", repo_dir, "rev-parse", "--verify", "FETCH_HEAD^{commit}"], "git rev-parse", env).strip()


def archive_sha1(path):
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _normalise_tree(path):
    """Root owns the code; directories 0755, files 0644 or 0755 (executable kept)."""
    for top, dirs, files in os.walk(path):
        for name in dirs + files:
            full = os.path.join(top, name)
            os.lchown(full, 0, 0)
            if os.path.islink(full):
                continue
            mode = os.lstat(full).st_mode
            if os.path.isdir(full):
                os.chmod(full, 0o755)
            else:
                os.chmod(full, 0o755 if mode & 0o111 else 0o644)
    os.chown(path, 0, 0)
    os.chmod(path, 0o755)


def export_git(module, repo_dir, commit, dest):
    git = module.get_bin_path("git", required=True)
    tar = module.get_bin_path("tar", required=True)
    # The tarball of the commit goes to a root-only temporary file inside the cached clone's .git
    # (where git ignores it, beside nothing a release or its pruning reads), then is unpacked.
    fd, tarball = tempfile.mkstemp(prefix="flaskstack-export-", suffix=".tar", dir=os.path.join(repo_dir, ".git"))
    os.close(fd)
    try:
        archive_rc, dummy, archive_err = module.run_command([git, "-C", repo_dir, "archive", "--format=tar",
                                                             "-o", tarball, commit])
        unpack_rc, unpack_err = 0, ""
        if archive_rc == 0:
            unpack_rc, dummy, unpack_err = module.run_command([tar, "-x", "-f", tarball, "--no-same-owner",
                                                               "--no-same-permissions", "-C", dest])
    finally:
        os.unlink(tarball)
    if archive_rc != 0 or unpack_rc != 0:
        raise BuildError("export of commit %s failed: %s %s" % (commit, archive_err, unpack_err))


def _safe_member(name, strip):
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts or name.startswith("/"):
        raise BuildError("the archive has a member outside its directory: %s" % name)
    return "/".join(parts[strip:])


def export_archive(module, archive, strip, dest):
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                rel = _safe_member(info.filename, strip)
                if not rel:
                    continue
                target = os.path.join(dest, rel)
                if info.is_dir():
                    os.makedirs(target, exist_ok=True)
                    continue
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with zipped.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
                if (info.external_attr >> 16) & 0o111:
                    os.chmod(target, 0o755)
        return
    tar = module.get_bin_path("tar", required=True)
    argv = [tar, "-x", "-f", archive, "--no-same-owner", "--no-same-permissions", "-C", dest]
    if strip > 0:
        argv.append("--strip-components=%d" % strip)
    _run(module, argv, "unpacking %s" % archive)
    # tar refuses members with '..' unless told otherwise; absolute names are made relative.


def uv_binary(module, params, env):
    """uv, pinned, in its own virtualenv under tools_dir (installed from the index the first time)."""
    home = os.path.join(params["tools_dir"], "uv-%s" % params["uv_version"])
    binary = os.path.join(home, "bin", "uv")
    if os.access(binary, os.X_OK):
        return binary
    os.makedirs(params["tools_dir"], exist_ok=True)
    # The binary appears only once pip installed it: a half-made tool is completed by the next run.
    if not os.path.isfile(os.path.join(home, "bin", "python")):
        _run(module, [params["python"], "-m", "venv", home], "python3 -m venv (for uv)")
    _run(module, [os.path.join(home, "bin", "pip"), "install", "-q", "--disable-pip-version-check", "--no-input"]
         + pip_index_args(params) + ["uv==%s" % params["uv_version"]], "pip install uv", env)
    return binary


def pip_index_args(params):
    args = []
    if params["index_url"]:
        args += ["--index-url", params["index_url"]]
    for url in params["extra_index_urls"]:
        args += ["--extra-index-url", url]
    if params["cert"]:
        args += ["--cert", params["cert"]]
    for host in params["trusted_hosts"]:
        args += ["--trusted-host", host]
    return args


def uv_index_args(params):
    args = []
    if params["index_url"]:
        args += ["--index-url", params["index_url"]]
    for url in params["extra_index_urls"]:
        args += ["--extra-index-url", url]
    for host in params["trusted_hosts"]:
        args += ["--allow-insecure-host", host]
    return args


def dependency_target(release_dir, requirements):
    """What to install: ['-r', file] or ['.'] for a project; raises when the app declares nothing."""
    wanted = requirements or "requirements.txt"
    if os.path.isfile(os.path.join(release_dir, wanted)):
        return ["-r", wanted]
    if requirements:
        raise BuildError("the requirements file %s is not in the release" % requirements)
    if os.path.isfile(os.path.join(release_dir, "pyproject.toml")) or os.path.isfile(os.path.join(release_dir, "setup.py")):
        return ["."]
    raise BuildError("the app has neither requirements.txt nor pyproject.toml nor setup.py")


def build_venv(module, params, release_dir):
    venv = os.path.join(release_dir, "venv")
    python = os.path.join(venv, "bin", "python")
    target = dependency_target(release_dir, params["requirements"])
    env = {"PIP_CACHE_DIR": os.path.join(params["cache_dir"], "pip")}
    if params["cert"]:
        env.update({"SSL_CERT_FILE": params["cert"], "PIP_CERT": params["cert"]})
    if params["installer"] == "uv":
        env.update({"UV_CACHE_DIR": os.path.join(params["cache_dir"], "uv"), "UV_PYTHON_DOWNLOADS": "never",
                    "UV_NO_CONFIG": "1", "UV_NATIVE_TLS": "1", "UV_NO_PROGRESS": "1"})
        uv = uv_binary(module, params, env)
        _run(module, [uv, "venv", "--quiet", "--python", params["python"], venv], "uv venv", env, cwd=release_dir)
        _run(module, [uv, "pip", "install", "--quiet", "--python", python, "--compile-bytecode"]
             + uv_index_args(params) + params["extra_args"] + target + params["packages"],
             "uv pip install", env, cwd=release_dir)
    else:
        _run(module, [params["python"], "-m", "venv", venv], "python3 -m venv", env, cwd=release_dir)
        _run(module, [os.path.join(venv, "bin", "pip"), "install", "-q", "--disable-pip-version-check", "--no-input"]
             + pip_index_args(params) + params["extra_args"] + target + params["packages"],
             "pip install", env, cwd=release_dir)
    # The app's own code, byte-compiled while the release is still root's to write.
    module.run_command([python, "-m", "compileall", "-q", "-x", "/venv/", release_dir])
    # Nothing in a release is writable by anyone but root (uv leaves a 0666 lock file).
    for top, dirs, files in os.walk(venv):
        for name in dirs + files:
            full = os.path.join(top, name)
            mode = os.lstat(full).st_mode
            if not os.path.islink(full) and mode & 0o022:
                os.chmod(full, mode & ~0o022 & 0o7777)


def link_shared(release_dir, shared_dir, shared_dirs):
    for item in shared_dirs:
        path = item["path"].strip("/")
        inside = os.path.join(release_dir, path)
        # A link in the code (var -> /etc) must not take root's hands outside the release.
        real_top = os.path.realpath(release_dir)
        parent = os.path.realpath(os.path.dirname(inside))
        if parent != real_top and not parent.startswith(real_top + os.sep):
            raise BuildError("shared directory %s: %s leads outside the release (a symlink in the code)"
                             % (path, os.path.dirname(path)))
        if os.path.islink(inside) or os.path.isfile(inside):
            os.unlink(inside)
        elif os.path.isdir(inside):
            shutil.rmtree(inside)
        os.makedirs(os.path.dirname(inside), exist_ok=True)
        os.symlink(os.path.join(shared_dir, path), inside)


def build(module, params, release, release_dir, source_label, commit, source_archive):
    if os.path.lexists(release_dir):
        shutil.rmtree(release_dir)  # what an interrupted build left
    os.mkdir(release_dir, 0o755)
    old_umask = os.umask(0o022)
    try:
        if params["source"] == "git":
            export_git(module, os.path.join(params["root"], "repo"), commit, release_dir)
        else:
            export_archive(module, source_archive, params["strip_components"], release_dir)
        _normalise_tree(release_dir)
        link_shared(release_dir, params["shared_dir"], params["shared_dirs"])
        if not params["code_only"]:
            build_venv(module, params, release_dir)
        marker = {"release": release, "source": source_label, "commit": commit, "version": params["version"],
                  "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        releases.write_file_atomic(os.path.join(release_dir, releases.MARKER), json.dumps(marker, indent=2) + "\n")
    finally:
        os.umask(old_umask)


def ensure_secret_key(module, path, var, gid, config_dir, changes):
    if os.path.exists(path):
        return
    changes.append("generate the secret key %s" % path)
    if module.check_mode:
        return
    legacy = os.path.join(config_dir or os.path.dirname(path), "secret_key")  # flaskstack 1.0 kept it raw
    value = ""
    if os.path.isfile(legacy):
        with open(legacy) as handle:
            value = handle.read().strip()
    value = value or secrets.token_urlsafe(48)
    tmp = path + ".new"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write('%s="%s"\n' % (var, value))
    os.chown(tmp, 0, gid if gid is not None else 0)
    os.chmod(tmp, 0o640)
    os.rename(tmp, path)


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            user=dict(type="str"),
            group=dict(type="str"),
            root=dict(type="path", required=True),
            releases_dir=dict(type="path"),
            shared_dir=dict(type="path"),
            current=dict(type="path"),
            config_dir=dict(type="path"),
            source=dict(type="str", choices=["git", "archive"], default="git"),
            repo=dict(type="str"),
            version=dict(type="str", default="HEAD"),
            depth=dict(type="int", default=1),
            key_file=dict(type="path", no_log=False),
            known_hosts_file=dict(type="path"),
            archive=dict(type="path"),
            strip_components=dict(type="int", default=0),
            build_id=dict(type="str", required=True),
            shared_dirs=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="str", required=True), mode=dict(type="str", default="0750"))),
            code_only=dict(type="bool", default=False),
            requirements=dict(type="str", default=""),
            packages=dict(type="list", elements="str", default=[]),
            installer=dict(type="str", choices=["uv", "pip"], default="uv"),
            uv_version=dict(type="str", default="0.13.9"),
            tools_dir=dict(type="path", default="/usr/local/lib/flaskstack"),
            cache_dir=dict(type="path", default="/var/cache/flaskstack"),
            # An index URL may carry credentials (https://USER:TOKEN@HOST/simple): never shown.
            index_url=dict(type="str", default="", no_log=True),
            extra_index_urls=dict(type="list", elements="str", default=[], no_log=True),
            cert=dict(type="str", default=""),
            trusted_hosts=dict(type="list", elements="str", default=[]),
            extra_args=dict(type="list", elements="str", default=[]),
            python=dict(type="path", default="/usr/bin/python3"),
            secret_key_file=dict(type="path", no_log=False),
            secret_key_var=dict(type="str", default="SECRET_KEY", no_log=False),
            unit_dir=dict(type="path", default="/etc/systemd/system"),
        ),
        required_if=[("source", "git", ("repo",)), ("source", "archive", ("archive",))],
        supports_check_mode=True,
    )
    p = module.params
    p["user"] = p["user"] or p["name"]
    p["group"] = p["group"] or p["user"]
    p["releases_dir"] = p["releases_dir"] or os.path.join(p["root"], "releases")
    p["shared_dir"] = p["shared_dir"] or os.path.join(p["root"], "shared")
    p["current"] = p["current"] or os.path.join(p["root"], "current")
    if not re.match(r"^[A-Za-z0-9]+$", p["build_id"]):
        module.fail_json(msg="build_id must be letters and digits, got %r" % p["build_id"])
    for item in p["shared_dirs"]:
        path = item["path"].strip("/")
        if not path or path.startswith(".") and path.split("/")[0] in (".", "..") or ".." in path.split("/"):
            module.fail_json(msg="shared_dirs: %r must be a relative path without '..'" % item["path"])
        if not re.match(r"^0?[0-7]{3}$", str(item["mode"])):
            module.fail_json(msg="shared_dirs: mode of %s must be octal such as 0750, got %r" % (path, item["mode"]))

    changes = []
    result = dict(changed=False, release="", release_dir="", built=False, is_new=False, live_release="",
                  commit="", source_id="", source_label="", changes=changes, managed_units=[])
    try:
        uid, gid = hostops.ensure_system_user(module, p["user"], p["group"], p["root"],
                                              "flaskstack app %s" % p["name"], changes)
        check = module.check_mode
        hostops.ensure_dir(p["root"], 0, 0, 0o755, check, changes)
        hostops.ensure_dir(p["releases_dir"], 0, 0, 0o755, check, changes)
        hostops.ensure_dir(p["shared_dir"], 0, 0, 0o755, check, changes)
        if p["config_dir"]:
            hostops.ensure_dir(os.path.dirname(p["config_dir"]), 0, 0, 0o755, check, changes)
            hostops.ensure_dir(p["config_dir"], 0, gid, 0o750, check, changes)
        for parent in sorted({os.path.dirname(i["path"].strip("/")) for i in p["shared_dirs"]} - {""}):
            built_path = p["shared_dir"]
            for part in parent.split("/"):
                built_path = os.path.join(built_path, part)
                hostops.ensure_dir(built_path, 0, 0, 0o755, check, changes)
        for item in p["shared_dirs"]:
            hostops.ensure_dir(os.path.join(p["shared_dir"], item["path"].strip("/")), uid, gid,
                               int(str(item["mode"]), 8), check, changes)
        if not p["code_only"]:
            if not check and not os.path.isdir(os.path.dirname(p["cache_dir"])):
                os.makedirs(os.path.dirname(p["cache_dir"]), 0o755)
            hostops.ensure_dir(p["cache_dir"], 0, 0, 0o700, check, changes)
        if p["secret_key_file"]:
            ensure_secret_key(module, p["secret_key_file"], p["secret_key_var"], gid, p["config_dir"], changes)

        if p["source"] == "git":
            commit = resolve_git(module, p, os.path.join(p["root"], "repo"), changes)
            source_id = commit[:12]
            label = "%s %s (%s)" % (p["repo"], p["version"], commit)
            source_archive = None
        else:
            commit = ""
            if not os.path.isfile(p["archive"]) and check:
                # (the copy task before this one did not copy it in check mode): the real run names it
                source_id = "unknown"
                changes.append("copy the archive %s" % p["archive"])
            elif not os.path.isfile(p["archive"]):
                raise BuildError("the archive %s is not on the host" % p["archive"])
            else:
                source_id = archive_sha1(p["archive"])[:12]
            label = p["archive"]
            source_archive = p["archive"]
        release = "%s-%s" % (source_id, p["build_id"][:6])
        release_dir = os.path.join(p["releases_dir"], release)
        live = releases.live_release(p["current"])
        result.update(release=release, release_dir=release_dir, is_new=release != live, live_release=live,
                      commit=commit, source_id=source_id, source_label=label,
                      managed_units=hostops.managed_units(p["unit_dir"], p["name"]))
        if not releases.is_complete(p["releases_dir"], release):
            changes.append("build release %s" % release)
            result["built"] = True
            if not check:
                build(module, p, release, release_dir, label, commit, source_archive)
    except (BuildError, OSError) as exc:
        module.fail_json(msg="%s: %s" % (p["name"], exc), changes=changes,
                         **{k: v for k, v in result.items() if k not in ("changes",)})
    result["changed"] = bool(changes)
    if module._diff:
        result["diff"] = {"before": "", "after": "".join("%s\n" % c for c in changes)}
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
