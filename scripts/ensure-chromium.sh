#!/usr/bin/env bash
# Makes sure a Chromium is available for the browser and end-to-end tests, which
# use the system's browser (Playwright never downloads one). Installs Debian's
# `chromium` package with apt-get when neither $CHROMIUM_PATH nor /usr/bin/chromium
# exists; this needs root (or sudo).
set -euo pipefail

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  exit 0
fi

echo "ensure-chromium: $chromium not found; installing chromium with apt-get" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: apt-get is not available; install Chromium yourself and set CHROMIUM_PATH" >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "ensure-chromium: installing Chromium needs root; run as root or install it and set CHROMIUM_PATH" >&2
    exit 1
  fi
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" apt-get install -y --no-install-recommends chromium

if [ ! -x "$chromium" ]; then
  echo "ensure-chromium: chromium was installed but $chromium still does not exist; set CHROMIUM_PATH" >&2
  exit 1
fi
