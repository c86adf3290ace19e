#!/usr/bin/env bash
# npm run test:cluster [-- vitest args]
#
# The end-to-end suite on a Redis Cluster: starts a throwaway 3-master cluster on loopback ports (redis-server
# --cluster-enabled yes, redis-cli --cluster create), waits for cluster_state:ok on every node, runs the suite with
# REDIS_CLUSTER=1 against it (test/cluster/vitest.config.ts lists the files), and tears the cluster down on exit,
# whatever happened. Never touches the Redis on 6379.
#
# PMG_CLUSTER_PORT (default 7101) is the first of three consecutive ports; they must be free.
set -euo pipefail
cd "$(dirname "$0")/.."

first=${PMG_CLUSTER_PORT:-7101}
ports=("$first" "$((first + 1))" "$((first + 2))")
dir=$(mktemp -d "${TMPDIR:-/tmp}/pmg-cluster.XXXXXX")
pids=()
started=$(date +%s)

cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$status" -ne 0 ]; then
    for port in "${ports[@]}"; do
      [ -f "$dir/$port/redis.log" ] && { echo "--- redis $port log (tail)"; tail -n 20 "$dir/$port/redis.log"; }
    done
  fi
  rm -rf "$dir"
  echo "test:cluster: cluster on ports ${ports[*]} torn down after $(( $(date +%s) - started )) s"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for port in "${ports[@]}"; do
  if redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
    echo "test:cluster: port $port is in use; set PMG_CLUSTER_PORT to the first of three free ports" >&2
    exit 1
  fi
done

for port in "${ports[@]}"; do
  mkdir -p "$dir/$port"
  redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes \
    --cluster-config-file "$dir/$port/nodes.conf" --cluster-node-timeout 5000 \
    --dir "$dir/$port" --save "" --appendonly no --daemonize no \
    --logfile "$dir/$port/redis.log" &
  pids+=("$!")
done

wait_for() { # wait_for <what> <command...>: bounded, 20 s
  local what=$1; shift
  for _ in $(seq 1 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "test:cluster: timed out waiting for $what" >&2
  return 1
}
for port in "${ports[@]}"; do
  wait_for "redis $port" sh -c "redis-cli -h 127.0.0.1 -p $port ping | grep -q PONG"
done

redis-cli --cluster create "${ports[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 \
  || { cat "$dir/create.log"; exit 1; }
for port in "${ports[@]}"; do
  wait_for "cluster_state:ok on $port" sh -c "redis-cli -h 127.0.0.1 -p $port cluster info | grep -q cluster_state:ok"
done
echo "test:cluster: 3 masters on ${ports[*]} ready after $(( $(date +%s) - started )) s"

export PMG_TEST_REDIS_URL="redis://127.0.0.1:${ports[0]}"
export PMG_TEST_REDIS_CLUSTER=1
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
npx vitest run --config test/cluster/vitest.config.ts "$@"
