#!/usr/bin/env bash
# The CI examples of docs/ci.md (docs/examples/github-actions.yml, docs/examples/gitlab-ci.yml):
# docs/ci.md shows each as it is; both parse as YAML (python3-yaml); every `loopscope` command line in their steps uses only options
# its subcommand's --help lists; each records two sets (`run --repeat N`, N >= 3, --load) of files
# this repository has, and compares them with one `check` line whose --baseline and --current are
# those sets, writing --junit, --markdown and --diff; GitLab publishes the JUnit file
# (artifacts:reports:junit) whatever the outcome; GitHub appends the markdown to
# $GITHUB_STEP_SUMMARY and uploads the reports even when the check failed. Then the check line
# itself, as written, runs on two synthetic sets of 3 sessions (tests/tools/make-session.py) put
# where the run lines would: exit 0, the three files written, the JUnit file valid against
# tests/tools/junit.xsd. The run lines are run for real, shortened, by
# tests/integration/check_ci_app.sh.
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}"
LOOPSCOPE="$BUILD/bin/loopscope"

python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3-yaml is not installed (make deps)" >&2; exit 77; }
[ -x "$LOOPSCOPE" ] || { echo "FAIL: no $LOOPSCOPE (make all)"; exit 1; }
ls_abs=$(realpath "$LOOPSCOPE")
T=$(mktemp -d "${TMPDIR:-/tmp}/loopscope-test.XXXXXX")
trap 'rm -rf "$T"' EXIT

# commands.py FILE: checks the file's structure; prints each loopscope command as
# "WORKDIR<TAB>COMMAND" (WORKDIR relative to the job's directory), runs first, check last.
cat >"$T/commands.py" <<'PY'
import os, shlex, sys, yaml
path = sys.argv[1]
doc = yaml.safe_load(open(path))
def fail(msg):
    sys.exit(f"FAIL: {path}: {msg}")
cmds = []  # (workdir, command)
if "jobs" in doc:  # GitHub Actions
    (job,) = doc["jobs"].values()
    steps = job["steps"]
    for s in steps:
        if "run" not in s:
            continue
        for line in s["run"].splitlines():
            if "loopscope " in line:
                cmds.append((s.get("working-directory", "."), line.strip(), s))
    if not any("$GITHUB_STEP_SUMMARY" in s.get("run", "") and s.get("if") == "always()" for s in steps):
        fail("no step that appends the markdown to $GITHUB_STEP_SUMMARY whatever the outcome")
    up = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    if not up or up[0].get("if") != "always()":
        fail("no upload-artifact step that runs whatever the outcome")
    uploaded = up[0]["with"]["path"].split()
else:  # GitLab CI
    (job,) = doc.values()
    for line in job.get("before_script", []) + job["script"]:
        if "loopscope " in line:
            wd = "."
            if line.startswith("(cd "):
                wd, line = line[4:].split(" && ", 1)
                line = line.rstrip(")")
            cmds.append((wd, line.strip(), None))
    art = job["artifacts"]
    if art.get("when") != "always":
        fail("artifacts are not kept when the check fails (when: always)")
    uploaded = art["paths"] + [art["reports"]["junit"]]
runs, checks = [], []
for wd, line, _ in cmds:
    argv = shlex.split(line)
    sub = argv[1]
    opts = {}
    i = 2
    while i < len(argv) and argv[i] != "--":
        a = argv[i]
        if a.startswith("-"):
            takes = a not in ("-q", "--quiet", "--no-report", "--no-bpf", "--offcpu", "--no-offcpu", "--no-node-flags")
            opts.setdefault(a, []).append(argv[i + 1] if takes else True)
            i += 2 if takes else 1
        else:
            fail(f"a stray argument {a!r} in: {line}")
    target = argv[i + 1:] if i < len(argv) else []
    (runs if sub == "run" else checks).append((wd, sub, opts, target, line))
if len(runs) != 2 or len(checks) != 1:
    fail(f"{len(runs)} run lines and {len(checks)} check lines, not 2 and 1")
