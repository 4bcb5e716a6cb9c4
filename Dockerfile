# syntax=docker/dockerfile:1
# Build stage: full dependencies, compile TypeScript, then drop dev dependencies.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Runtime stage: compiled code and production dependencies only, run as the unprivileged `node` user.
FROM node:24-slim
ENV NODE_ENV=production \
    STAKEOPS_HOST=0.0.0.0 \
    STAKEOPS_PORT=8080 \
    STAKEOPS_KEYS_DIR=/app/keys \
    DATABASE_URL=sqlite:/app/data/stakeops.db
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# `stakeops` on PATH is the package's bin (dist/cli/main.js), the same entry point the tests run.
RUN ln -s /app/dist/cli/main.js /usr/local/bin/stakeops \
 && mkdir -p /app/keys /app/data \
 && chown node:node /app/keys /app/data
USER node
# Custody keystores (and CLI output, `--out keys`) and the embedded database: mount volumes to keep them.
VOLUME ["/app/keys", "/app/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.STAKEOPS_PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["stakeops"]
CMD ["serve"]
