#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The small fixed evaluation set of the spoken-digit model (used by
# tests/test_digits_model.sh and by models/digits/evaluate.py --suite, which
# computes the bound the test asserts): 12 digit strings spoken by espeak-ng
# voices the training never saw (a held-out accent, en-029 or
# en-gb-x-gbcwmd, or a held-out variant: see models/digits/make_data.py),
# converted to 16 kHz mono S16 by GStreamer's audioresample (what the
# pipeline itself does to any other rate).
# usage: digits_suite_set.sh DIR   -> DIR/NN.wav and DIR/list.tsv
set -euo pipefail
dir=${1:?usage: digits_suite_set.sh DIR}
mkdir -p "$dir"
: > "$dir/list.tsv"
i=0
while IFS='|' read -r voice rate text digits; do
  f=$(printf '%02d.wav' $i)
  # (not under a preloaded sanitizer runtime: espeak-ng hangs there)
  env -u LD_PRELOAD espeak-ng -v "$voice" -s "$rate" -w "$dir/raw-$f" "$text"
  gst-launch-1.0 -q filesrc location="$dir/raw-$f" ! wavparse ! \
    audioconvert ! audioresample ! \
    audio/x-raw,format=S16LE,rate=16000,channels=1 ! wavenc ! \
    filesink location="$dir/$f"
  rm -f "$dir/raw-$f"
  printf '%s\t%s\n' "$f" "$digits" >> "$dir/list.tsv"
  i=$((i + 1))
done <<'LIST'
en-029+m2|150|four one seven|4 1 7
en-gb-x-gbcwmd+f4|170|nine nine two|9 9 2
en-us+m7|160|three zero five eight|3 0 5 8
en-gb+edward|140|six|6
en-gb-x-gbcwmd+john|190|one two three four five|1 2 3 4 5
en-029+f4|175|eight oh seven|8 0 7
en-us-nyc+Alex|165|two two seven one|2 2 7 1
en-gb-x-rp+steph3|155|five nine|5 9
en-gb-scotland+quincy|180|seven three three eight six|7 3 3 8 6
en-029+zac|145|zero four|0 4
en-gb-x-gbclan+boris|160|one eight six nine|1 8 6 9
en-gb-x-gbcwmd+m2|200|six five four three two one|6 5 4 3 2 1
LIST
