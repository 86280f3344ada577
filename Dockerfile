# One image for every Evently module; the command chooses modules and roles.
# The build stage has the development dependencies (TypeScript, tsx, the embedded PostgreSQL); they
# are pruned before the copy, so the image runs dist/ against DATABASE_URL and REDIS_URL only.
# Node 26: the active LTS line (since October 2026, supported until April 2029; Node 20's support
# ended in April 2026), on Debian 13, the default of its official images. The code still runs on
# Node >= 20.19 (package.json engines), which the development machines have; the test suite passes
# on both.
FROM node:26-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:26-trixie-slim
# /metrics on a port of its own, so publishing the API port does not publish it (scrape :9464 from
# inside the network; METRICS_PORT= puts it back on PORT, EVENTLY_METRICS=false turns it off).
ENV NODE_ENV=production HOST=0.0.0.0 METRICS_PORT=9464
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# uid 1000: file secrets (*_FILE) must be readable by it (see docker-compose.yml).
USER node
# 3000 all-in-one; the modules' ports in split mode (35012: the second bookings replica of
# docker-compose.yml and npm run cluster); 9464 /metrics.
EXPOSE 3000 35000 35001 35002 35003 35004 35005 35012 9464
# Readiness of the process on $PORT, with node (the image has no curl or wget).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["start"]
