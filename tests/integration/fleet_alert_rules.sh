# docs/fleet.md's Prometheus configuration as a user copies it: the scrape configuration (the YAML
# block under "### Scrape configuration") accepted by `promtool check config`; the alert rules (the
# YAML block under "### Alert rules"), checked
# by `promtool check rules` and run by `promtool test rules` (Debian's prometheus) on series shaped
# like the agent's (docs/metrics.md), evaluated every second (the pool's every minute). Expected:
#   - EventLoopBlocked: busy_now_seconds 0 for 3 s, then growing 1 s a second (a loop blocked from
#     t=3 s): nothing at 8 s (pending: `for: 10s`), firing at 20 s with the loop's labels and the
#     summary "... blocked for 18s" (busy_now at 20 s);
#   - a loop that is busy 1 s at a time (busy_now back to 0 every other second): never fires;
#   - EventLoopSaturated: utilization 0.95 for 15 minutes: firing at 12 min, "busy 95% of the time";
#     0.5: nothing;
#   - ThreadPoolStarved: saturated 48 s a minute (rate 0.8) and tasks' wait p99 about 0.5 s (buckets
#     le=0.1 1/s, le=0.5 and +Inf 10/s): firing at 15 min, "saturated 80% of the time"; the same
#     saturation with waits under 0.1 s (every task in le=0.1): nothing.
# No tolerance: promtool compares labels and annotations exactly.
. tests/lib.sh
command -v promtool >/dev/null || skip "promtool is not installed (Debian: prometheus; make deps installs it)"

# yaml_block HEADING: the first ```yaml block after the heading in docs/fleet.md
yaml_block() {
	python3 - docs/fleet.md "$1" <<'PY'
import sys
section = open(sys.argv[1]).read().split(sys.argv[2] + "\n", 1)[1]
sys.stdout.write(section.split("```yaml\n", 1)[1].split("```", 1)[0])
PY
}
yaml_block "### Scrape configuration" >"$T/prometheus.yml" || fail "no scrape configuration block in docs/fleet.md"
grep -q "scrape_configs:" "$T/prometheus.yml" || fail "the scrape configuration block: $(cat "$T/prometheus.yml")"
promtool check config "$T/prometheus.yml" >"$T/config.out" 2>&1 || fail "promtool check config: $(cat "$T/config.out")"
note "promtool check config: $(grep -o 'SUCCESS.*' "$T/config.out" | head -n 1)"
yaml_block "### Alert rules" >"$T/rules.yml" || fail "no alert rules block in docs/fleet.md"
grep -q "alert: EventLoopBlocked" "$T/rules.yml" || fail "the alert rules block: $(cat "$T/rules.yml")"
promtool check rules "$T/rules.yml" >"$T/check.out" 2>&1 || fail "promtool check rules: $(cat "$T/check.out")"
note "promtool check rules: $(grep -o 'SUCCESS.*' "$T/check.out" | head -n 1)"

cat >"$T/test.yml" <<'YML'
rule_files: [rules.yml]
evaluation_interval: 1s
tests:
  - interval: 1s
    input_series:
      - series: 'loopscope_event_loop_busy_now_seconds{job="node",instance="web1:9464",tid="7",thread="node",role="main"}'
        values: '0 0 0 1+1x40'
      - series: 'loopscope_event_loop_busy_now_seconds{job="node",instance="web2:9464",tid="8",thread="node",role="main"}'
        values: '0 1 0 1 0 1 0 1 0 1 0 1 0 1 0 1 0 1 0 1 0 1 0 1 0 1'
    alert_rule_test:
      - eval_time: 8s
        alertname: EventLoopBlocked
        exp_alerts: []
      - eval_time: 20s
        alertname: EventLoopBlocked
        exp_alerts:
          - exp_labels: {severity: page, job: node, instance: "web1:9464", tid: "7", thread: node}
            exp_annotations:
              summary: "event loop node (7) on web1:9464 blocked for 18s"
  - interval: 1m
    input_series:
      - series: 'loopscope_event_loop_utilization{job="node",instance="web1:9464",tid="7",thread="node",role="main"}'
        values: '0.95x15'
      - series: 'loopscope_event_loop_utilization{job="node",instance="web2:9464",tid="8",thread="node",role="main"}'
        values: '0.5x15'
    alert_rule_test:
      - eval_time: 12m
        alertname: EventLoopSaturated
        exp_alerts:
          - exp_labels: {severity: warn, job: node, instance: "web1:9464", tid: "7", thread: node, role: main}
            exp_annotations:
              summary: "main event loop on web1:9464 busy 95% of the time"
  - interval: 1m
    input_series:
      - series: 'loopscope_threadpool_saturated_seconds_total{job="node",instance="web1:9464"}'
        values: '0+48x20'
      - series: 'loopscope_threadpool_wait_seconds_bucket{job="node",instance="web1:9464",le="0.1"}'
        values: '0+60x20'
      - series: 'loopscope_threadpool_wait_seconds_bucket{job="node",instance="web1:9464",le="0.5"}'
        values: '0+600x20'
      - series: 'loopscope_threadpool_wait_seconds_bucket{job="node",instance="web1:9464",le="+Inf"}'
        values: '0+600x20'
      - series: 'loopscope_threadpool_saturated_seconds_total{job="node",instance="web2:9464"}'
        values: '0+48x20'
      - series: 'loopscope_threadpool_wait_seconds_bucket{job="node",instance="web2:9464",le="0.1"}'
        values: '0+600x20'
      - series: 'loopscope_threadpool_wait_seconds_bucket{job="node",instance="web2:9464",le="0.5"}'
        values: '0+600x20'
      - series: 'loopscope_threadpool_wait_seconds_bucket{job="node",instance="web2:9464",le="+Inf"}'
        values: '0+600x20'
    alert_rule_test:
      - eval_time: 15m
        alertname: ThreadPoolStarved
        exp_alerts:
          - exp_labels: {severity: warn, job: node, instance: "web1:9464"}
            exp_annotations:
              summary: "libuv thread pool on web1:9464 saturated 80% of the time"
YML
promtool test rules "$T/test.yml" >"$T/test.out" 2>&1 || fail "promtool test rules: $(cat "$T/test.out")"
note "promtool test rules: $(grep -o 'SUCCESS' "$T/test.out" | head -n 1) (EventLoopBlocked, EventLoopSaturated, ThreadPoolStarved fire where they should, and only there)"
