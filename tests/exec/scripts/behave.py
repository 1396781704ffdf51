#!/usr/bin/python3
"""Misbehaves on request, for the failure tests: behave.py MODE OUTPUT_FILE [ARGS...]."""
import json
import os
import signal
import subprocess
import sys
import time

mode, out = sys.argv[1], sys.argv[2]
print("mode", mode, flush=True)
if mode == "ok":
    json.dump({"metrics": {"ok": 1}}, open(out, "w"))
elif mode == "exit3":
    print("something went wrong in epoch 7", file=sys.stderr)
    sys.exit(3)
elif mode == "segv":
    print("about to crash", file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGSEGV)
elif mode == "ignore_term":
    # Ignores SIGTERM and leaves a grandchild that ignores it too: only SIGKILL to the group helps.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen([sys.executable, "-c",
                              "import signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"])
    open(os.path.join(os.path.dirname(out), "grandchild.pid"), "w").write(str(child.pid))
    print("ignoring SIGTERM", file=sys.stderr, flush=True)
    time.sleep(300)
elif mode == "no_output":
    print("forgot to write the output")
elif mode == "bad_json":
    open(out, "w").write('{"metrics": {"loss": 0.5,')
elif mode == "nan":
    json.dump({"metrics": {"loss": float("nan")}}, open(out, "w"))
elif mode == "argv":
    # Reports its arguments exactly as received, for the placeholder tests.
    json.dump(sys.argv[3:], open(os.path.join(os.path.dirname(out), "argv.json"), "w"))
    json.dump({"metrics": {"nargs": len(sys.argv) - 3}}, open(out, "w"))
elif mode == "sleep":
    time.sleep(float(sys.argv[3]))
    json.dump({"metrics": {"slept": float(sys.argv[3])}}, open(out, "w"))
else:
    sys.exit("unknown mode " + mode)
