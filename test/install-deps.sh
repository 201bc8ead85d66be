#!/usr/bin/env bash
# Debian packages the tests use as real peers and checkers: age (interop),
# rclone (cc-context stores, served on loopback with rclone serve webdav),
# zsh and fish (completion checks), man-db (man page rendering), zbar-tools
# (decoding the QR codes we print), tmux (a real terminal for prompts, Tab
# completion, two people approving at two terminals, cc-relay attach), rclone
# (a real store for cc-context), curl (HTTP checks) and chromium (the phone
# page, headless). Installs what is missing when run as
# root; otherwise says what to install.
set -eu
need=""
for pkg in age zsh fish man-db zbar-tools bsdutils tmux rclone curl chromium; do
  # "install ok installed" only: a removed package keeps a dpkg entry (config-files).
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need="$need $pkg"
done
[ -z "$need" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "tests need these Debian packages:$need" >&2
  echo "install them with: sudo apt-get install$need" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq $need >/dev/null
