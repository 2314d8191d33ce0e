# Shell helpers shared by dev/ scripts, .ci/run and browser_tests/run. Source it; it defines functions only.
#
# Conventions: XW_BENCH_USER owns the bench (bench refuses root), XW_BENCH is its path. Every bench command runs
# as that user, without a terminal, so nothing can wait for input.

xw_say() { printf '\n==> %s\n' "$*"; }
xw_die() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

xw_defaults() {
	XW_BENCH_USER="${XW_BENCH_USER:-frappe}"
	XW_BENCH="${XW_BENCH:-/home/$XW_BENCH_USER/frappe-bench}"
	XW_REDIS_URL="${XW_REDIS_URL:-redis://127.0.0.1:6379}"
}

xw_home_of() { getent passwd "$1" | cut -d: -f6; }

# A bench is usable when it has Frappe and its common config.
xw_is_bench() { [ -d "$1/apps/frappe" ] && [ -f "$1/sites/common_site_config.json" ] && [ -x "$1/env/bin/python" ]; }

# The first usable bench: XW_BENCH when set, else the usual places.
xw_find_bench() {
	if [ -n "${XW_BENCH:-}" ]; then
		xw_is_bench "$XW_BENCH" && echo "$XW_BENCH"
		return 0
	fi
	local candidate
	for candidate in /home/*/frappe-bench /home/*/*/frappe-bench /opt/*/frappe-bench /srv/*/frappe-bench /opt/frappe-bench; do
		if xw_is_bench "$candidate"; then echo "$candidate"; return 0; fi
	done
}

# xw_as_owner <bench> <command> [VAR=value ...]: runs <command> in <bench> as the bench's owner.
xw_as_owner() {
	local bench="$1" cmd="$2"
	shift 2
	local owner home
	owner="$(stat -c %U "$bench")"
	home="$(xw_home_of "$owner")"
	if [ "$(id -un)" = "$owner" ]; then
		(cd "$bench" && env "$@" bash -c "$cmd") </dev/null
	else
		runuser -u "$owner" -- env -i HOME="$home" USER="$owner" \
			PATH="$bench/env/bin:$home/bench-cli/bin:$home/.local/bin:/usr/local/bin:/usr/bin:/bin" \
			LANG=C.UTF-8 CI="${CI:-}" BENCH_DISABLE_UV=1 \
			SSL_CERT_FILE="${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}" "$@" \
			bash -c "cd '$bench' && $cmd" </dev/null
	fi
}

xw_mysql() {
	if mysql -uroot -h 127.0.0.1 -e "select 1" >/dev/null 2>&1; then
		mysql -uroot -h 127.0.0.1 "$@"
	else
		mysql -uroot "$@"
	fi
}

xw_redis_reachable() {
	python3 - "$1" <<'PY'
import socket, sys
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
socket.create_connection((u.hostname or "127.0.0.1", u.port or 6379), timeout=2).close()
PY
}

xw_random() { python3 -c 'import secrets; print(secrets.token_urlsafe(24))'; }
