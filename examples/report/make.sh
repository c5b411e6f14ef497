#!/usr/bin/env bash
# Rebuild the README's example report pictures: the waterfall SVG and a screenshot of the HTML
# report in Debian's headless chromium (the report itself goes to a temporary directory).
set -euo pipefail
cd "$(dirname "$0")/../.."
id=e5f011c3c08395f59280cb8e102d796b
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
devkit logs trace "$id" examples/logs --tz UTC --html "$tmp/trace.html" --svg examples/report/waterfall.svg
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$tmp/profile" --hide-scrollbars \
    --window-size=1280,1480 --screenshot="$PWD/examples/report/trace.png" "file://$tmp/trace.html" 2>/dev/null
ls -l examples/report/
