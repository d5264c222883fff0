#!/usr/bin/env bash
# Renders scxsim's HTML reports in headless Chromium (Debian's `chromium` package) and fails on
# any JavaScript console message or a script that did not run to its end; writes a screenshot
# of each page. Used by the slow test `html_chromium` and to make docs/img/demo-report.png.
#
#   scripts/html_check.sh SCXSIM OUTDIR          # the demo's compare report and a `run --html`
#   SCREENSHOT=docs/img/demo-report.png scripts/html_check.sh build/src/cli/scxsim out/html
#
# Exit 77 (ctest's "skipped") when Chromium is not installed.
set -euo pipefail
SCXSIM="${1:?usage: html_check.sh SCXSIM OUTDIR}"
OUT="${2:?usage: html_check.sh SCXSIM OUTDIR}"
CHROMIUM="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$CHROMIUM" ]; then
  echo "html_check: skipped: chromium is not installed (apt-get install chromium)"
  exit 77
fi
mkdir -p "$OUT"

# The demo's comparison (scripts/demo.sh) and one probed run.
"$SCXSIM" compare --topology laptop --workload demo --duration 2s --seeds 1-5 --sched eevdf,vtime,llc \
  --html "$OUT/compare.html" > /dev/null
"$SCXSIM" run --topology laptop --workload demo --duration 1s --sched central \
  --probe nr_queued --probe nr_timers --html "$OUT/run.html" > /dev/null

# Headless Chromium: root needs --no-sandbox; each page is loaded twice, once for its screenshot,
# once for the DOM after the scripts ran. Console messages go to stderr as "...:CONSOLE..." lines.
# The screenshot opens the page as PAGE.html#plots, which folds the metrics table to show the plots.
browse() {
  timeout 180 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --enable-logging=stderr --v=0 \
    --user-data-dir="$OUT/profile" "$@"
}
status=0
for page in compare run; do
  html="$OUT/$page.html"
  browse --window-size=1400,2600 --screenshot="$OUT/$page.png" "file://$(realpath "$html")#plots" \
    > /dev/null 2> "$OUT/$page.screenshot.log"
  browse --dump-dom "file://$(realpath "$html")" > "$OUT/$page.dom.html" 2> "$OUT/$page.dom.log"
  if grep -h ":CONSOLE" "$OUT/$page.screenshot.log" "$OUT/$page.dom.log"; then
    echo "html_check: $html: JavaScript console messages above" >&2
    status=1
  fi
  if ! grep -q 'data-script="done"' "$OUT/$page.dom.html"; then
    echo "html_check: $html: the page's script did not run to its end" >&2
    status=1
  fi
  if [ ! -s "$OUT/$page.png" ]; then
    echo "html_check: $html: no screenshot written" >&2
    status=1
  fi
done
if [ -n "${SCREENSHOT:-}" ]; then cp "$OUT/compare.png" "$SCREENSHOT"; fi
[ "$status" = 0 ] && echo "html_check: $OUT/compare.html and $OUT/run.html render without console messages; screenshots $OUT/*.png"
exit "$status"
