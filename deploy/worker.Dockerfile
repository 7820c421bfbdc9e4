# The rehearse worker image for `rehearse run --workers k8s:N` (one pod per shard of the plan).
#
#   docker build -f deploy/worker.Dockerfile -t <registry>/rehearse-worker:<version> .
#   docker push <registry>/rehearse-worker:<version>
#   rehearse run scenario.yaml --workers k8s:10 --image <registry>/rehearse-worker:<version> --namespace loadtest
#
# Build context: the repository root. The coordinator and the workers must be the same rehearse
# version (each worker re-parses the scenario and checks its hash). Not built in this repository's
# CI: the build machine has no container engine (see docs/scale.md).

# --- build: dev dependencies, TypeScript → dist/ ---------------------------------------------------
FROM node:20.20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY core ./core
COPY api ./api
COPY cli ./cli
COPY scenarios ./scenarios
COPY loadgen ./loadgen
COPY analysis ./analysis
COPY reports ./reports
COPY live ./live
COPY provision ./provision
RUN npx tsc -p tsconfig.build.json

# --- runtime: production dependencies and dist/ only, as a non-root user ---------------------------
FROM node:20.20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY --from=build /src/dist ./dist
# uid/gid 10001: the Job's pod securityContext (loadgen/distributed/k8s-manifests.ts) runs as it.
RUN groupadd --system --gid 10001 rehearse && useradd --system --uid 10001 --gid 10001 --no-create-home rehearse
USER 10001:10001
# The config is mounted from the run's ConfigMap; the shard index comes from JOB_COMPLETION_INDEX.
ENTRYPOINT ["node", "bin/rehearse.js", "worker"]
CMD ["--config", "/etc/rehearse/worker.json"]
