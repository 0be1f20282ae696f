#!/usr/bin/env bash
# Debian packages the tests need: Chromium (browser tests), CJK fonts (web pages; Chinese PDF letters).
# Installs only what is missing, so it is a no-op on a prepared machine.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# grep without -q reads all of fc-list's output: with pipefail, -q's early exit (SIGPIPE) would read as missing.
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || missing+=(fonts-noto-cjk fontconfig)
# ReportLab embeds TrueType fonts only (not CFF/OpenType like Noto CJK): letters use WenQuanYi Zen Hei.
fc-list 2>/dev/null | grep -i "WenQuanYi Zen Hei" >/dev/null || missing+=(fonts-wqy-zenhei fontconfig)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]} (run as root or install them; dependent tests will skip)" >&2
    exit 0
fi
echo "installing Debian packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
