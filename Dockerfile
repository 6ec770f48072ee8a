# One image for every Framewise stage; the stage is the command:
#   docker run framewise api | relay | runner | inference | publisher   (or serve: embedded mode)
# Node 24 is the current LTS (the code also runs on Node 20).
FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
# The web page: bundled by scripts/build-web.ts (part of `npm run build`) into dist/web/.
COPY web ./web
COPY scripts/build-web.ts ./scripts/
# npm ci runs the `prepare` script (tsc and the web bundle → dist/); then drop the development dependencies.
RUN npm ci && npm prune --omit=dev

FROM node:24-bookworm-slim
# Debian's ffmpeg/ffprobe (preferred over the npm-shipped static build when present). They run under
# prlimit (memory and CPU limits), which util-linux provides: essential in Debian, so already here.
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
# The bundled default detector's weights (NanoDet-g, Apache-2.0; their licences and provenance beside them).
COPY models ./models
# On 0.0.0.0 the API starts only with API keys (FRAMEWISE_API_KEYS) or FRAMEWISE_ALLOW_UNAUTHENTICATED=true.
ENV NODE_ENV=production FRAMEWISE_HOST=0.0.0.0 FRAMEWISE_DATA_DIR=/data
USER node
EXPOSE 8080 8002 8003
# tini forwards SIGTERM so each stage shuts down cleanly (finish or release work, commit offsets).
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/framewise.js"]
CMD ["serve"]
