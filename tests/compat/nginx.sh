# nginx (Debian's nginx-light): master and 2 workers, 'daemon off', its own nginx.conf in $T
# (workers as nobody when root), a static file and a fixed response, under wrk (2 threads,
# 20 connections, 3 s), alone, under loopscope run and under
# loopscope run --heap (serve_pair).
# Expected: same exit status, output, responses and error.log (numbers masked: a worker crash shows
# there) each time, wrk without a single error each time; the session holds a busy loop
# (iterations, ELU > 0) and CPU samples for each of the 2 workers, CPU samples naming nginx's
# functions (ngx_*), and a healthy diagnosis (healthy_diagnosis).
. tests/lib.sh
. tests/compat/lib.sh
need nginx nginx-light
need wrk wrk

chmod 711 "$T" # workers running as nobody read $T/www (the session needs no such help)
PORT=$(free_port)
mkdir -p "$T/www" "$T/logs"
head -c 20000 /dev/urandom | base64 >"$T/www/index.html"
chmod -R a+rX "$T/www"
user=""
[ "$(id -u)" = 0 ] && user="user nobody nogroup;"
cat >"$T/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes 2;
$user
pid $T/nginx.pid;
error_log $T/logs/error.log warn;
events { worker_connections 256; }
http {
	access_log off;
$(nginx_temp_paths "$T")
	server {
		listen 127.0.0.1:$PORT;
		root $T/www;
		location = /hello { return 200 "hello\n"; }
	}
}
CONF

cat >"$T/load.sh" <<'SH'
out=$1 base="http://127.0.0.1:$LOOPSCOPE_PORT"
{
	curl -sS --max-time 10 -o /dev/null -w '%{http_code} %{size_download}\n' "$base/index.html"
	curl -sS --max-time 10 "$base/index.html" | md5sum
	curl -sS --max-time 10 -w '%{http_code}\n' "$base/hello"
	curl -sS --max-time 10 -o /dev/null -w '%{http_code}\n' "$base/missing"
} >"$out.check" 2>&1
timeout 20 wrk -t2 -c20 -d${COMPAT_LOAD_SECONDS:-3}s "$base/index.html" >"$out.wrk" 2>&1
echo $? >"$out.load-rc"
SH

SERVER_LOGS="$T/logs/error.log"
serve_wrk "$PORT" "bash $T/load.sh" -- nginx -p "$T" -c "$T/nginx.conf" -e "$T/logs/error.log"
heap_recorded 2

session_recorded 2
master=$(json "$T/s/session.json" 'd["pid"]')
workers=$(awk -v m="$master" '$1 != m { print $1 }' "$T/busy" | sort -u)
within "worker processes with a busy loop" "$(echo "$workers" | grep -c .)" 2 0 || fail "busy loops: $(cat "$T/busy")"
samples_by_pid "$T/s" >"$T/samples"
for w in $workers; do
	at_least "CPU samples of worker $w" "$(awk -v p="$w" '$1 == p { print $2 }' "$T/samples")" 5 ||
		fail "worker $w has no CPU samples; per pid: $(cat "$T/samples")"
done
at_least "CPU samples in nginx's functions (ngx_*)" "$(folded_samples "$T/s" ';ngx_')" 5 || fail "nginx not named"
healthy_diagnosis
