# KoBi Data Hub container image.
#
# Node 24: a supported LTS line (Active LTS until October 2026, security fixes until April 2028).
# Node 20 reached end of life on 30 April 2026 and gets no more fixes. 24 rather than 26 (the newer
# LTS): the smaller step from the Node 20 the stack was verified on (package.json allows >= 20.19).
# bookworm-slim rather than alpine: glibc, as on the machines where the stack was verified.

# --- build: all dependencies, compile TypeScript to dist/ --------------------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
# What tsconfig.build.json compiles that the runtime needs: the server and the demo-data seed.
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY seeds ./seeds
RUN npm run build

# --- runtime: production dependencies and the compiled output only ----------------------------
FROM node:24-bookworm-slim
LABEL org.opencontainers.image.title="KoBi Data Hub" \
      org.opencontainers.image.description="GraphQL data hub for kommunales Bildungsmonitoring in Sachsen-Anhalt" \
      org.opencontainers.image.licenses="EUPL-1.2"
ENV NODE_ENV=production PORT=4000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
# The seed reads the official region and indicator lists from here at run time.
COPY seeds/reference ./seeds/reference
# EUPL Art. 5: every copy of the Work carries a copy of the Licence.
COPY LICENSE ./
# Everything above stays root's: the app user can read the code, never change it (docker-compose.yml
# also mounts the root filesystem read-only).
# Without DATABASE_URL the hub runs on embedded Postgres in DATA_DIR (default /app/.data): the one
# folder the unprivileged user may write. Mount a volume there to keep that data.
RUN mkdir .data && chown node:node .data
USER node
EXPOSE 4000
# slim images have no curl: ask node itself. /readyz checks the database and pending migrations.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The built output directly, not `npm start` (which compiles first and needs the dev dependencies);
# node as PID 1 receives SIGTERM itself and shuts down gracefully (src/main.ts).
CMD ["node", "dist/src/main.js"]
