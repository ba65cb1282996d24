# spawnhub: a static binary in a distroless, non-root image.
#   docker build -t spawnhub:dev --build-arg VERSION=$(git describe --always) .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/spawnhub ./cmd/spawnhub

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/spawnhub /usr/local/bin/spawnhub
USER 65532:65532
EXPOSE 8000
ENTRYPOINT ["/usr/local/bin/spawnhub"]
CMD ["serve", "--listen", "0.0.0.0:8000"]
