#!/bin/sh
# Renders a conformance HTML report in headless Chromium and saves a
# screenshot of it, to look at the page as a browser shows it. Not run in CI.
#
#   testdata/conformance/screenshot.sh [REPORT.html] [OUT.png]
#
# Without REPORT.html it builds the broken client never-retries-20004, runs
# the whole suite against it (so the page has passing and failing cases) and
# shoots the report; then it runs two of the failing cases alone and shoots
# that report too, where the details of a failing case (checks, diffs,
# transcript) come right under the grid. OUT.png defaults to
# /tmp/deskmock-conform.png; the second shot goes next to it (-case.png).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
report=${1:-}
out=${2:-/tmp/deskmock-conform.png}

browser=
for b in chromium chromium-browser google-chrome google-chrome-stable; do
	if command -v "$b" >/dev/null 2>&1; then
		browser=$(command -v "$b")
		break
	fi
done
if [ -z "$browser" ]; then
	echo "screenshot.sh: no Chromium found (try: apt-get install chromium)" >&2
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

details=
if [ -z "$report" ]; then
	(cd "$root" && go build -o "$work/" ./testdata/conformance/clients/never-retries-20004 ./cmd/deskmock)
	report="$work/report.html"
	details="$work/details.html"
	# The runs fail on purpose: the client is broken.
	"$work/deskmock" conform -q --html "$report" -- "$work/never-retries-20004" >/dev/null || true
	"$work/deskmock" conform -q --html "$details" --run '^retry/20004/(middle-chunk|exhausted)$' -- "$work/never-retries-20004" >/dev/null || true
fi
case $report in
/*) ;;
*) report="$PWD/$report" ;;
esac

shoot() { # file output height
	"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$work/profile" --window-size="1400,$3" \
		--screenshot="$2" "file://$1" >/dev/null 2>&1
}
shoot "$report" "$out" 1700
echo "screenshot.sh: wrote $out"
if [ -n "$details" ]; then
	shoot "$details" "${out%.png}-case.png" 1800
	echo "screenshot.sh: wrote ${out%.png}-case.png"
fi
