#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 flaskstack maintainers. MIT License (see LICENSE).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: health
short_description: Check a live flaskstack app through its socket
version_added: 2.0.0
description:
  - Sends GET I(path) to the app server on the host, through its unix socket or host:port, speaking
    HTTP (Gunicorn) or the uwsgi protocol (uWSGI), and retries until the expected status comes back or
    I(timeout) seconds have passed. Fails with the last answer or error.
  - Changes nothing.
author: flaskstack maintainers (@flaskstack)
attributes:
  check_mode:
    support: full
    description: Runs the check in check mode too unless I(skip_in_check_mode) (the server may not exist yet).
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
options:
  address:
    description: Unix socket path or host:port of the app server.
    type: str
    required: true
  protocol:
    description: What the server speaks on it.
    type: str
    choices: [http, uwsgi]
    default: http
  path:
    description: Path requested.
    type: str
    default: /
  status:
    description: Expected status.
    type: int
    default: 200
  host:
    description: Host header.
    type: str
    default: localhost
  timeout:
    description: Seconds to keep trying.
    type: float
    default: 30
  skip_in_check_mode:
    description: In check mode, return without asking.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Check hello through its socket
  flaskstack.deploy.health:
    address: /run/flaskstack/hello.sock
    path: /health
    host: hello.example.com

- name: Check a uWSGI app on a private address
  flaskstack.deploy.health:
    address: 10.0.0.11:8001
    protocol: uwsgi
    timeout: 60
"""

RETURN = r"""
status:
  description: What the check found (the answer, or the last error).
  returned: always
  type: str
  sample: GET /health answered 200 through /run/flaskstack/hello.sock
attempts:
  description: Requests sent.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskstack.deploy.plugins.module_utils import health


def main():
    module = AnsibleModule(
        argument_spec=dict(
            address=dict(type="str", required=True),
            protocol=dict(type="str", choices=["http", "uwsgi"], default="http"),
            path=dict(type="str", default="/"),
            status=dict(type="int", default=200),
            host=dict(type="str", default="localhost"),
            timeout=dict(type="float", default=30.0),
            skip_in_check_mode=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if module.check_mode and p["skip_in_check_mode"]:
        module.exit_json(changed=False, skipped=True, status="not checked in check mode", attempts=0)
    ok, message, attempts = health.check(p["address"], p["protocol"], p["path"], p["status"], p["host"], p["timeout"])
    if not ok:
        module.fail_json(msg=message, status=message, attempts=attempts)
    module.exit_json(changed=False, status=message, attempts=attempts)


if __name__ == "__main__":
    main()
