# The service on Node.js 24 LTS (the runtime it is built and tested for). Build: docker build -t task-service .
# Run: docker run -e DATABASE_URL=... -e JWT_SECRET=... -p 3000:3000 task-service (see README, "Running on Neon").
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json mikro-orm.config.ts ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
# the API; the metrics listener binds to 127.0.0.1 unless METRICS_HOST says otherwise (0.0.0.0 for a scraper)
EXPOSE 3000
# migrations are a release step: docker run ... task-service node dist/src/database/migrate-cli.js
CMD ["node", "dist/src/main.js"]
