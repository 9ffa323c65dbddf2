"""Shared helpers of the module tests: run a module's main() with arguments, read its JSON result."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args


@pytest.fixture
def run_module(capsys):
    """run_module(main, args, check_mode=False, diff=False) -> the module's result (a dict).

    main() must end with exit_json (status 0) or fail_json (status 1, ``failed`` in the result).
    """

    def run(main, args, check_mode=False, diff=False):
        args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
        capsys.readouterr()  # what ran before
        with patch_module_args(args):
            with pytest.raises(SystemExit) as exc:
                main()
        out = capsys.readouterr().out
        result = json.loads(out)
        assert (exc.value.code not in (0, None)) == bool(result.get("failed")), (exc.value.code, result)
        return result

    return run