sets = []
for wd, sub, opts, target, line in runs:
    if int(opts.get("--repeat", ["0"])[0]) < 3:
        fail(f"fewer than 3 runs a side (check's verdict would be weak): {line}")
    if "--load" not in opts:
        fail(f"no --load: {line}")
    for f in [a for a in target if a.startswith("tests/")] + [a for a in shlex.split(opts["--load"][0]) if a.startswith("tests/")]:
        try:
            open(f)
        except OSError:
            fail(f"{f} is not in this repository: {line}")
    sets.append(os.path.normpath(os.path.join(wd, opts["-o"][0])))
wd, sub, opts, target, line = checks[0]
if sorted([opts["--baseline"][0], opts["--current"][0]]) != sorted(sets):
    fail(f"check compares {opts['--baseline']} with {opts['--current']}, the runs made {sets}")
for o in ("--junit", "--markdown", "--diff"):
    if o not in opts:
        fail(f"check writes no {o}: {line}")
    if opts[o][0] not in uploaded:
        fail(f"{opts[o][0]} ({o}) is not kept: {uploaded}")
for wd, sub, opts, target, line in runs + checks:
    print(f"{wd}\t{sub}\t{' '.join(sorted(opts))}\t{line}")
PY

for f in docs/examples/github-actions.yml docs/examples/gitlab-ci.yml; do
	python3 - "$f" <<'PY' || exit 1
import sys
f = sys.argv[1]
if "```yaml\n" + open(f).read() + "```\n" not in open("docs/ci.md").read():
    sys.exit(f"FAIL: docs/ci.md does not show {f} as it is (a ```yaml block)")
PY
	python3 "$T/commands.py" "$f" >"$T/cmds" || exit 1
	while IFS=$'\t' read -r wd sub opts line; do
		"$LOOPSCOPE" "$sub" --help >"$T/help" 2>&1 || { echo "FAIL: loopscope $sub --help exited $?"; exit 1; }
		for o in $opts; do
			grep -qE -- "(^|[ ,])$o( |,|$)" "$T/help" || { echo "FAIL: $f: loopscope $sub has no option $o: $line"; exit 1; }
		done
		echo "  $f: loopscope $sub: $opts" >&2
	done <"$T/cmds"

	# The check line as written, on synthetic sets where the run lines put theirs.
	job="$T/job-$(basename "$f" .yml)"
	mkdir -p "$job"
	awk -F'\t' '$2 == "run" {print $1 "\t" $4}' "$T/cmds" | while IFS=$'\t' read -r wd line; do
		set=$(python3 -c 'import os,shlex,sys; a=shlex.split(sys.argv[2]); print(os.path.normpath(os.path.join(sys.argv[1], a[a.index("-o")+1])))' "$wd" "$line")
		for i in 1 2 3; do
			python3 tests/tools/make-session.py --out "$job/$set/run-$i" --samples 500 --stacks 50 --threads 2 --seed "$i" >/dev/null ||
				{ echo "FAIL: make-session.py"; exit 1; }
		done
	done || exit 1
	line=$(awk -F'\t' '$2 == "check" {print $4}' "$T/cmds")
	bin=$(python3 -c 'import shlex,sys; print(shlex.split(sys.argv[1])[0])' "$line")
	(cd "$job" && eval "${line/#$bin/$ls_abs}") >"$T/check.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || { echo "FAIL: $f: the check line on two like sets exited $rc: $(cat "$T/check.out")"; exit 1; }
	for o in check.xml check.md diff.html; do
		[ -s "$job/$o" ] || { echo "FAIL: $f: the check line wrote no $o"; exit 1; }
	done
	if command -v xmllint >/dev/null; then
		xmllint -noout -schema tests/tools/junit.xsd "$job/check.xml" 2>"$T/xml.err" ||
			{ echo "FAIL: $f: the JUnit file is invalid: $(cat "$T/xml.err")"; exit 1; }
	fi
	echo "  $f: the check line on synthetic sets: exit 0, $(grep -c '<testcase ' "$job/check.xml") testcases" >&2
done
