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
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# `stakeops` on PATH is the package's bin (dist/cli/main.js), the same entry point the tests run.
RUN ln -s /app/dist/cli/main.js /usr/local/bin/stakeops \
 && mkdir -p /app/keys \
 && chown node:node /app/keys
USER node
# Keystores and deposit data are written here by default (`--out keys`); mount a volume to keep them.
VOLUME ["/app/keys"]
ENTRYPOINT ["stakeops"]
CMD ["--help"]
