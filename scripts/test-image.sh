#!/usr/bin/env bash
# npm run test:image — builds the real Dockerfile and proves the image works as deployed:
# read-only root filesystem (only the VOLUMEs it declares get a tmpfs), its own non-root user, no
# capabilities, host networking on a free port. Waits for the HEALTHCHECK to say healthy, classifies
# the smoke beagle through the port, sends SIGTERM during a request and checks the exit code and the
# stop time, prints the image size and the time of every step. The container is removed on any exit.
#
# Environment:
#   IMAGE            tag to build and run             (default: <package name>:<version>, resnet-serve:0.1.0)
#   ENGINE, MODEL_PRECISION, QUANT_CALIBRATION         passed as --build-arg when set (default: the Dockerfile's, onnx/int8)
#   SKIP_BUILD=1     run an already built IMAGE
#   NO_CACHE=1       docker build --no-cache (a cold build, still using the local base image)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FIXTURES="$ROOT/test/fixtures/images"
# The Node base the Dockerfile names (ARG NODE_IMAGE), so the stand-in base is built for that line.
BASE_IMAGE=$(sed -n 's/^ARG NODE_IMAGE=//p' "$ROOT/Dockerfile")
NODE_MAJOR=$(printf '%s' "$BASE_IMAGE" | sed -n 's/^node:\([0-9]*\)-.*/\1/p')
SUITE=$(printf '%s' "$BASE_IMAGE" | sed -n 's/^node:[0-9]*-\([a-z]*\)-slim.*/\1/p')
DOCKER_SANDBOX=${DOCKER_SANDBOX:-$ROOT/../shared/tools/docker-sandbox.sh}
cd "$ROOT"
IMAGE=${IMAGE:-$(node -p "const p=require('./package.json'); p.name + ':' + p.version")}
NAME="resnet-serve-test-$$"
BEAGLE="$FIXTURES/smoke/beagle.jpg"
LARGE="$FIXTURES/edge/elephant-large.jpg"
HEALTH_TIMEOUT_S=${HEALTH_TIMEOUT_S:-180}

