#!/usr/bin/env python3
# Copyright (c) 2026 flaskstack maintainers. MIT License (see LICENSE).
# Installed by the flaskstack.deploy.flask_app role. Standard library only.
"""Run a command as an app's user, with the app's environment, in a directory.

    flaskstack-run --user hello --group hello --env-file /etc/flaskstack/hello/env \\
        --chdir /srv/flaskstack/hello/releases/ID --setenv PATH=... -- sh -c 'flask db upgrade'

Used for the hooks and the check of a new release. It needs no D-Bus (systemd-run does, and many
minimal hosts have none). The environment starts empty: HOME is the app's home, then the
environment file (as systemd's EnvironmentFile= reads the file flaskstack writes), then --setenv.
"""

import argparse
import grp
import os
import pwd
import re
import sys

LINE_RE = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*)=(?:"((?:[^"\\]|\\.)*)"|(.*))$')


def read_env_file(path):
    env = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            match = LINE_RE.match(line)
            if not match:
                raise SystemExit("flaskstack-run: cannot read line of %s: %s" % (path, line.split("=")[0]))
            name, quoted, bare = match.groups()
            if quoted is None:
                env[name] = bare.strip()
            else:
                env[name] = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), quoted)
    return env


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--user", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--env-file", action="append", default=[],
                        help="read in order; a leading '-': skipped when missing (as systemd's EnvironmentFile=)")
    parser.add_argument("--chdir", required=True)
    parser.add_argument("--setenv", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")

    user = pwd.getpwnam(args.user)
    gid = grp.getgrnam(args.group).gr_gid
    env = {"HOME": user.pw_dir, "USER": user.pw_name, "LOGNAME": user.pw_name, "LANG": "C.UTF-8",
           "PATH": "/usr/local/bin:/usr/bin:/bin"}
    for env_file in args.env_file:  # read as root: the files are root:group 0640
        optional = env_file.startswith("-")
        env_file = env_file[1:] if optional else env_file
        if optional and not os.path.exists(env_file):
            continue
        env.update(read_env_file(env_file))
    for item in args.setenv:
        name, dummy, value = item.partition("=")
        env[name] = value

    os.setgroups([gid])
    os.setgid(gid)
    os.setuid(user.pw_uid)
    if os.getuid() != user.pw_uid or os.geteuid() != user.pw_uid:
        raise SystemExit("flaskstack-run: could not become %s" % args.user)
    # Files a hook writes into a shared directory nginx serves (collectstatic) must be readable by it;
    # the shared directories' own modes (0750 by default) keep the rest private.
    os.umask(0o022)
    os.chdir(args.chdir)
    sys.stdout.flush()
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    main()
