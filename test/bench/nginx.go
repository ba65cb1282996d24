package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"time"
)

// nginxInstall is printed when nginx is missing.
const nginxInstall = "apt-get install -y nginx-light (or nginx)"

// nginxConf is a minimal reverse proxy to backend, tuned as one would for
// a fair comparison: a worker per core, keep-alive to the backend, no
// access log, websocket upgrades, and the forwarding fields spawnhub sends
// (as nginx is set up in front of Jupyter), so that the backend parses the
// same request from both. Any one worker may end up holding all maxConns
// client connections, each with its upstream one.
func nginxConf(dir, listen, backend string, maxConns int) string {
	perWorker := 2*maxConns + 64
	return fmt.Sprintf(`daemon off;
master_process %[7]s;
worker_processes %[1]d;
worker_rlimit_nofile %[2]d;
pid %[3]s/nginx.pid;
error_log %[3]s/error.log warn;
events { worker_connections %[4]d; }
http {
  access_log off;
  client_body_temp_path %[3]s/body;
  proxy_temp_path %[3]s/proxy;
  fastcgi_temp_path %[3]s/fastcgi;
  uwsgi_temp_path %[3]s/uwsgi;
  scgi_temp_path %[3]s/scgi;
  keepalive_requests 1000000;
  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
  upstream backend {
    server %[5]s;
    keepalive 256;
    keepalive_requests 1000000;
  }
  server {
    listen %[6]s;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 1h;
    }
  }
}
`, runtime.NumCPU(), 2*perWorker+64, dir, perWorker, backend, listen, nginxMaster())
}

// startNginx runs nginx in the foreground on a free port in front of
// backend. It returns nil, nil when nginx is not installed.
func startNginx(dir, backend string, maxConns int) (*process, string, error) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		return nil, "", nil
	}
	dir = filepath.Join(dir, "nginx")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", fmt.Errorf("nginx: %w", err)
	}
	listen, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(nginxConf(dir, listen, backend, maxConns)), 0o644); err != nil {
		return nil, "", fmt.Errorf("nginx: %w", err)
	}
	p, err := startProcess("nginx", filepath.Join(dir, "stderr.log"), nil,
		bin, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"))
	if err != nil {
		return nil, "", err
	}
	if err := waitTCP(p, listen, 10*time.Second); err != nil {
		p.stop(syscall.SIGTERM, 10*time.Second)
		return nil, "", err
	}
	return p, "http://" + listen, nil
}

// chpInstall is printed when configurable-http-proxy is missing.
const chpInstall = "npm install -g configurable-http-proxy"

// startCHP runs JupyterHub's configurable-http-proxy with backend as its
// default target. It returns nil, nil when it is not installed.
func startCHP(dir, backend string) (*process, string, error) {
	bin, err := exec.LookPath("configurable-http-proxy")
	if err != nil {
		return nil, "", nil
	}
	listen, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	api, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	host, port, _ := net.SplitHostPort(listen)
	apiHost, apiPort, _ := net.SplitHostPort(api)
	env := []string{"CONFIGPROXY_AUTH_TOKEN=spawnhub-bench"}
	p, err := startProcess("configurable-http-proxy", filepath.Join(dir, "chp.log"), env, bin,
		"--ip", host, "--port", port, "--api-ip", apiHost, "--api-port", apiPort,
		"--default-target", "http://"+backend, "--log-level", "warn")
	if err != nil {
		return nil, "", err
	}
	if err := waitTCP(p, listen, 20*time.Second); err != nil {
		p.stop(syscall.SIGTERM, 10*time.Second)
		return nil, "", err
	}
	return p, "http://" + listen, nil
}