T0=$(date +%s.%N)
STEP_T=$T0
SUMMARY=()
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
log() { printf '[test-image %6ss] %s\n' "$(secs "$T0" "$(now)")" "$*"; }
step() { STEP_T=$(now); log "== $*"; }
done_step() { local s; s=$(secs "$STEP_T" "$(now)"); SUMMARY+=("$(printf '%-34s %7ss' "$1" "$s")"); log "   $1: ${s}s${2:+ ($2)}"; }
fail() {
  log "FAIL: $*"
  if docker inspect "$NAME" >/dev/null 2>&1; then
    log "container logs (last 40 lines):"
    docker logs --tail 40 "$NAME" 2>&1 | sed 's/^/    /' || true
  fi
  exit 1
}
cleanup() {
  local rc=$?
  docker rm -f -v "$NAME" >/dev/null 2>&1 || true
  [ -n "${INFLIGHT_OUT:-}" ] && rm -rf "$INFLIGHT_OUT"
  if [ ${#SUMMARY[@]} -gt 0 ]; then
    echo "---- timings ----"
    printf '  %s\n' "${SUMMARY[@]}"
  fi
  printf '  %-34s %7ss\n' "total" "$(secs "$T0" "$(now)")"
  [ $rc -eq 0 ] && echo "test-image: PASS ($IMAGE)" || echo "test-image: FAIL ($IMAGE)"
}
trap cleanup EXIT
# Killed is failed: without these, the EXIT trap could see status 0 and report PASS.
trap 'exit 143' TERM
trap 'exit 130' INT

for f in "$BEAGLE" "$LARGE"; do [ -f "$f" ] || fail "test image $f not found"; done
[ -n "$NODE_MAJOR" ] && [ -n "$SUITE" ] || fail "cannot read the Node line from the Dockerfile's ARG NODE_IMAGE ($BASE_IMAGE)"

# -- docker ------------------------------------------------------------------------------------
step "docker daemon and base image $BASE_IMAGE"
if [ -x "$(command -v docker)" ] && docker info >/dev/null 2>&1 && docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  log "   docker is running and $BASE_IMAGE is present"
else
  [ -f "$DOCKER_SANDBOX" ] || fail "no Docker with $BASE_IMAGE here, and no $DOCKER_SANDBOX to start one (set DOCKER_SANDBOX)"
  # The sandbox copies npm from `npm root -g`; where `node` on PATH is a bare binary (CI puts the
  # registry's Node build first), point npm's prefix at the npm that is actually running.
  npm_pkg=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
  (cd "$ROOT" && npm_config_prefix="${npm_pkg%/lib/node_modules/npm}" NODE_MAJOR="$NODE_MAJOR" SUITE="$SUITE" bash "$DOCKER_SANDBOX")
fi
done_step "docker ready"

# -- build -------------------------------------------------------------------------------------
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  step "docker build $IMAGE"
  args=(--network host -t "$IMAGE" --label "org.opencontainers.image.revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)"
        --label "org.opencontainers.image.created=$(date -u +%Y-%m-%dT%H:%M:%SZ)")
  for a in ENGINE MODEL_PRECISION QUANT_CALIBRATION; do
    [ -n "${!a:-}" ] && args+=(--build-arg "$a=${!a}")
  done
  [ "${NO_CACHE:-0}" = 1 ] && args+=(--no-cache)
  log "   docker build ${args[*]} ."
  buildlog=$(mktemp /tmp/test-image-build.XXXXXX)
  if ! docker build "${args[@]}" . >"$buildlog" 2>&1; then
    # The build downloads packages and the model from the npm registry; one retry absorbs a
    # dropped connection (finished steps are cached, so the retry resumes where it failed).
    log "   build failed; retrying once. Last lines:"
    tail -5 "$buildlog" | sed 's/^/    /'
    docker build "${args[@]}" . >"$buildlog" 2>&1 || { tail -40 "$buildlog"; rm -f "$buildlog"; fail "docker build failed"; }
  fi
  cached=$(grep -c 'Using cache' "$buildlog" || true)
  grep -v '^Step ' "$buildlog" | grep -E 'native modules load|ready for (onnx|tfjs)' | sed 's/^/    /' || true
  rm -f "$buildlog"
  done_step "docker build" "$cached steps from cache"
fi
docker image inspect "$IMAGE" >/dev/null 2>&1 || fail "image $IMAGE not found"

SIZE=$(docker image inspect --format '{{.Size}}' "$IMAGE")
BASE_SIZE=$(docker image inspect --format '{{.Size}}' "$BASE_IMAGE")
OVER_BASE=$((SIZE - BASE_SIZE))
USER_CFG=$(docker image inspect --format '{{.Config.User}}' "$IMAGE")
ENGINE_CFG=$(docker image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE" | sed -n 's/^ENGINE=//p')
GRACE_MS=$(docker image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE" | sed -n 's/^SHUTDOWN_GRACE_MS=//p')
GRACE_MS=${GRACE_MS:-20000}
log "   image $IMAGE: $(awk -v s="$SIZE" 'BEGIN { printf "%.0f MB (%d bytes)", s / 1e6, s }'), user '$USER_CFG', ENGINE=$ENGINE_CFG, SHUTDOWN_GRACE_MS=$GRACE_MS"
log "   over the base $BASE_IMAGE: $(awk -v s="$OVER_BASE" 'BEGIN { printf "%.0f MB", s / 1e6 }')"
# The project's layers must stay lean: every autoscaled pod pulls them before it can start.
MAX_OVER_BASE_MB=${MAX_OVER_BASE_MB:-150}
[ "$OVER_BASE" -le $((MAX_OVER_BASE_MB * 1000000)) ] || fail "the image adds $((OVER_BASE / 1000000)) MB to $BASE_IMAGE; the budget is ${MAX_OVER_BASE_MB} MB"
[[ "$USER_CFG" =~ ^[1-9][0-9]*(:[0-9]+)?$ ]] || fail "image USER '$USER_CFG' is not a numeric non-root uid"

# -- run ---------------------------------------------------------------------------------------
PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
# Only the writable paths the image declares, as tmpfs; everything else read-only.
mounts=()
while read -r vol; do
  [ -n "$vol" ] && mounts+=(--tmpfs "$vol:rw,noexec,nosuid,size=256m")
done < <(docker image inspect --format '{{range $k, $v := .Config.Volumes}}{{println $k}}{{end}}' "$IMAGE")
step "create container (read-only, ${mounts[*]:-no writable mounts}, cap-drop ALL, PORT=$PORT, EVENT_LOOP_NICE=10)"
docker create --name "$NAME" --network host --read-only "${mounts[@]}" \
  --cap-drop ALL --security-opt no-new-privileges -e PORT="$PORT" -e EVENT_LOOP_NICE=10 "$IMAGE" >/dev/null
done_step "docker create"

step "start -> /readyz 200 -> HEALTHCHECK healthy"
docker start "$NAME" >/dev/null
START=$(now)
READY_AT=""
while :; do
  state=$(docker inspect --format '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$NAME")
  case "$state" in running*) ;; *) fail "container stopped during start-up ($state)";; esac
  if [ -z "$READY_AT" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ]; then
    READY_AT=$(now)
    log "   /readyz 200 after $(secs "$START" "$READY_AT")s"
  fi
  [ "${state#* }" = healthy ] && break
  [ "$(secs "$START" "$(now)" | cut -d. -f1)" -ge "$HEALTH_TIMEOUT_S" ] && fail "not healthy within ${HEALTH_TIMEOUT_S}s (state: $state)"
  sleep 0.2
done
HEALTHY_AT=$(now)
COLD_START=$(secs "$START" "${READY_AT:-$HEALTHY_AT}")
done_step "start -> healthy" "start -> /readyz 200: ${COLD_START}s; healthy is reported on the 5 s HEALTHCHECK interval"
docker logs "$NAME" 2>&1 | grep '"model ready"' | node -e "
  const l = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  console.log('    model ready: fetch ' + l.fetchSeconds + ' s, convert ' + l.convertSeconds + ' s, load ' + l.loadSeconds.toFixed(2) + ' s, warm-up ' + l.warmupSeconds.toFixed(2) + ' s, engine ' + l.engine.backend + ' (' + l.engine.precision + ', ' + l.engine.threads + ' threads)');
" || true

step "process identity and native modules"
docker top "$NAME" -o uid,pid,args | sed 's/^/    /'
uids=$(docker top "$NAME" -o uid,pid | awk 'NR > 1 { print $1 }' | sort -u | tr '\n' ' ')
[ "$uids" = "1000 " ] || fail "processes run as uid(s) $uids, expected only 1000"
docker exec "$NAME" node -e "
  const s = require('sharp'), o = require('onnxruntime-node');
  console.log('    sharp ' + s.versions.sharp + ' (libvips ' + s.versions.vips + '), onnxruntime-node ' + require('onnxruntime-node/package.json').version + ' load in the image');
" || fail "sharp or onnxruntime-node does not load in the image"
if docker exec "$NAME" sh -c 'touch /app/x 2>/dev/null || touch /x 2>/dev/null'; then fail "the root filesystem is writable"; fi
log "   root filesystem is read-only for the service user"
# EVENT_LOOP_NICE (opt-in, set above) needs no capability: raising one's own nice value is always allowed.
# (grep without -q: with pipefail, docker logs dying of SIGPIPE after an early match would fail it)
docker logs "$NAME" 2>&1 | grep '"msg":"event-loop thread priority lowered' >/dev/null || fail "the event-loop thread priority was not lowered (EVENT_LOOP_NICE)"
log "   event-loop thread niced (EVENT_LOOP_NICE) without capabilities"
done_step "identity checks"

step "classify $(basename "$BEAGLE") through port $PORT"
body=$(curl -sS --max-time 30 -F "image=@$BEAGLE" "http://127.0.0.1:$PORT/predict") || fail "POST /predict failed"
top1=$(printf '%s' "$body" | node -e "const r=JSON.parse(require('fs').readFileSync(0,'utf8')); const p=r.predictions[0]; console.log(p.label + ' ' + p.probability.toFixed(4) + ' ' + r.model.engine + ' ' + r.timings.total_ms + 'ms')") \
  || fail "unexpected response: ${body:0:300}"
log "   top-1: $top1"
[ "${top1%% *}" = beagle ] || fail "top-1 is '${top1%% *}', expected beagle"
done_step "classify beagle"

NODE_PID=$(pgrep -P "$(docker inspect --format '{{.State.Pid}}' "$NAME")" node | head -1 || true)
RSS_KB=$( [ -n "$NODE_PID" ] && awk '/VmRSS/ { print $2 }' "/proc/$NODE_PID/status" 2>/dev/null || true)
[ -n "$RSS_KB" ] && log "   node RSS after one request: $((RSS_KB / 1024)) MiB"
[ -n "$(docker exec "$NAME" sh -c 'ls -A /tmp')" ] && log "   note: /tmp is not empty: $(docker exec "$NAME" ls -A /tmp | tr '\n' ' ')"

# -- your own model, as KServe runs it ------------------------------------------------------------
step "serve a Keras 3 .keras model from a read-only /mnt/models (MODEL_PATH, as KServe does)"
OWN_DIR=$(mktemp -d /tmp/test-image-own.XXXXXX)
node --import tsx scripts/write-demo-model.ts "$OWN_DIR" || fail "cannot write the demo model"
chmod -R a+rX "$OWN_DIR"
OWN_NAME="$NAME-own"
OWN_PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
docker rm -f "$OWN_NAME" >/dev/null 2>&1 || true
docker run -d --name "$OWN_NAME" --network host --read-only "${mounts[@]}" --cap-drop ALL --security-opt no-new-privileges \
  -v "$OWN_DIR:/mnt/models:ro" -e MODEL_PATH=/mnt/models -e MODEL_NAME=flowers -e PORT="$OWN_PORT" -e GRPC_PORT=off "$IMAGE" >/dev/null
OWN_START=$(now)
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$OWN_PORT/readyz")" = 200 ]; do
  state=$(docker inspect --format '{{.State.Status}}' "$OWN_NAME")
  if [ "$state" != running ]; then docker logs --tail 20 "$OWN_NAME" 2>&1 | sed 's/^/    /'; docker rm -f "$OWN_NAME" >/dev/null; fail "the own-model container stopped ($state)"; fi
  [ "$(secs "$OWN_START" "$(now)" | cut -d. -f1)" -ge "$HEALTH_TIMEOUT_S" ] && fail "own model not ready within ${HEALTH_TIMEOUT_S}s"
  sleep 0.2
done
OWN_READY=$(secs "$OWN_START" "$(now)")
own=$(curl -sS --max-time 30 -F "image=@$BEAGLE" "http://127.0.0.1:$OWN_PORT/predict?topk=4") || fail "POST /predict to the own model failed"
own_summary=$(printf '%s' "$own" | node -e "
  const r = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  const labels = r.predictions.map((p) => p.label).sort().join(',');
  const sum = r.predictions.reduce((s, p) => s + p.probability, 0);
  if (r.model.name !== 'flowers' || labels !== 'daisy,rose,sunflower,tulip' || Math.abs(sum - 1) > 1e-3) { console.error(JSON.stringify(r)); process.exit(1); }
  console.log(r.model.name + ' v' + r.model.version + ', top-1 ' + r.predictions[0].label + ', ' + r.predictions.length + ' labels from labels.txt');
") || fail "unexpected own-model answer: ${own:0:300}"
log "   $own_summary; /readyz 200 after ${OWN_READY}s (read, converted and quantized in the image)"
docker logs "$OWN_NAME" 2>&1 | grep -E '"msg":"(converting|quantizing|model version serving)' | cut -c1-180 | sed 's/^/    /' || true
docker rm -f "$OWN_NAME" >/dev/null
rm -rf "$OWN_DIR"
done_step "own model served" "${OWN_READY}s to ready"

# -- graceful stop -----------------------------------------------------------------------------
step "SIGTERM with requests in flight (grace ${GRACE_MS} ms)"
INFLIGHT_OUT=$(mktemp -d /tmp/test-image-inflight.XXXXXX)
CURL_PIDS=()
for i in 1 2 3; do
  ( code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -F "image=@$LARGE" "http://127.0.0.1:$PORT/predict" 2>/dev/null); echo "$code $?" >"$INFLIGHT_OUT/$i" ) &
  CURL_PIDS+=($!)
done
sleep 0.15
STOP_T=$(now)
docker kill --signal TERM "$NAME" >/dev/null
GRACE_S=$(( (GRACE_MS + 999) / 1000 ))
if ! timeout $((GRACE_S + 10)) docker wait "$NAME" >/dev/null; then fail "still running $((GRACE_S + 10)) s after SIGTERM"; fi
STOP_S=$(secs "$STOP_T" "$(now)")
EXIT=$(docker inspect --format '{{.State.ExitCode}}' "$NAME")
wait "${CURL_PIDS[@]}" || true
results=""
for i in 1 2 3; do
  read -r code rc <"$INFLIGHT_OUT/$i" || true
  case "$rc" in
    0) [ "$code" = 200 ] || [ "$code" = 503 ] || fail "request $i answered HTTP $code during shutdown";;
    7) code="refused";; # not connected before the listener closed: the client retries elsewhere
    *) fail "request $i broken during shutdown (curl exit $rc, HTTP $code)";;
  esac
  results+="$code "
