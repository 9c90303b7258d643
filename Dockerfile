# syntax=docker/dockerfile:1
#
# deskmock in a container: a static binary (CGO_ENABLED=0) alone in an
# otherwise empty root (FROM scratch), run by a non-root user (65532).
# .ci/release builds the same image from its release binaries with
# .ci/Containerfile.release; go test ./internal/packaging checks that the two
# final stages hold the same user, ports, health check, labels and entrypoint.
#
#   docker build -t deskmock .
#   docker run --rm -p 8780:8780 -e DESKMOCK_ADMIN_TOKEN=change-me deskmock
#
# Arguments after the image name are added to "serve", for example
#   docker run --rm -p 8780:8780 -p 8781:8781 deskmock --admin-addr 0.0.0.0:8781 --admin-token change-me
#
# The endpoint listens on 0.0.0.0:8780 so that it can be published. The
# admin API then listens there too: give it a token (DESKMOCK_ADMIN_TOKEN or
# --admin-token), or serve would warn that anyone who reaches the port can
# change what the mock answers. /__admin/health needs no token. Without a
# token the admin API answers only to IP addresses and localhost as Host:
# when other containers reach it by a service name, add that name, e.g.
#   docker compose: command: ["--allow-host", "deskmock"]

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# VERSION, when given (--build-arg VERSION=v1.2.3), is what "deskmock version" prints.
ARG VERSION=""
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags="-s -w -X github.com/deskmock/deskmock/internal/app/deskmock.Version=${VERSION}" \
      -o /out/deskmock ./cmd/deskmock

FROM scratch
COPY --from=build /out/deskmock /deskmock
# No /etc/passwd in scratch: the user is numeric (65532, "nonroot" elsewhere).
USER 65532:65532
EXPOSE 8780
# "deskmock health" exits 0 when GET /__admin/health answers 200, 1 otherwise.
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/deskmock", "health", "--url", "http://127.0.0.1:8780"]
ARG VERSION=""
LABEL org.opencontainers.image.title="deskmock" \
      org.opencontainers.image.source="https://github.com/deskmock/deskmock" \
      org.opencontainers.image.version="${VERSION}"
# On a stop (SIGTERM) serve stops accepting, lets the requests in flight
# finish for at most 5 s, writes the journal out and exits 0, well within
# the engines' default 10 s before SIGKILL.
ENTRYPOINT ["/deskmock", "serve", "--addr", "0.0.0.0:8780", "--shutdown-timeout", "5s"]
