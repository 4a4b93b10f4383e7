#!/bin/sh
# packaging/container-engine.sh: the container engine the Lambda docker executor talks to
# (runs on the developer's or the CI machine, outside the server): podman's Docker-compatible
# API service (`podman system service`) on a Unix socket, with runc as the OCI runtime.
#
#   sh packaging/container-engine.sh start    start the service unless the socket already
#                                             answers _ping (idempotent); fails loudly
#   sh packaging/container-engine.sh stop     stop the service this script started
#   sh packaging/container-engine.sh status   print the engine version, or why there is none
#
# Environment: RS_DOCKER_SOCKET (default /var/run/docker.sock), RS_ENGINE_CONF (default
# /etc/containers/containers.conf), RS_ENGINE_WAIT (seconds to wait for _ping, default 30).
# The service's pid file and log live in /run (or /tmp when /run is not writable):
# ruststack-podman.pid and ruststack-podman.log.
# Why the config file: see shared/reference/containers.md (podman's default ulimits exceed
# the hard limits of a root without CAP_SYS_RESOURCE; crun refuses hybrid cgroups).
set -eu

RS_DOCKER_SOCKET=${RS_DOCKER_SOCKET:-/var/run/docker.sock}
RS_ENGINE_CONF=${RS_ENGINE_CONF:-/etc/containers/containers.conf}
RS_ENGINE_WAIT=${RS_ENGINE_WAIT:-30}
if [ -d /run ] && [ -w /run ]; then
    state_dir=/run
else
    state_dir=/tmp
fi
PID_FILE=$state_dir/ruststack-podman.pid
LOG_FILE=$state_dir/ruststack-podman.log

die()
{
    printf 'container-engine.sh: %s\n' "$*" >&2
    exit 1
}

# ping: true when the socket answers the Docker API _ping with OK.
ping()
{
    [ -S "$RS_DOCKER_SOCKET" ] || return 1
    out=$(curl -s --max-time 3 --unix-socket "$RS_DOCKER_SOCKET" http://d/_ping 2>/dev/null) ||
        return 1
    [ "$out" = OK ]
}

# our_pid: the pid of the service this script started, if it is still that process.
our_pid()
{
    [ -f "$PID_FILE" ] || return 1
    pid=$(cat "$PID_FILE" 2>/dev/null || true)
    case "$pid" in
    '' | *[!0-9]*) return 1 ;;
    esac
    [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'system service' || return 1
    printf '%s\n' "$pid"
}

write_conf()
{
    # hard limits from /proc (dash's ulimit has no -u)
    n=$(awk '/^Max open files/ {print $5}' /proc/self/limits)
    p=$(awk '/^Max processes/ {print $4}' /proc/self/limits)
    [ "$n" = unlimited ] && n=1048576
    # podman lowers its own nproc hard limit to 32768 at start-up (containers.md)
    if [ "$p" = unlimited ] || [ "$p" -gt 32768 ]; then
        p=32768
    fi
    mkdir -p "$(dirname "$RS_ENGINE_CONF")"
    tmp="$RS_ENGINE_CONF.tmp.$$"
    cat >"$tmp" <<EOF
# written by RustStack packaging/container-engine.sh (see shared/reference/containers.md)
[containers]
default_ulimits = ["nofile=$n:$n", "nproc=$p:$p"]

[engine]
runtime = "runc"
exit_command_delay = 5
EOF
    mv "$tmp" "$RS_ENGINE_CONF"
}

do_start()
{
    if ping; then
        return 0
    fi
    command -v podman >/dev/null 2>&1 || die "podman is not installed (apt-get install podman runc uidmap slirp4netns fuse-overlayfs)"
    command -v runc >/dev/null 2>&1 || die "runc is not installed (apt-get install runc)"
    [ "$(id -u)" -eq 0 ] || die "start needs root (it writes $RS_ENGINE_CONF and $RS_DOCKER_SOCKET)"
    # a service somebody else is starting right now: give it a few seconds first
    if [ -S "$RS_DOCKER_SOCKET" ]; then
        i=0
        while [ $i -lt 30 ]; do
            ping && return 0
            sleep 0.1
            i=$((i + 1))
        done
    fi
    if pid=$(our_pid); then
        # ours, but not answering: replace it
        kill "$pid" 2>/dev/null || true
        sleep 0.5
        kill -9 "$pid" 2>/dev/null || true
    fi
    write_conf
    # a dead socket file makes the service fail with "address already in use"
    [ ! -S "$RS_DOCKER_SOCKET" ] || rm -f "$RS_DOCKER_SOCKET"
    mkdir -p "$(dirname "$RS_DOCKER_SOCKET")"
    : >"$LOG_FILE"
    CONTAINERS_CONF=$RS_ENGINE_CONF setsid nohup podman system service --time=0 \
        "unix://$RS_DOCKER_SOCKET" </dev/null >>"$LOG_FILE" 2>&1 &
    echo $! >"$PID_FILE"
    pid=$!
    limit=$((RS_ENGINE_WAIT * 10))
    i=0
    while [ $i -lt "$limit" ]; do
        if ping; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$LOG_FILE" >&2 || true
            die "podman system service (pid $pid) exited; log: $LOG_FILE"
        fi
        sleep 0.1
        i=$((i + 1))
    done
    tail -n 20 "$LOG_FILE" >&2 || true
    die "no _ping answer on $RS_DOCKER_SOCKET after ${RS_ENGINE_WAIT}s (pid $pid, log: $LOG_FILE)"
}

do_stop()
{
    if ! pid=$(our_pid); then
        rm -f "$PID_FILE"
        if ping; then
            echo "container-engine.sh: the engine on $RS_DOCKER_SOCKET was not started by this script; left running" >&2
        fi
        return 0
    fi
    kill "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$PID_FILE"
}

do_status()
{
    if ! [ -e "$RS_DOCKER_SOCKET" ]; then
        echo "no engine: $RS_DOCKER_SOCKET does not exist"
        return 1
    fi
    if ! ping; then
        echo "no engine: $RS_DOCKER_SOCKET does not answer _ping"
        return 1
    fi
    v=$(curl -s --max-time 3 --unix-socket "$RS_DOCKER_SOCKET" http://d/v1.41/version |
        python3 -c 'import json,sys; d=json.load(sys.stdin); print("%s (API %s)" % (d.get("Version"), d.get("ApiVersion")))' \
            2>/dev/null) || v="unknown version"
    if pid=$(our_pid); then
        echo "engine $v on $RS_DOCKER_SOCKET (pid $pid, started by this script)"
    else
        echo "engine $v on $RS_DOCKER_SOCKET"
    fi
}

cmd=${1:-}
case "$cmd" in
start) do_start ;;
stop) do_stop ;;
status) do_status ;;
*)
    echo "usage: sh packaging/container-engine.sh start|stop|status" >&2
    exit 2
    ;;
esac
