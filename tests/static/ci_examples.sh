#!/usr/bin/env bash
# The CI examples of docs/ci.md (docs/examples/github-actions.yml, docs/examples/gitlab-ci.yml):
# docs/ci.md shows each as it is; both parse as YAML (python3-yaml); every `loopscope` command line
# in their steps uses only options its subcommand's --help lists; each records two sets
# interleaved: one `run` line (--load, files this repository has) in a function record SIDE RUN
# writing runs-SIDE/run-RUN, called by a loop of N >= 3 rounds for the target's build, then the
# change's; one `check` line, of the change's build, whose --baseline and --current are those sets,
# writing --junit, --markdown and --diff; GitLab publishes the JUnit file
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
import os, re, shlex, sys, yaml
path = sys.argv[1]
doc = yaml.safe_load(open(path))
def fail(msg):
    sys.exit(f"FAIL: {path}: {msg}")
blocks = []  # the shell text of each step or script entry
if "jobs" in doc:  # GitHub Actions
    (job,) = doc["jobs"].values()
    steps = job["steps"]
    blocks = [s["run"] for s in steps if "run" in s]
    if any("working-directory" in s for s in steps if "loopscope " in s.get("run", "")):
        fail("a loopscope step with a working-directory: the paths below are the job's")
    if not any("$GITHUB_STEP_SUMMARY" in s.get("run", "") and s.get("if") == "always()" for s in steps):
        fail("no step that appends the markdown to $GITHUB_STEP_SUMMARY whatever the outcome")
    up = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    if not up or up[0].get("if") != "always()":
        fail("no upload-artifact step that runs whatever the outcome")
    uploaded = up[0]["with"]["path"].split()
else:  # GitLab CI
    (job,) = doc.values()
    blocks = job.get("before_script", []) + job["script"]
    art = job["artifacts"]
    if art.get("when") != "always":
        fail("artifacts are not kept when the check fails (when: always)")
    uploaded = art["paths"] + [art["reports"]["junit"]]
text = "\n".join(blocks)
# One run line, in record SIDE RUN: (cd SIDE && BIN run ... -o ../runs-SIDE/run-RUN ...), so that
# both builds are recorded with the same options; a loop of N >= 3 rounds calling it for the
# baseline's side, then the change's: the two sets interleaved.
runs = [l.strip() for l in text.splitlines() if re.search(r"loopscope run\b", l)]
if len(runs) != 1:
    fail(f"{len(runs)} loopscope run lines, not 1 (one for both builds)")
m = re.fullmatch(r'\(cd "\$1" && (\S*loopscope run .*)\)', runs[0])
if not m or "record() {" not in text:
    fail(f"the run line is not (cd \"$1\" && ... loopscope run ...) in a function record: {runs[0]}")
run = m.group(1)
loop = re.search(r'for i in ([0-9 ]+); do record (\w+) "\$i" && record (\w+) "\$i" \|\| exit; done', text)
if not loop:
    fail("no loop: for i in 1 2 3 ...; do record BASE \"$i\" && record CHANGE \"$i\" || exit; done")
nruns = len(loop.group(1).split())
if nruns < 3 or loop.group(1).split() != [str(i) for i in range(1, nruns + 1)]:
    fail(f"the runs are not 1 to N with N >= 3 (check's verdict would be weak): {loop.group(0)}")
sides = [loop.group(2), loop.group(3)]
checks = [l.strip() for l in text.splitlines() if re.search(r"loopscope check\b", l)]
if len(checks) != 1:
    fail(f"{len(checks)} loopscope check lines, not 1")
def parse(line):
    argv = shlex.split(line)
    opts, i = {}, 2
    while i < len(argv) and argv[i] != "--":
        a = argv[i]
        if not a.startswith("-"):
            fail(f"a stray argument {a!r} in: {line}")
        takes = a not in ("-q", "--quiet", "--no-report", "--no-bpf", "--offcpu", "--no-offcpu", "--no-node-flags")
        opts.setdefault(a, []).append(argv[i + 1] if takes else True)
        i += 2 if takes else 1
    return argv, opts, argv[i + 1:]
argv, opts, target = parse(run)
if "--repeat" in opts:
    fail(f"--repeat in the interleaved run line: {run}")
if "--load" not in opts:
    fail(f"no --load: {run}")
if opts["-o"] != ["../runs-$1/run-$2"]:
    fail(f"-o is not ../runs-$1/run-$2: {run}")
for f in [a for a in target if a.startswith("tests/")] + [a for a in shlex.split(opts["--load"][0]) if a.startswith("tests/")]:
    if not os.path.isfile(f):
        fail(f"{f} is not in this repository: {run}")
print(f"run\t{' '.join(sorted(opts))}\t{run}")
for side in sides:
    if not re.search(rf"mkdir .*\bruns-{side}\b", text):
        fail(f"runs-{side}, where the runs go, is not made before the loop")
    for i in range(1, 4):
        print(f"set\truns-{side}/run-{i}")
cargv, copts, _ = parse(checks[0])
if copts.get("--baseline") != [f"runs-{sides[0]}"] or copts.get("--current") != [f"runs-{sides[1]}"]:
    fail(f"check compares {copts.get('--baseline')} with {copts.get('--current')}, the runs made runs-{sides[0]} and runs-{sides[1]}")
if not cargv[0].startswith(f"{sides[1]}/"):
    fail(f"check is not the change's build ({sides[1]}/...): {checks[0]}")
for o in ("--junit", "--markdown", "--diff"):
    if o not in copts:
        fail(f"check writes no {o}: {checks[0]}")
    if copts[o][0] not in uploaded:
        fail(f"{copts[o][0]} ({o}) is not kept: {uploaded}")
for side in sides:
    if f"runs-{side}/" not in uploaded:
        fail(f"runs-{side}/ is not kept: {uploaded}")
print(f"check\t{' '.join(sorted(copts))}\t{checks[0]}")
PY

for f in docs/examples/github-actions.yml docs/examples/gitlab-ci.yml; do
	python3 - "$f" <<'PY' || exit 1
import sys
f = sys.argv[1]
if "```yaml\n" + open(f).read() + "```\n" not in open("docs/ci.md").read():
    sys.exit(f"FAIL: docs/ci.md does not show {f} as it is (a ```yaml block)")
PY
	python3 "$T/commands.py" "$f" >"$T/cmds" || exit 1
	while IFS=$'\t' read -r sub opts line; do
		[ "$sub" != set ] || continue
		"$LOOPSCOPE" "$sub" --help >"$T/help" 2>&1 || { echo "FAIL: loopscope $sub --help exited $?"; exit 1; }
		for o in $opts; do
			grep -qE -- "(^|[ ,])$o( |,|$)" "$T/help" || { echo "FAIL: $f: loopscope $sub has no option $o: $line"; exit 1; }
		done
		echo "  $f: loopscope $sub: $opts" >&2
	done <"$T/cmds"

	# The check line as written, on synthetic sets of 3 where the run line puts its runs.
	job="$T/job-$(basename "$f" .yml)"
	mkdir -p "$job"
	awk -F'\t' '$1 == "set" {print $2}' "$T/cmds" | while read -r run; do
		python3 tests/tools/make-session.py --out "$job/$run" --samples 500 --stacks 50 --threads 2 \
			--seed "${run##*-}" >/dev/null || { echo "FAIL: make-session.py"; exit 1; }
	done || exit 1
	line=$(awk -F'\t' '$1 == "check" {print $3}' "$T/cmds")
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
