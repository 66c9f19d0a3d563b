#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks that a seqviz PNG is a picture and not a blank or flat image.

Run: /usr/bin/python3 tests/check_viz_png.py PNG WIDTH HEIGHT FILLED

The PNG is decoded by GStreamer's own pngdec (PyGObject, numpy), and must be
WIDTH x HEIGHT, with FILLED non-black columns at the right (the frames drawn)
and the other columns black (not drawn yet); the drawn part must vary
(pixel standard deviation, number of distinct colours, and every row and
column not flat). Exits 1 with the reason otherwise.
"""
import sys

import gi
import numpy as np

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
from gi.repository import Gst, GstApp  # noqa: E402,F401 (appsink methods)

# Thresholds of "not blank": a heatmap of real hidden states has hundreds of
# colours and a spread of tens of levels; a flat or two-colour image has
# neither.
MIN_STD = 20.0
MIN_COLOURS = 64


def decode_png(path):
    pipeline = Gst.parse_launch(
        "filesrc name=src ! pngdec ! videoconvert ! "
        "video/x-raw,format=RGB ! appsink name=sink sync=false")
    pipeline.get_by_name("src").set_property("location", path)
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    sample = sink.try_pull_sample(10 * Gst.SECOND)
    bus = pipeline.get_bus()
    err = bus.pop_filtered(Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if sample is None:
        raise SystemExit("%s: no image decoded (%s)" % (
            path, err.parse_error()[0].message if err else "no error"))
    s = sample.get_caps().get_structure(0)
    w, h = s.get_value("width"), s.get_value("height")
    buf = sample.get_buffer()
    ok, info = buf.map(Gst.MapFlags.READ)
    try:
        data = np.frombuffer(info.data, dtype=np.uint8)
        stride = len(data) // h
        img = data.reshape(h, stride)[:, :w * 3].reshape(h, w, 3).copy()
    finally:
        buf.unmap(info)
    return img


def main():
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    path = sys.argv[1]
    width, height, filled = (int(x) for x in sys.argv[2:])
    Gst.init(None)
    img = decode_png(path)
    fails = []
    if img.shape != (height, width, 3):
        raise SystemExit("%s: %s, expected %dx%d RGB" % (
            path, img.shape, width, height))
    black = (img == 0).all(axis=2).all(axis=0)
    want_black = np.arange(width) < width - filled
    if not (black == want_black).all():
        fails.append("black columns %s, expected the first %d only" % (
            np.flatnonzero(black).tolist()[:20], width - filled))
    drawn = img[:, width - filled:, :].astype(np.float64)
    std = drawn.std()
    colours = len(np.unique(drawn.reshape(-1, 3), axis=0))
    flat_rows = int((drawn.std(axis=(1, 2)) == 0).sum())
    flat_cols = int((drawn.std(axis=(0, 2)) == 0).sum())
    if std < MIN_STD:
        fails.append("pixel standard deviation %.1f < %.1f" % (std, MIN_STD))
    if colours < MIN_COLOURS:
        fails.append("%d colours < %d" % (colours, MIN_COLOURS))
    if flat_rows or flat_cols:
        fails.append("%d flat rows, %d flat columns" % (flat_rows, flat_cols))
    print("%s: %dx%d, %d drawn columns, std %.1f, %d colours, "
          "%d flat rows, %d flat columns" % (path, width, height, filled, std,
                                              colours, flat_rows, flat_cols))
    if fails:
        raise SystemExit("%s is blank or wrong: %s" % (path, "; ".join(fails)))


if __name__ == "__main__":
    main()
