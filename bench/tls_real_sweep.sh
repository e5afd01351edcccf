#!/bin/bash
# The cost of mutual TLS on a real sweep: experiments/quickstart.yaml on a coordinator and one worker process with
# separate state folders (the base and checkpoints travel over the API), plain vs mutual TLS, alternating, twice
# each. Prints the seconds from submit to the last result. Needs `dotnet build -c Release` first.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
R="dotnet ${RUNNER_DLL:-$ROOT/src/Runner.Cli/bin/Release/net10.0/runner.dll}"
D=$(mktemp -d /tmp/tls-real-sweep.XXXX); cd "$D"
$R certs init certs >/dev/null; for n in coordinator worker client; do $R certs issue certs $n >/dev/null; done
run() {
  local mode=$1 i=$2 tls=() ctls=()
  [ $mode = tls ] && tls=(--tls certs/coordinator.pfx) && ctls=(--tls certs/client.pfx)
  local wtls=(); [ $mode = tls ] && wtls=(--tls certs/worker.pfx)
  local p=$((4100 + i*10)) a=$((4105 + i*10))
  $R coordinator --port $p --api-port $a --state c-$mode-$i "${tls[@]}" > c-$mode-$i.log 2>&1 & local cp=$!
  sleep 4
  $R worker --seed-nodes 127.0.0.1:$p --state w-$mode-$i --devices cpu "${wtls[@]}" > w-$mode-$i.log 2>&1 & local wp=$!
  sleep 4
  local t0=$(date +%s.%N)
  local id=$($R submit $ROOT/experiments/quickstart.yaml --coordinator 127.0.0.1:$a "${ctls[@]}" | awk '{print $3}' | tr -d :)
  while true; do
    s=$($R status $id --json --coordinator 127.0.0.1:$a "${ctls[@]}" 2>/dev/null)
    python3 -c "import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d['completed']+d['failed']==d['total'] else 1)" "$s" 2>/dev/null && break
    sleep 0.5
  done
  local t1=$(date +%s.%N)
  echo "$mode run $i: $(python3 -c "print(f'{$t1-$t0:.1f}')") s ($(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d['completed'],'of',d['total'])" "$s"))"
  kill $wp $cp; wait $wp $cp 2>/dev/null
}
for i in 1 2; do run plain $i; run tls $((i+5)); done
rm -rf "$D"
