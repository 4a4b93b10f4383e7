#!/bin/sh
# packaging/image/entrypoint.sh: the container image's entry point (runs inside the
# RustStack container, as its PID 1 until it execs the server). It writes the server's
# configuration and execs ruststack with it; later lines of a configuration win, so the
# order is:
#   1. the image's defaults: bind 0.0.0.0, port 4566, data_dir /var/lib/ruststack (the
#      volume), the image's DynamoDB Local and java (java.sh: start-up flags, JAVA_OPTS),
#      and lambda_executor = process, or docker when
#      an engine socket is mounted (/var/run/docker.sock, or docker_socket below);
#   2. the mounted configuration file: $RUSTSTACK_CONFIG_FILE, default
#      /etc/ruststack/ruststack.conf when it exists (mount yours there);
#   3. environment variables: RUSTSTACK_<SETTING>=VALUE becomes `<setting> = "VALUE"`
#      (RUSTSTACK_LOG_LEVEL=debug -> log_level = "debug"); RUSTSTACK_CREDENTIALS may hold
#      several KEY:SECRET:ACCOUNT entries separated by commas or blanks.
# Arguments go on to ruststack (e.g. --workers 2); `-t` checks the configuration.
# RUSTSTACK_PRINT_CONFIG=1 prints the written configuration to stderr first.
set -eu

conf_dir=${TMPDIR:-/tmp}/ruststack-image
mkdir -p "$conf_dir"
conf=$conf_dir/ruststack.conf
file=${RUSTSTACK_CONFIG_FILE:-/etc/ruststack/ruststack.conf}
data_dir=${RUSTSTACK_DATA_DIR:-/var/lib/ruststack}
share=/usr/local/share/ruststack

die()
{
    printf 'ruststack-entrypoint: %s\n' "$*" >&2
    exit 1
}

# env_setting NAME: the value of the environment variable RUSTSTACK_NAME, or nothing.
env_setting()
{
    env | sed -n "s/^RUSTSTACK_$1=//p" | head -n 1
}

# the executor: an explicit setting wins (environment first, then the mounted file)
socket=$(env_setting DOCKER_SOCKET)
[ -n "$socket" ] || socket=/var/run/docker.sock
executor=process
if [ -S "$socket" ]; then
    executor=docker
fi

{
    echo "# written by the RustStack image's entry point (packaging/image/entrypoint.sh)"
    echo "# 1. image defaults"
    echo 'bind = 0.0.0.0'
    echo 'port = 4566'
    echo "data_dir = \"$data_dir\""
    echo "dynamodb_local_dir = \"$share/dynamodb-local\""
    echo "lambda_runtime_path = \"$share/runtime\""
    echo 'java = "/usr/local/bin/ruststack-java"'
    echo "lambda_executor = $executor"
    if [ "$executor" = docker ]; then
        # The engine runs function containers beside this one: the paths it bind-mounts
        # (code, runtime, each environment's /tmp) must exist on the engine's host under
        # the same names, so they all live under data_dir, which the user mounts at the
        # same path (README: "The container image").
        mkdir -p "$data_dir/image-runtime"
        cp "$share/runtime/"* "$data_dir/image-runtime/"
        echo "docker_socket = \"$socket\""
        echo "lambda_runtime_path = \"$data_dir/image-runtime\""
        echo "runtime_dir = \"$data_dir/run\""
        [ -w "$socket" ] || echo "# warning: $socket is not writable by uid $(id -u) (see the README)"
    fi
    if [ -f "$file" ]; then
        echo "# 2. $file"
        cat "$file"
        echo
    elif [ -n "${RUSTSTACK_CONFIG_FILE:-}" ]; then
        die "RUSTSTACK_CONFIG_FILE=$file: no such file"
    fi
    echo "# 3. environment (RUSTSTACK_<SETTING>)"
} >"$conf"

# RUSTSTACK_CONFIG_FILE names the file, RUSTSTACK_PRINT_CONFIG is ours; the rest are
# settings. Values cannot hold a double quote or a newline (the format has no escapes).
env | sed -n 's/^RUSTSTACK_\([A-Z0-9_]*\)=.*/\1/p' | sort -u | while read -r name; do
    case "$name" in
    CONFIG_FILE | PRINT_CONFIG) continue ;;
    esac
    value=$(env_setting "$name")
    case "$value" in
    *'"'*) die "RUSTSTACK_$name: a value cannot contain a double quote" ;;
    esac
    key=$(printf '%s' "$name" | tr 'A-Z' 'a-z')
    if [ "$key" = credentials ]; then
        for c in $(printf '%s' "$value" | tr ',' ' '); do
            printf 'credentials = "%s"\n' "$c"
        done
    else
        printf '%s = "%s"\n' "$key" "$value"
    fi
done >>"$conf"

if [ "${RUSTSTACK_PRINT_CONFIG:-0}" = 1 ]; then
    cat "$conf" >&2
fi
if grep -q '^# warning: ' "$conf"; then
    sed -n 's/^# warning: /ruststack-entrypoint: warning: /p' "$conf" >&2
fi
exec /usr/local/bin/ruststack --config "$conf" "$@"
