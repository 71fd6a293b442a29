#!/usr/bin/env python3
"""Run action.yml's composite steps here, as a runner would, without `act`:
each `run:` step in bash with the action's inputs, GITHUB_* files and step
outputs substituted; `uses: actions/upload-artifact` copies the path into
OUT/artifact/NAME instead. Prints each step and its exit status, then the
job summary it wrote.

    python3 ci/action-local.py OUT labs=examples/two-pods-bridge [modules=...] [args=...]

Run from the repository root (the workspace). Expressions understood:
inputs.X, steps.ID.outputs.X, always(), `inputs.X != ''`.
"""
import os, re, shutil, subprocess, sys, yaml

def main(argv):
    out = os.path.abspath(argv[0])
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    action = yaml.safe_load(open(os.path.join(here, "action.yml")))
    inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    for a in argv[1:]:
        k, _, v = a.partition("=")
        inputs[k] = v
    for k, v in action["inputs"].items():
        if v.get("required") and not inputs.get(k):
            sys.exit("input %s is required" % k)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    files = {n: os.path.join(out, n) for n in ("GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_STEP_SUMMARY", "GITHUB_ENV")}
    for f in files.values():
        open(f, "w").close()
    temp = os.path.join(out, "runner-temp")
    os.makedirs(temp)
    steps, failed = {}, False

    def expr(text):
        def one(m):
            e = m.group(1).strip()
            if e.startswith("inputs."):
                return inputs.get(e[7:], "")
            m2 = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", e)
            if m2:
                return steps.get(m2.group(1), {}).get(m2.group(2), "")
            raise SystemExit("expression not understood: " + e)
        return re.sub(r"\$\{\{(.*?)\}\}", one, text)

    def cond(c):
        if c is None:
            return not failed
        c = c.strip()
        if c == "always()":
            return True
        m = re.fullmatch(r"inputs\.([\w-]+) != ''", c)
        if m:
            return not failed and inputs.get(m.group(1), "") != ""
        raise SystemExit("condition not understood: " + c)

    path_extra = []
    if os.geteuid() == 0 and not shutil.which("sudo"):
        # Root without sudo (a container): the runner's `sudo` is a no-op here.
        shim = os.path.join(out, "sudo-shim")
        os.makedirs(shim)
        with open(os.path.join(shim, "sudo"), "w") as f:
            f.write('#!/bin/sh\nwhile [ $# -gt 0 ]; do case "$1" in -*) shift ;; *) break ;; esac; done\nexec env "$@"\n')
        os.chmod(os.path.join(shim, "sudo"), 0o755)
        path_extra = [shim]
    for st in action["runs"]["steps"]:
        name = st.get("name", st.get("id", "?"))
        if not cond(st.get("if")):
            print("--- skip: %s" % name)
            continue
        if "uses" in st:
            w = {k: expr(str(v)) for k, v in st.get("with", {}).items()}
            dst = os.path.join(out, "artifact", w["name"])
            if os.path.isdir(w["path"]):
                shutil.copytree(w["path"], dst)
            print("--- %s: %s -> %s" % (name, st["uses"], dst))
            continue
        env = dict(os.environ)
        env.update(files)
        env.update({"GITHUB_ACTION_PATH": here, "RUNNER_TEMP": temp, "GITHUB_WORKSPACE": os.getcwd()})
        env["PATH"] = ":".join(path_extra + [env["PATH"]])
        env.update({k: expr(str(v)) for k, v in st.get("env", {}).items()})
        open(files["GITHUB_OUTPUT"], "w").close()
        print("--- %s" % name, flush=True)
        rc = subprocess.call(["bash", "-e", "-c", expr(st["run"])], env=env)
        print("--- %s: exit %d" % (name, rc), flush=True)
        outs = {}
        for line in open(files["GITHUB_OUTPUT"]):
            k, _, v = line.rstrip("\n").partition("=")
            outs[k] = v
        steps[st.get("id", name)] = outs
        path_extra = [p for p in path_extra if p.endswith("sudo-shim")] + [
            l.strip() for l in open(files["GITHUB_PATH"]) if l.strip()]
        failed = failed or rc != 0
    print("=== $GITHUB_STEP_SUMMARY")
    print(open(files["GITHUB_STEP_SUMMARY"]).read())
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
