"""The sample app's worker process (`python -m worker`): takes the jobs the web app enqueued in its
state directory and writes each result, with who ran it (the tests check the user and the release)."""

import json
import os
import time

from app import VERSION, _jobs_dir


def main():
    pending = os.path.join(_jobs_dir(), "pending")
    done = os.path.join(_jobs_dir(), "done")
    os.makedirs(pending, exist_ok=True)
    os.makedirs(done, exist_ok=True)
    print("worker of version %s started, queue %s" % (VERSION, pending), flush=True)
    while True:
        for name in sorted(os.listdir(pending)):
            if not name.endswith(".json"):
                continue
            with open(os.path.join(pending, name)) as handle:
                job = json.load(handle)
            answer = {"id": name[:-5], "state": "done", "result": job["n"] ** 2, "uid": os.getuid(),
                      "pid": os.getpid(), "version": VERSION, "release": os.path.realpath(os.getcwd())}
            with open(os.path.join(done, name + ".tmp"), "w") as handle:
                json.dump(answer, handle)
            os.rename(os.path.join(done, name + ".tmp"), os.path.join(done, name))
            os.unlink(os.path.join(pending, name))
        time.sleep(0.2)


if __name__ == "__main__":
    main()
