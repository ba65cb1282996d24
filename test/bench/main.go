// Command bench measures, in one run on loopback, the same backend reached
// directly, through spawnhub (session check, route lookup, activity mark,
// relay), through nginx and through configurable-http-proxy when they are
// installed: requests per second, the proxy's CPU time per request,
// websocket round trips and the memory of idle websockets, as absolute
// numbers and as ratios to direct access and to nginx.
//
//	go run ./test/bench [-duration 5s] [-conns 64] [-idle 5000] [-json]
//
// It builds spawnhub, starts `spawnhub serve` with the memory store and an
// image that runs this program as the backend, signs in with the
// development login and launches the backend through spawnhub. Every
// process it starts is stopped by pid before it exits.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	var o Options
	var asJSON bool
	var backendListen, backendInfo string
	flag.IntVar(&o.Conns, "conns", 64, "keep-alive connections of the GET load")
	flag.DurationVar(&o.Warmup, "warmup", time.Second, "load before each measured window")
	flag.DurationVar(&o.Duration, "duration", 6*time.Second, "measured GET load (and websocket message load) per target, over all rounds")
	flag.IntVar(&o.Rounds, "rounds", 3, "rounds the loads are measured in, each taking every target in turn")
	flag.IntVar(&o.Echoes, "echoes", 3000, "websocket round trips timed per target")
	flag.IntVar(&o.Idle, "idle", 5000, "idle websockets opened per target (0 skips)")
	flag.DurationVar(&o.Settle, "settle", 2*time.Second, "pause after the GET load, and how long idle websockets sit before memory is read")
	flag.StringVar(&o.Spawnhub, "spawnhub", "", "a spawnhub binary to use instead of building one")
	flag.BoolVar(&o.Nginx, "nginx", true, "measure nginx if installed ("+nginxInstall+")")
	flag.BoolVar(&o.CHP, "chp", true, "measure configurable-http-proxy if installed ("+chpInstall+")")
	flag.BoolVar(&asJSON, "json", false, "print JSON instead of markdown tables")
	flag.StringVar(&callgrindDir, "callgrind", "", "run spawnhub and nginx under valgrind's callgrind, writing its counts in this folder: instructions per request (use with -idle 0)")
	flag.StringVar(&backendListen, "backend-listen", "", "internal: serve as the backend on this address")
	flag.StringVar(&backendInfo, "backend-info", "", "internal: where the backend writes its address")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if backendListen != "" {
		if err := serveBackend(ctx, backendListen, backendInfo); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	rep, err := run(ctx, o, log)
	if err != nil {
		log.Error("benchmark", "err", err)
		os.Exit(1)
	}
	write := rep.WriteMarkdown
	if asJSON {
		write = rep.WriteJSON
	}
	if err := write(os.Stdout); err != nil {
		log.Error("report", "err", err)
		os.Exit(1)
	}
}
