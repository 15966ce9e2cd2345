# syntax=docker/dockerfile:1
# Multi-stage build: the self-hosted GraphiQL bundle (npm, lockfile-checked),
# then a static Go binary, then a distroless image running as non-root.

FROM node:20-bookworm-slim AS playground
WORKDIR /src
COPY web/graphiql/ web/graphiql/
COPY internal/playground/dist/ internal/playground/dist/
RUN bash web/graphiql/build.sh

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=playground /src/internal/playground/dist/ internal/playground/dist/
# Static, stripped, reproducible.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/tributary .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tributary /tributary
USER nonroot:nonroot
EXPOSE 8080
# Production defaults: no introspection, no playground, JSON logs. Backend
# URLs come from TRIBUTARY_<SERVICE>_URL; without them the demo backends run.
ENV TRIBUTARY_PROFILE=production
ENTRYPOINT ["/tributary"]
