# syntax=docker/dockerfile:1

# ---- build: compile TypeScript, then keep only production dependencies ----------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app

# argon2's prebuilt binary is not trusted to load everywhere: its install script (node-gyp-build)
# rebuilds it from source when needed, so install scripts stay enabled and the toolchain is here.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
RUN npm ci

COPY . .
RUN npm run build \
 && npm prune --omit=dev \
 && npm cache clean --force

# ---- runtime: the compiled app, production node_modules, no compiler, non-root --------------
FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    PORT=3000

# Owned by root and only readable by the app user: the process cannot rewrite its own code.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist

USER node
EXPOSE 3000

HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const r=require('http').get('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/v1/health/ready',s=>process.exit(s.statusCode===200?0:1));r.on('error',()=>process.exit(1));r.setTimeout(4000,()=>process.exit(1))"]

# The worker runs from the same image: `node dist/apps/worker/apps/worker/src/main.js`; so do
# operator commands: `node dist/apps/cli/apps/cli/src/main.js help`.
CMD ["node", "dist/apps/api/apps/api/src/main.js"]
