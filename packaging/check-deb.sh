#!/bin/sh
# packaging/check-deb.sh DEB: install the Debian package on this machine (root), prove
# it: files in place, the config checks, the unit verifies, the installed binary starts
# as the service user with the installed configuration and answers health and S3, then
# purge it again. Prints "deb: passed" or the failure and exits non-zero.
set -eu
DEB=${1:?usage: check-deb.sh DEB}
PORT=${RS_DEB_PORT:-4591}
fail() { echo "deb: FAILED: $*"; [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "$(readlink -f "$DEB")" >/tmp/rs-deb-install.log 2>&1 ||
    fail "apt-get install: $(tail -3 /tmp/rs-deb-install.log)"
for f in /usr/bin/ruststack /etc/ruststack/ruststack.conf /lib/systemd/system/ruststack.service \
    /usr/share/ruststack/runtime/bootstrap.py /usr/share/ruststack/setup-services.sh \
    /usr/share/ruststack/fetch-dynamodb-local.sh /usr/share/doc/ruststack/README.gz; do
    [ -e "$f" ] || [ -e "$(echo "$f" | sed 's|^/lib/|/usr/lib/|')" ] || fail "missing $f"
done
getent passwd ruststack >/dev/null || fail "no ruststack user"
/usr/bin/ruststack -t --config /etc/ruststack/ruststack.conf >/dev/null || fail "config check"
unit=/lib/systemd/system/ruststack.service
[ -e $unit ] || unit=/usr/lib/systemd/system/ruststack.service
if command -v systemd-analyze >/dev/null; then
    out=$(systemd-analyze verify "$unit" 2>&1 | grep ruststack.service || true)
    [ -z "$out" ] || fail "systemd-analyze verify: $out"
fi
grep -q '^Type=notify' "$unit" || fail "unit is not Type=notify"
# the installed binary, as the service user, with the installed configuration
setpriv --reuid=ruststack --regid=ruststack --init-groups /usr/bin/ruststack --config /etc/ruststack/ruststack.conf \
    --port "$PORT" --workers 1 >/tmp/rs-deb-run.log 2>&1 &
PID=$!
ok=0
for _ in $(seq 1 100); do
    if curl -sf "http://127.0.0.1:$PORT/_ruststack/health" >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.1
done
[ $ok = 1 ] || fail "no health answer: $(tail -5 /tmp/rs-deb-run.log)"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "http://127.0.0.1:$PORT/deb-check-bucket")
[ "$code" = 200 ] || fail "CreateBucket answered $code"
kill -TERM "$PID"
wait "$PID" || fail "exit status $? after SIGTERM"
PID=
dpkg --purge ruststack >/dev/null 2>&1 || fail "dpkg --purge"
[ ! -e /usr/bin/ruststack ] || fail "purge left /usr/bin/ruststack"
echo "deb: passed"
