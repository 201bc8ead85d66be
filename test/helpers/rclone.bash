# A real rclone WebDAV server on loopback with an in-memory backend, and an
# rclone remote named `ctx` pointing at it through RCLONE_CONFIG_* env (no
# config file, no credentials in argv). Stopped by rclone_stop (teardown).

rclone_start() {
  command -v rclone >/dev/null || skip "rclone is not installed (test/install-deps.sh)"
  local log="$BATS_TEST_TMPDIR/rclone.log"
  timeout 300 rclone serve webdav :memory: --addr 127.0.0.1:0 --config /dev/null >"$log" 2>&1 &
  RCLONE_PID=$!
  local url="" i
  for i in $(seq 1 100); do
    url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+/' "$log" | head -1)
    [ -n "$url" ] && break
    sleep 0.05
  done
  [ -n "$url" ] || { cat "$log"; return 1; }
  export RCLONE_CONFIG=/dev/null RCLONE_CONFIG_CTX_TYPE=webdav RCLONE_CONFIG_CTX_URL="$url" RCLONE_CONFIG_CTX_VENDOR=other
}

rclone_stop() {
  if [ -n "${RCLONE_PID:-}" ]; then
    kill "$RCLONE_PID" 2>/dev/null || true
    wait "$RCLONE_PID" 2>/dev/null || true
  fi
  RCLONE_PID=""
}