done
log "   requests sent around SIGTERM: ${results}(200 = accepted and finished before exit)"
docker logs "$NAME" 2>&1 | grep -E '"msg":"shutdown' | cut -c1-160 | sed 's/^/    /' || true
log "   exit code $EXIT after ${STOP_S}s"
[ "$EXIT" = 0 ] || fail "exit code $EXIT after SIGTERM, expected 0"
awk -v s="$STOP_S" -v g="$GRACE_S" 'BEGIN { exit !(s < g) }' || fail "stop took ${STOP_S}s, not within the ${GRACE_S}s grace period"
done_step "SIGTERM -> exit 0" "${STOP_S}s"

echo "---- results ----"
echo "  image:            $IMAGE, $(awk -v s="$SIZE" 'BEGIN { printf "%.0f MB", s / 1e6 }') ($SIZE bytes), ENGINE=$ENGINE_CFG"
echo "  over the base:    $(awk -v s="$OVER_BASE" 'BEGIN { printf "%.0f MB", s / 1e6 }') on top of $BASE_IMAGE ($(awk -v s="$BASE_SIZE" 'BEGIN { printf "%.0f MB", s / 1e6 }'))"
echo "  cold start:       ${COLD_START}s from container start to /readyz 200"
[ -n "$RSS_KB" ] && echo "  RSS:              $((RSS_KB / 1024)) MiB after one request"
echo "  top-1 beagle:     $top1"
echo "  own model:        $own_summary, ready in ${OWN_READY}s"
echo "  SIGTERM:          exit $EXIT in ${STOP_S}s (grace ${GRACE_S}s)"
