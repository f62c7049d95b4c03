# Build: cgo is needed for the embedded SQLite driver.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/herald ./cmd/herald

# Run: a small Debian image, a non-root user, the data directory as a volume.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin herald \
 && mkdir -p /data && chown herald:herald /data
COPY --from=build /out/herald /usr/local/bin/herald
USER herald
ENV HERALD_DATA_DIR=/data HERALD_ADDR=0.0.0.0:8080
VOLUME /data
EXPOSE 8080
# The slim image has no curl: herald asks its own /readyz (database reachable,
# schema current) on HERALD_ADDR, within 3s, and exits 0 when ready, 1 otherwise.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/herald", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/herald"]
CMD ["serve"]
