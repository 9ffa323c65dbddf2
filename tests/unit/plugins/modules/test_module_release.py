"""The release module against a temporary directory: a real git repository made here (no network),
archives made here; the app's system user and, in all tests but one, the virtualenv are faked.

Runs as root (the module chowns the code to root); skipped otherwise.
"""

import hashlib
import importlib.util
import io
import json
import os
import re
import stat
import subprocess
import tarfile
import zipfile

import pytest

from ansible_collections.flaskstack.deploy.plugins.module_utils import hostops, releases
from ansible_collections.flaskstack.deploy.plugins.modules import release as release_module

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the release module runs as root (it chowns to root)")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
# Owner of what the app may write: ids no system user has, so that root and the app are told apart.
APP_UID, APP_GID = 23456, 23457


def git(*args, cwd=None):
    done = subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.com",
                           "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"]
                          + list(args), cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def load_run_script():
    spec = importlib.util.spec_from_file_location("flaskstack_run", os.path.join(ROOT, "roles/flask_app/files/flaskstack-run.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mode_of(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def owner_of(path):
    st = os.lstat(path)
    return st.st_uid, st.st_gid


class Repo:
    """A git repository with two commits on main (app.py says v1, then v2) and an annotated tag v1.0."""

    def __init__(self, path):
        self.path = path
        path.mkdir()
        git("init", "-q", str(path))
        (path / "app.py").write_text("VERSION = 'v1'\n")
        (path / "requirements.txt").write_text("")  # nothing to download
        (path / "bin").mkdir()
        (path / "bin" / "manage.sh").write_text("#!/bin/sh\necho manage\n")
        os.chmod(path / "bin" / "manage.sh", 0o775)
        (path / "instance").mkdir()
        (path / "instance" / "seed.txt").write_text("from the checkout\n")
        git("add", "-A", cwd=path)
        git("commit", "-q", "-m", "v1", cwd=path)
        self.c1 = git("rev-parse", "HEAD", cwd=path)
        git("tag", "-a", "-m", "first", "v1.0", cwd=path)
        (path / "app.py").write_text("VERSION = 'v2'\n")
        git("commit", "-q", "-am", "v2", cwd=path)
        self.c2 = git("rev-parse", "HEAD", cwd=path)


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """One repository for the tests of this file, which only read it (a test that commits makes its own)."""
    return Repo(tmp_path_factory.mktemp("git") / "src")


@pytest.fixture
def user_calls(monkeypatch):
    """hostops.ensure_system_user, faked: no groupadd/useradd; records its calls."""
    calls = []

    def fake(module, name, group, home, comment, changes):
        calls.append(dict(name=name, group=group, home=home, comment=comment, check_mode=module.check_mode))
        return APP_UID, APP_GID

    monkeypatch.setattr(hostops, "ensure_system_user", fake)
    return calls


@pytest.fixture
def venv_calls(monkeypatch):
    """release.build_venv, faked (no python -m venv, no pip); records its calls and leaves a venv/bin/python."""
    calls = []

    def fake(module, params, release_dir):
        calls.append(release_dir)
        os.makedirs(os.path.join(release_dir, "venv", "bin"))
        with open(os.path.join(release_dir, "venv", "bin", "python"), "w") as handle:
            handle.write("fake\n")

    monkeypatch.setattr(release_module, "build_venv", fake)
    return calls


@pytest.fixture
def layout(tmp_path):
    (tmp_path / "srv").mkdir()
    (tmp_path / "etc").mkdir()
    return dict(root=tmp_path / "srv" / "hello", config_dir=tmp_path / "etc" / "flaskstack" / "hello",
                cache_dir=tmp_path / "var" / "cache" / "flaskstack", tools_dir=tmp_path / "tools")


@pytest.fixture
def args(repo, layout):
    return dict(name="hello", root=str(layout["root"]), repo=str(repo.path), version="main", build_id="b1",
                shared_dirs=[{"path": "instance"}, {"path": "var/uploads/", "mode": "0770"}],
                installer="pip", cache_dir=str(layout["cache_dir"]), tools_dir=str(layout["tools_dir"]))


@pytest.fixture
def run(run_module):
    return lambda args, **kw: run_module(release_module.main, args, **kw)


def test_first_run_builds_the_release(run, args, repo, layout, user_calls, venv_calls):
    result = run(args)
    root = layout["root"]
    name = "%s-b1" % repo.c2[:12]
    release_dir = root / "releases" / name
    assert not result.get("failed"), result.get("msg")
    assert result["release"] == name
    assert result["release_dir"] == str(release_dir)
    assert result["built"] is True and result["is_new"] is True and result["changed"] is True
    assert result["live_release"] == ""
    assert result["commit"] == repo.c2 and result["source_id"] == repo.c2[:12]
    assert result["source_label"] == "%s main (%s)" % (repo.path, repo.c2)
    assert "clone %s" % repo.path in result["changes"]
    assert "build release %s" % name in result["changes"]

    # the app's user was asked for, once, with its home and a comment
    assert user_calls == [dict(name="hello", group="hello", home=str(root), comment="flaskstack app hello",
                               check_mode=False)]
    # directories: root-owned 0755, the cache 0700
    for path in (root, root / "releases", root / "shared", root / "shared" / "var"):
        assert (mode_of(path), owner_of(path)) == (0o755, (0, 0)), path
    assert (mode_of(layout["cache_dir"]), owner_of(layout["cache_dir"])) == (0o700, (0, 0))
    # the shared directories: the app's, with their modes
    assert (mode_of(root / "shared" / "instance"), owner_of(root / "shared" / "instance")) == (0o750, (APP_UID, APP_GID))
    uploads = root / "shared" / "var" / "uploads"
    assert (mode_of(uploads), owner_of(uploads)) == (0o770, (APP_UID, APP_GID))
    # the cached clone
    assert (root / "repo" / ".git").is_dir()

    # the code of commit 2, root's, read-only for the app, executables kept executable
    assert (release_dir / "app.py").read_text() == "VERSION = 'v2'\n"
    assert (mode_of(release_dir), owner_of(release_dir)) == (0o755, (0, 0))
    assert (mode_of(release_dir / "app.py"), owner_of(release_dir / "app.py")) == (0o644, (0, 0))
    assert mode_of(release_dir / "bin" / "manage.sh") == 0o755
    assert mode_of(release_dir / "bin") == 0o755
    assert not (release_dir / ".git").exists()
    # the checkout's own instance/ is replaced by the link into shared/
    assert os.path.islink(release_dir / "instance")
    assert os.readlink(release_dir / "instance") == str(root / "shared" / "instance")
    assert os.listdir(root / "shared" / "instance") == []
    assert os.readlink(release_dir / "var" / "uploads") == str(uploads)
    assert (release_dir / "var").is_dir() and not os.path.islink(release_dir / "var")

    assert venv_calls == [str(release_dir)]
    marker = json.loads((release_dir / releases.MARKER).read_text())
    assert marker["release"] == name and marker["commit"] == repo.c2 and marker["version"] == "main"
    assert marker["source"] == result["source_label"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", marker["built"])
    # the live release is the switch module's job
    assert not os.path.lexists(root / "current")


def test_second_run_with_the_same_inputs_changes_nothing(run, args, repo, layout, user_calls, venv_calls):
    first = run(args)
    marker = os.path.join(first["release_dir"], releases.MARKER)
    before = os.stat(marker).st_mtime_ns, open(marker).read()
    second = run(args)
    assert second["release"] == first["release"]
    assert second["built"] is False and second["changed"] is False and second["changes"] == []
    assert second["is_new"] is True  # still not live
    assert len(venv_calls) == 1
    assert (os.stat(marker).st_mtime_ns, open(marker).read()) == before


def test_not_new_when_it_is_live(run, args, layout, user_calls, venv_calls):
    first = run(args)
    os.symlink(first["release_dir"], layout["root"] / "current")
    second = run(args)
    assert second["is_new"] is False and second["live_release"] == first["release"]
    assert second["built"] is False and second["changed"] is False


def test_a_new_build_id_builds_another_release_of_the_same_code(run, args, repo, layout, user_calls, venv_calls):
    first = run(args)
    os.symlink(first["release_dir"], layout["root"] / "current")
    second = run(dict(args, build_id="b2"))
    assert second["release"] == "%s-b2" % repo.c2[:12]
    assert second["built"] is True and second["is_new"] is True and second["live_release"] == first["release"]
    assert sorted(os.listdir(layout["root"] / "releases")) == sorted([first["release"], second["release"]])
    assert releases.is_complete(str(layout["root"] / "releases"), first["release"])  # the live one untouched


def test_a_new_commit_builds_another_release(run, args, tmp_path, layout, user_calls, venv_calls):
    repo = Repo(tmp_path / "own-src")
    args = dict(args, repo=str(repo.path))
    first = run(args)
    (repo.path / "app.py").write_text("VERSION = 'v3'\n")
    git("commit", "-q", "-am", "v3", cwd=repo.path)
    c3 = git("rev-parse", "HEAD", cwd=repo.path)
    second = run(args)
    assert second["release"] == "%s-b1" % c3[:12] and second["built"] is True
    assert "clone %s" % repo.path not in second["changes"]  # the cached clone is fetched into
    assert open(os.path.join(second["release_dir"], "app.py")).read() == "VERSION = 'v3'\n"
    assert open(os.path.join(first["release_dir"], "app.py")).read() == "VERSION = 'v2'\n"


@pytest.mark.parametrize("version", ["commit", "v1.0"])
def test_version_by_commit_or_annotated_tag(run, args, repo, user_calls, venv_calls, version):
    result = run(dict(args, version=repo.c1 if version == "commit" else version))
    assert result["commit"] == repo.c1, result
    assert result["release"] == "%s-b1" % repo.c1[:12]
    assert open(os.path.join(result["release_dir"], "app.py")).read() == "VERSION = 'v1'\n"


def test_an_interrupted_build_is_rebuilt(run, args, repo, layout, user_calls, venv_calls):
    name = "%s-b1" % repo.c2[:12]
    half = layout["root"] / "releases" / name
    half.mkdir(parents=True)
    (half / "half-written.txt").write_text("junk")
    result = run(args)
    assert result["built"] is True and result["release"] == name
    assert not (half / "half-written.txt").exists()
    assert (half / "app.py").is_file() and (half / releases.MARKER).is_file()


def test_a_failed_build_writes_no_marker_and_the_next_run_builds_again(run, args, layout, user_calls, monkeypatch):
    def broken(module, params, release_dir):
        raise release_module.BuildError("pip install failed (rc=1): no such package")

    monkeypatch.setattr(release_module, "build_venv", broken)
    failed = run(args)
    assert failed["failed"] is True
    assert failed["msg"] == "hello: pip install failed (rc=1): no such package"
    assert failed["built"] is True and failed["release"]
    assert os.path.isdir(failed["release_dir"])
    assert not os.path.exists(os.path.join(failed["release_dir"], releases.MARKER))

    monkeypatch.setattr(release_module, "build_venv", lambda module, params, release_dir: None)
    again = run(args)
    assert again["built"] is True and again["release"] == failed["release"]
    assert os.path.exists(os.path.join(again["release_dir"], releases.MARKER))


def test_check_mode_creates_nothing(run, args, repo, layout, user_calls, venv_calls):
    args = dict(args, config_dir=str(layout["config_dir"]),
                secret_key_file=str(layout["config_dir"] / "secret_key.env"))
    result = run(args, check_mode=True, diff=True)
    assert result["built"] is True and result["changed"] is True
    assert result["release"] == "%s-b1" % repo.c2[:12]  # resolved with git ls-remote
    assert result["commit"] == repo.c2
    assert "build release %s" % result["release"] in result["changes"]
    assert "create directory %s" % layout["root"] in result["changes"]
    assert "generate the secret key %s" % (layout["config_dir"] / "secret_key.env") in result["changes"]
    assert result["diff"]["after"] == "".join("%s\n" % c for c in result["changes"])
    assert not os.path.lexists(layout["root"])
    assert not os.path.lexists(layout["config_dir"].parent)
    assert not os.path.lexists(layout["cache_dir"].parent)
    assert venv_calls == []
    assert user_calls[0]["check_mode"] is True


def test_check_mode_leaves_the_cached_clone_and_resolves_a_tag(run, args, repo, layout, user_calls, venv_calls):
    run(args)
    clone = layout["root"] / "repo"
    head = git("-C", str(clone), "rev-parse", "FETCH_HEAD")
    result = run(dict(args, version="v1.0"), check_mode=True)
    assert result["commit"] == repo.c1 and result["built"] is True
    assert git("-C", str(clone), "rev-parse", "FETCH_HEAD") == head
    assert not os.path.exists(result["release_dir"])


def test_check_mode_after_a_run_reports_no_change(run, args, user_calls, venv_calls):
    run(args)
    result = run(args, check_mode=True)
    assert result["built"] is False and result["changed"] is False and result["changes"] == []


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_version_that_does_not_exist_fails(run, args, layout, user_calls, venv_calls, check_mode):
    result = run(dict(args, version="no-such-branch"), check_mode=check_mode)
    assert result["failed"] is True
    assert result["msg"].startswith("hello: ")
    assert "no-such-branch" in result["msg"]
    assert not os.path.exists(layout["root"] / "releases") or os.listdir(layout["root"] / "releases") == []
    assert venv_calls == []


def test_a_commit_that_does_not_exist_fails(run, args, layout, user_calls, venv_calls):
    missing = "0123456789abcdef0123456789abcdef01234567"
    result = run(dict(args, version=missing))
    assert result["failed"] is True
    assert result["msg"].startswith("hello: ") and missing in result["msg"], result["msg"]
    assert venv_calls == []


def test_a_commit_the_server_will_not_fetch_alone_is_found_in_the_history(run, args, repo, user_calls, venv_calls,
                                                                          monkeypatch):
    # the module's fallback for a server that refuses "git fetch origin <sha>"
    real = release_module.AnsibleModule.run_command

    def refuse_single_commits(module, argv, **kw):
        if "fetch" in argv and argv[-1] == repo.c1:
            return 128, "", "error: Server does not allow request for unadvertised object %s" % repo.c1
        return real(module, argv, **kw)

    monkeypatch.setattr(release_module.AnsibleModule, "run_command", refuse_single_commits)
    result = run(dict(args, version=repo.c1))
    assert not result.get("failed"), result.get("msg")
    assert result["commit"] == repo.c1
    assert open(os.path.join(result["release_dir"], "app.py")).read() == "VERSION = 'v1'\n"


def test_a_repository_that_does_not_exist_fails(run, args, tmp_path, user_calls, venv_calls):
    result = run(dict(args, repo=str(tmp_path / "nowhere.git")))
    assert result["failed"] is True and result["msg"].startswith("hello: git fetch of main from ")


# archives

def make_tar(path, members, compression="gz"):
    """members: (name, content or None for a directory, mode, uid)."""
    with tarfile.open(path, "w:" + compression) as tar:
        for name, content, mode, uid in members:
            info = tarfile.TarInfo(name)
            info.mode, info.uid, info.gid, info.mtime = mode, uid, uid, 1700000000
            if content is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return path


def make_zip(path, members):
    with zipfile.ZipFile(path, "w") as zipped:
        for name, content, mode in members:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = (mode | (stat.S_IFDIR if content is None else stat.S_IFREG)) << 16
            zipped.writestr(info, b"" if content is None else content)
    return path


def sha12(path):
    return hashlib.sha1(open(path, "rb").read()).hexdigest()[:12]


def archive_args(args, archive, strip=0):
    archive_args = {k: v for k, v in args.items() if k not in ("repo", "version")}
    return dict(archive_args, source="archive", archive=str(archive), strip_components=strip)


def test_tar_gz_archive_with_strip_components(run, args, tmp_path, layout, user_calls, venv_calls):
    archive = make_tar(tmp_path / "hello-1.0.tar.gz", [
        ("hello-1.0", None, 0o775, 1234),
        ("hello-1.0/app.py", b"VERSION = 'tar'\n", 0o666, 1234),
        ("hello-1.0/run.sh", b"#!/bin/sh\n", 0o777, 1234),
        ("hello-1.0/requirements.txt", b"", 0o644, 1234),
        ("hello-1.0/pkg", None, 0o700, 1234),
        ("hello-1.0/pkg/views.py", b"x = 1\n", 0o600, 1234),
    ])
    result = run(archive_args(args, archive, strip=1))
    assert result["release"] == "%s-b1" % sha12(archive)
    assert result["source_id"] == sha12(archive) and result["commit"] == ""
    assert result["source_label"] == str(archive)
    release_dir = layout["root"] / "releases" / result["release"]
    assert (release_dir / "app.py").read_text() == "VERSION = 'tar'\n"
    assert not (release_dir / "hello-1.0").exists()
    # the archive's owners and modes are not kept: root's, 0644, executables 0755
    assert (owner_of(release_dir / "app.py"), mode_of(release_dir / "app.py")) == ((0, 0), 0o644)
    assert mode_of(release_dir / "run.sh") == 0o755
    # private in the archive, readable by the app in the release
    assert (mode_of(release_dir / "pkg"), mode_of(release_dir / "pkg" / "views.py")) == (0o755, 0o644)
    assert owner_of(release_dir / "pkg" / "views.py") == (0, 0)
    assert os.path.islink(release_dir / "instance")
    assert not (layout["root"] / "repo").exists()
    assert json.loads((release_dir / releases.MARKER).read_text())["source"] == str(archive)
    # the same archive again: nothing to build
    again = run(archive_args(args, archive, strip=1))
    assert again["built"] is False and again["changed"] is False


def test_plain_tar_archive_without_strip(run, args, tmp_path, layout, user_calls, venv_calls):
    archive = make_tar(tmp_path / "hello.tar", [("app.py", b"x = 1\n", 0o644, 0), ("requirements.txt", b"", 0o644, 0)],
                       compression="")
    result = run(archive_args(args, archive))
    assert result["release"] == "%s-b1" % sha12(archive)
    assert (layout["root"] / "releases" / result["release"] / "app.py").read_text() == "x = 1\n"


def test_zip_archive_with_strip_components(run, args, tmp_path, layout, user_calls, venv_calls):
    archive = make_zip(tmp_path / "hello-1.0.zip", [
        ("hello-1.0/", None, 0o755),
        ("hello-1.0/app.py", b"VERSION = 'zip'\n", 0o666),
        ("hello-1.0/bin/run.sh", b"#!/bin/sh\n", 0o755),
        ("hello-1.0/requirements.txt", b"", 0o644),
    ])
    result = run(archive_args(args, archive, strip=1))
    assert result["release"] == "%s-b1" % sha12(archive)
    release_dir = layout["root"] / "releases" / result["release"]
    assert (release_dir / "app.py").read_text() == "VERSION = 'zip'\n"
    assert mode_of(release_dir / "app.py") == 0o644
    assert mode_of(release_dir / "bin" / "run.sh") == 0o755
    assert owner_of(release_dir / "bin" / "run.sh") == (0, 0)
    assert sorted(os.listdir(release_dir)) == sorted(["app.py", "bin", "requirements.txt", "instance", "var", "venv",
                                                      releases.MARKER])


@pytest.mark.parametrize("evil", ["hello/../../evil.txt", "/tmp/flaskstack-evil-absolute.txt"])
def test_zip_member_outside_its_directory_is_refused(run, args, tmp_path, layout, user_calls, venv_calls, evil):
    archive = make_zip(tmp_path / "bad.zip", [("hello/app.py", b"x\n", 0o644), (evil, b"pwned\n", 0o644)])
    result = run(archive_args(args, archive, strip=1))
    assert result["failed"] is True
    assert result["msg"] == "hello: the archive has a member outside its directory: %s" % evil
    assert not (layout["root"] / "releases" / "evil.txt").exists()
    assert not (layout["root"] / "evil.txt").exists()
    assert not os.path.exists("/tmp/flaskstack-evil-absolute.txt")
    assert not releases.is_complete(str(layout["root"] / "releases"), result["release"])
    assert venv_calls == []


def test_tar_member_with_dotdot_is_refused(run, args, tmp_path, layout, user_calls, venv_calls):
    archive = make_tar(tmp_path / "bad.tar.gz", [("hello/app.py", b"x\n", 0o644, 0),
                                                 ("hello/../../evil.txt", b"pwned\n", 0o644, 0)])
    result = run(archive_args(args, archive, strip=1))
    assert result["failed"] is True
    assert "unpacking %s failed" % archive in result["msg"] and ".." in result["msg"]
    for where in (layout["root"], layout["root"] / "releases", tmp_path):
        assert not (where / "evil.txt").exists()
    assert not releases.is_complete(str(layout["root"] / "releases"), result["release"])


def test_missing_archive_fails(run, args, tmp_path, user_calls, venv_calls):
    result = run(archive_args(args, tmp_path / "gone.tar.gz"))
    assert result["failed"] is True and result["msg"] == "hello: the archive %s is not on the host" % (tmp_path / "gone.tar.gz")


# the secret key

def test_secret_key_generated_once(run, args, layout, user_calls, venv_calls):
    key_file = layout["config_dir"] / "secret_key.env"
    args = dict(args, config_dir=str(layout["config_dir"]), secret_key_file=str(key_file))
    first = run(args)
    assert "generate the secret key %s" % key_file in first["changes"]
    assert (mode_of(layout["config_dir"]), owner_of(layout["config_dir"])) == (0o750, (0, APP_GID))
    assert (mode_of(layout["config_dir"].parent), owner_of(layout["config_dir"].parent)) == (0o755, (0, 0))
    assert (mode_of(key_file), owner_of(key_file)) == (0o640, (0, APP_GID))
    content = key_file.read_text()
    match = re.match(r'^SECRET_KEY="([A-Za-z0-9_-]{64})"\n$', content)
    assert match, content
    assert os.listdir(layout["config_dir"]) == ["secret_key.env"]  # no temporary file left
    # the app's environment, as flaskstack-run.py (and systemd) read the file
    assert load_run_script().read_env_file(str(key_file)) == {"SECRET_KEY": match.group(1)}
    assert match.group(1) not in json.dumps(first)  # never returned

    second = run(args)
    assert key_file.read_text() == content
    assert second["changed"] is False and second["changes"] == []


def test_secret_key_migrated_from_the_legacy_file(run, args, layout, user_calls, venv_calls):
    layout["config_dir"].mkdir(parents=True)
    (layout["config_dir"] / "secret_key").write_text("legacy-Key_123\n")
    key_file = layout["config_dir"] / "secret_key.env"
    run(dict(args, config_dir=str(layout["config_dir"]), secret_key_file=str(key_file), secret_key_var="FLASK_SECRET_KEY"))
    assert key_file.read_text() == 'FLASK_SECRET_KEY="legacy-Key_123"\n'
    assert (mode_of(key_file), owner_of(key_file)) == (0o640, (0, APP_GID))


def test_an_existing_secret_key_file_is_kept(run, args, layout, user_calls, venv_calls):
    layout["config_dir"].mkdir(parents=True)
    key_file = layout["config_dir"] / "secret_key.env"
    key_file.write_text('SECRET_KEY="set by hand"\n')
    (layout["config_dir"] / "secret_key").write_text("legacy\n")
    run(dict(args, config_dir=str(layout["config_dir"]), secret_key_file=str(key_file)))
    assert key_file.read_text() == 'SECRET_KEY="set by hand"\n'


# directories kept right, code only, arguments

def test_a_shared_directory_mode_that_drifted_is_put_back(run, args, layout, user_calls, venv_calls):
    run(args)
    instance = layout["root"] / "shared" / "instance"
    os.chmod(instance, 0o777)
    os.chown(instance, 0, 0)
    (instance / "app.db").write_text("data")
    result = run(args)
    assert result["built"] is False and result["changed"] is True
    assert "mode of %s: 0777 -> 0750" % instance in result["changes"]
    assert "owner of %s" % instance in result["changes"]
    assert (mode_of(instance), owner_of(instance)) == (0o750, (APP_UID, APP_GID))
    assert (instance / "app.db").read_text() == "data"


def test_code_only_builds_no_virtualenv(run, args, layout, user_calls, venv_calls):
    result = run(dict(args, code_only=True))
    assert result["built"] is True and venv_calls == []
    assert not os.path.exists(os.path.join(result["release_dir"], "venv"))
    assert not os.path.exists(layout["cache_dir"])
    assert os.path.isfile(os.path.join(result["release_dir"], releases.MARKER))


@pytest.mark.parametrize("change,fragment", [
    ({"build_id": "b-1"}, "build_id must be letters and digits"),
    ({"shared_dirs": [{"path": "../etc"}]}, "must be a relative path without '..'"),
    ({"shared_dirs": [{"path": "a/../../b"}]}, "must be a relative path without '..'"),
    ({"shared_dirs": [{"path": "./x"}]}, "must be a relative path without '..'"),
    ({"shared_dirs": [{"path": "/"}]}, "must be a relative path without '..'"),
    ({"shared_dirs": [{"path": "data", "mode": "0999"}]}, "must be octal such as 0750"),
    ({"shared_dirs": [{"path": "data", "mode": "u+rwx"}]}, "must be octal such as 0750"),
    ({"source": "archive"}, "archive"),
])
def test_bad_arguments_fail_before_touching_anything(run, args, layout, user_calls, venv_calls, change, fragment):
    result = run(dict(args, **change))
    assert result["failed"] is True and fragment in result["msg"], result["msg"]
    assert not os.path.lexists(layout["root"]) and user_calls == []


def test_dependency_target(tmp_path):
    target = release_module.dependency_target
    with pytest.raises(release_module.BuildError, match="neither requirements.txt nor pyproject.toml"):
        target(str(tmp_path), "")
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    assert target(str(tmp_path), "") == ["."]
    with pytest.raises(release_module.BuildError, match="requirements file req/prod.txt is not in the release"):
        target(str(tmp_path), "req/prod.txt")
    (tmp_path / "requirements.txt").write_text("")
    assert target(str(tmp_path), "") == ["-r", "requirements.txt"]


# The one test that builds a real virtualenv (python3 -m venv and pip, a few seconds): an empty
# requirements.txt, so that pip downloads nothing. Left out by: pytest -m "not slow".
@pytest.mark.slow
def test_real_virtualenv_with_pip_and_empty_requirements(run, args, layout, user_calls):
    result = run(args)
    assert result["built"] is True, result.get("msg")
    release_dir = result["release_dir"]
    python = os.path.join(release_dir, "venv", "bin", "python")
    prefix = subprocess.run([python, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True, check=True)
    assert prefix.stdout.strip() == os.path.join(release_dir, "venv")
    assert owner_of(os.path.join(release_dir, "venv")) == (0, 0)
    # the app's own code byte-compiled while the release was root's to write
    compiled = os.listdir(os.path.join(release_dir, "__pycache__"))
    assert any(name.startswith("app.") and name.endswith(".pyc") for name in compiled), compiled
    assert os.path.isfile(os.path.join(release_dir, releases.MARKER))


def test_link_shared_refuses_a_symlink_in_the_code_leading_outside(tmp_path):
    from ansible_collections.flaskstack.deploy.plugins.modules import release as release_module
    rel = tmp_path / "rel"
    rel.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (rel / "var").symlink_to(outside)
    with pytest.raises(release_module.BuildError, match="leads outside the release"):
        release_module.link_shared(str(rel), str(tmp_path / "shared"), [{"path": "var/uploads", "mode": "0750"}])
    assert list(outside.iterdir()) == []


def test_an_index_url_with_credentials_is_never_shown(run, args, layout, user_calls, monkeypatch):
    # pip and uv name the index in their errors; the module's arguments and messages must not show
    # the token a private index URL carries.
    index = "https://ci:tok3n-91c2@pypi.example.test/simple"
    extra = "https://ci:xtra-55e1@extra.example.test/simple"

    def broken(module, params, release_dir):
        raise release_module.BuildError("pip install --index-url %s --extra-index-url %s failed (rc=1)" % (index, extra))

    monkeypatch.setattr(release_module, "build_venv", broken)
    failed = run(dict(args, index_url=index, extra_index_urls=[extra]))
    assert failed["failed"] is True and "failed (rc=1)" in failed["msg"]
    shown = json.dumps(failed)
    assert "tok3n-91c2" not in shown and "xtra-55e1" not in shown, shown
