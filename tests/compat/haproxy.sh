# haproxy (Debian's) in master-worker mode (-W, 2 threads) in front of an nginx serving a static
# file, under wrk through haproxy (2 threads, 20 connections, 3 s), alone, under loopscope run and
# under loopscope run --heap (serve_pair).
# Expected: same exit status, output and responses each time, wrk without a single error each
# time; the session holds the busy loops of both threads of haproxy's worker process, CPU samples
# (at 499 Hz) naming haproxy's functions, and a healthy diagnosis (healthy_diagnosis).
. tests/lib.sh
. tests/compat/lib.sh
need haproxy haproxy
need nginx nginx-light
need wrk wrk

PORT=$(free_port)
BACKEND=$(free_port)
mkdir -p "$T/www" "$T/nginx"
head -c 20000 /dev/urandom | base64 >"$T/www/index.html"
cat >"$T/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 256; }
http {
	access_log off;
$(nginx_temp_paths "$T/nginx")
	server { listen 127.0.0.1:$BACKEND; root $T/www; }
}
CONF
nginx -p "$T/nginx" -c "$T/nginx.conf" -e "$T/nginx/error.log" &
bg_track $!
wait_port "$BACKEND"

cat >"$T/haproxy.cfg" <<CONF
global
	nbthread 2
defaults
	mode http
	timeout connect 5s
	timeout client 30s
	timeout server 30s
frontend web
	bind 127.0.0.1:$PORT
	default_backend static
backend static
	server nginx 127.0.0.1:$BACKEND
CONF

cat >"$T/load.sh" <<'SH'
out=$1 base="http://127.0.0.1:$LOOPSCOPE_PORT"
{
	curl -sS --max-time 10 -o /dev/null -w '%{http_code} %{size_download}\n' "$base/index.html"
	curl -sS --max-time 10 "$base/index.html" | md5sum
	curl -sS --max-time 10 -o /dev/null -w '%{http_code}\n' "$base/missing"
} >"$out.check" 2>&1
timeout 20 wrk -t2 -c20 -d${COMPAT_LOAD_SECONDS:-3}s "$base/index.html" >"$out.wrk" 2>&1
echo $? >"$out.load-rc"
SH

serve_wrk "$PORT" "bash $T/load.sh" --hz 499 -- haproxy -W -db -q -f "$T/haproxy.cfg"
heap_recorded 1

session_recorded 2
master=$(json "$T/s/session.json" 'd["pid"]')
worker=$(awk -v m="$master" '$1 != m { print $1 }' "$T/busy" | sort -u)
within "haproxy worker processes with busy loops" "$(echo "$worker" | grep -c .)" 1 0 || fail "busy loops: $(cat "$T/busy")"
within "busy loops of the worker (nbthread 2)" "$(awk -v w="$worker" '$1 == w' "$T/busy" | wc -l)" 2 0 || fail "busy loops: $(cat "$T/busy")"
samples_by_pid "$T/s" >"$T/samples"
at_least "CPU samples of the worker" "$(awk -v p="$worker" '$1 == p { print $2 }' "$T/samples")" 20 ||
	fail "per pid: $(cat "$T/samples")"
named=$(named_samples "$T/s" '/haproxy$')
note "haproxy's functions in the samples: ${named#* }"
at_least "CPU samples naming a function of haproxy" "${named%% *}" 10 || fail "haproxy not named"
healthy_diagnosis
