#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every gst-launch-1.0 example of README.md runs exactly as written, from the
# checkout's root, inside `meson devenv -C build` (which is how the README
# says to run them). Examples that need a device (microphone, display) are
# skipped and listed. The examples run in a scratch copy of the root (links
# to its files) so that their outputs stay out of the checkout; the plugin is
# found only through the devenv (the suite's own plugin path is cleared).
set -uo pipefail
root=${SEQENC_SOURCE_ROOT:?}
build=${SEQENC_BUILD_ROOT:?}
work=$(mktemp -d "${TMPDIR:-/tmp}/seqenc-readme-XXXXXX")
trap 'rm -rf "$work"' EXIT
for f in "$root"/*; do ln -s "$f" "$work/$(basename "$f")"; done
unset GST_PLUGIN_PATH GST_PLUGIN_PATH_1_0 GST_PLUGIN_SYSTEM_PATH GST_PLUGIN_SYSTEM_PATH_1_0
export GST_REGISTRY_1_0=$work/.registry.bin
# the examples: ```sh blocks whose command is gst-launch-1.0 (continuation
# lines joined), one per line of examples.txt
/usr/bin/python3 - "$root/README.md" > "$work/.examples.txt" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
for block in re.findall(r"```sh\n(.*?)```", text, re.S):
    cmd = re.sub(r"\\\n\s*", " ", block).strip()
    for line in cmd.split("\n"):
        if line.startswith("gst-launch-1.0"):
            print(line)
PY
passed=0 failed=0 skipped=0
while IFS= read -r cmd; do
  case $cmd in
    *autoaudiosrc*|*autovideosink*|*pulsesrc*|*alsasrc*)
      echo "SKIP (needs a device): ${cmd:0:100}"; skipped=$((skipped + 1)); continue ;;
  esac
  if timeout 300 meson devenv -C "$build" --workdir "$work" bash -c "$cmd" > "$work/.out.txt" 2>&1 < /dev/null; then
    echo "PASS ${cmd:0:100}"; passed=$((passed + 1))
  else
    echo "FAIL ($?) $cmd"; tail -n 15 "$work/.out.txt"; failed=$((failed + 1))
  fi
done < "$work/.examples.txt"
echo "README examples: $skipped skipped (devices)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
