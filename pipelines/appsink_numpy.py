#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""seqenc from Python: tensors out of a GStreamer pipeline into numpy.

    /usr/bin/python3 pipelines/appsink_numpy.py -o hidden.npz \\
        'filesrc location=tests/data/fbank_speech.wav ! wavparse ! audioconvert !
         audioresample ! seqfbank ! seqposenc ! seqlstm'

The pipeline description (gst-launch syntax, without a sink) must end in an
element producing `other/tensors` (NNStreamer caps, one tensor per buffer,
`D:T`, static or flexible); an appsink is linked after it. Every buffer
becomes T rows of an array of shape (frames, D):
  static    the caps' dimensions give D and T (`dimensions=D:T`);
  flexible  each buffer starts with NNStreamer's 128-byte header
            (little-endian u32: magic 0xfeedcced, version, type, 16 dims
            innermost first, format, media type), the data follows it.
The output is .npy (the frames, as seqnpysink writes them) or .npz with
`frames` and `pts` (nanoseconds per frame: the buffer's PTS plus the frame's
index over the caps' framerate; -1 where there is no time).

As a module: `frames, pts = pull_tensors(description)`.
Needs PyGObject and GStreamer's introspection data (Debian: python3-gi,
gir1.2-gstreamer-1.0, gir1.2-gst-plugins-base-1.0) and numpy; the seqenc
plugin is found through GST_PLUGIN_PATH (or `meson devenv -C build`).
"""
import argparse
import struct
import sys

import gi
import numpy as np

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
from gi.repository import Gst, GstApp  # noqa: E402,F401 (appsink methods)

HEADER_SIZE = 128
MAGIC = 0xFEEDCCED
# NNStreamer tensor type codes (the header) and names (the caps)
TYPE_CODES = {0: "int32", 1: "uint32", 2: "int16", 3: "uint16", 4: "int8",
              5: "uint8", 6: "float64", 7: "float32", 8: "int64",
              9: "uint64", 10: "float16"}
DTYPES = {"int32": "<i4", "uint32": "<u4", "int16": "<i2", "uint16": "<u2",
          "int8": "i1", "uint8": "u1", "float64": "<f8", "float32": "<f4",
          "int64": "<i8", "uint64": "<u8", "float16": "<f2"}


class TensorError(Exception):
    """A buffer or caps that are not the tensors described above."""


def parse_dims(text):
    """'D', 'D:T' or 'D:T:1:1' -> (D, T)."""
    try:
        dims = [int(x) for x in text.split(":")]
    except ValueError:
        raise TensorError("dimensions %r are not integers" % text)
    if not dims or any(d <= 0 for d in dims) or any(d != 1 for d in dims[2:]):
        raise TensorError("dimensions %r are not D or D:T" % text)
    return dims[0], dims[1] if len(dims) > 1 else 1


def parse_header(data):
    """The flexible header -> (dtype name, D, T)."""
    if len(data) < HEADER_SIZE:
        raise TensorError("flexible buffer of %d bytes: shorter than its "
                          "%d-byte header" % (len(data), HEADER_SIZE))
    words = struct.unpack_from("<21I", data, 0)
    if words[0] != MAGIC:
        raise TensorError("flexible header magic 0x%08x, expected 0x%08x"
                          % (words[0], MAGIC))
    if words[2] not in TYPE_CODES:
        raise TensorError("flexible header type code %d unknown" % words[2])
    dims = []
    for d in words[3:19]:
        if d == 0:
            break
        dims.append(d)
    if not dims or any(d != 1 for d in dims[2:]):
        raise TensorError("flexible header dims %s are not D or D:T" % dims)
    return TYPE_CODES[words[2]], dims[0], dims[1] if len(dims) > 1 else 1


class CapsInfo:
    def __init__(self, caps):
        s = caps.get_structure(0)
        if s.get_name() not in ("other/tensors", "other/tensor"):
            raise TensorError("caps %s are not other/tensors" % caps.to_string())
        self.flexible = s.get_string("format") == "flexible"
        ok, num = s.get_int("num_tensors")
        if ok and num != 1:
            raise TensorError("num_tensors=%d: one tensor per buffer only" % num)
        self.type = s.get_string("types") or s.get_string("type")
        dims = s.get_string("dimensions") or s.get_string("dimension")
        self.dim, self.frames = parse_dims(dims) if dims else (0, 0)
        ok, self.rate_n, self.rate_d = s.get_fraction("framerate")
        if not ok:
            self.rate_n, self.rate_d = 0, 1
        if not self.flexible and (self.type is None or not dims):
            raise TensorError("static caps %s lack types or dimensions"
                              % caps.to_string())


def buffer_frames(info, data):
    """One buffer's bytes -> array (T, D)."""
    if info.flexible:
        type_name, dim, frames = parse_header(data)
        if info.type is not None and type_name != info.type:
            raise TensorError("flexible header type %s, caps say %s"
                              % (type_name, info.type))
        payload = data[HEADER_SIZE:]
    else:
        type_name, dim, frames, payload = info.type, info.dim, info.frames, data
    if type_name not in DTYPES:
        raise TensorError("tensor type %r unknown" % type_name)
    dtype = np.dtype(DTYPES[type_name])
    if len(payload) != dim * frames * dtype.itemsize:
        raise TensorError("buffer holds %d bytes of data, expected %d x %d "
                          "%s" % (len(payload), frames, dim, type_name))
    return np.frombuffer(payload, dtype=dtype).reshape(frames, dim)


def check_bus(bus):
    msg = bus.pop_filtered(Gst.MessageType.ERROR)
    if msg is not None:
        err, debug = msg.parse_error()
        raise RuntimeError("%s: %s (%s)" % (msg.src.get_name(), err.message,
                                            debug))


def pull_tensors(description, timeout_s=300.0):
    """Runs the pipeline to EOS; returns (frames (N, D), pts (N,) int64)."""
    if not Gst.is_initialized():
        Gst.init(None)
    pipeline = Gst.parse_launch(
        description + " ! appsink name=seqenc_sink sync=false")
    sink = pipeline.get_by_name("seqenc_sink")
    bus = pipeline.get_bus()
    chunks, stamps = [], []
    info, info_caps = None, None
    waited = 0.0
    pipeline.set_state(Gst.State.PLAYING)
    try:
        while True:
            check_bus(bus)
            sample = sink.try_pull_sample(Gst.SECOND // 10)
            if sample is None:
                if sink.is_eos():
                    # an element that failed posted its error before the
                    # EOS that followed it reached the sink
                    check_bus(bus)
                    break
                waited += 0.1
                if waited > timeout_s:
                    raise RuntimeError("no EOS after %.0f s" % timeout_s)
                continue
            waited = 0.0
            caps = sample.get_caps()
            if info is None or not caps.is_equal(info_caps):
                info, info_caps = CapsInfo(caps), caps
            buf = sample.get_buffer()
            ok, mapinfo = buf.map(Gst.MapFlags.READ)
            if not ok:
                raise TensorError("cannot map a buffer")
            try:
                x = buffer_frames(info, bytes(mapinfo.data))
            finally:
                buf.unmap(mapinfo)
            if chunks and x.shape[1] != chunks[0].shape[1]:
                raise TensorError("width changed from %d to %d"
                                  % (chunks[0].shape[1], x.shape[1]))
            chunks.append(x)
            pts = buf.pts
            if pts == Gst.CLOCK_TIME_NONE:
                stamps.append(np.full(len(x), -1, dtype=np.int64))
            elif info.rate_n > 0:
                i = np.arange(len(x), dtype=np.int64)
                stamps.append(pts + i * Gst.SECOND * info.rate_d // info.rate_n)
            else:
                stamps.append(np.full(len(x), pts, dtype=np.int64))
    finally:
        pipeline.set_state(Gst.State.NULL)
    if not chunks:
        dim = info.dim if info else 0
        dtype = DTYPES.get(info.type if info else None, "<f4")
        return np.zeros((0, dim), dtype=dtype), np.zeros(0, dtype=np.int64)
    return np.concatenate(chunks), np.concatenate(stamps)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", required=True,
                    help=".npy (frames) or .npz (frames, pts)")
    ap.add_argument("pipeline", nargs="+",
                    help="gst-launch description ending in a tensor element")
    args = ap.parse_args()
    try:
        frames, pts = pull_tensors(" ".join(args.pipeline))
    except (TensorError, RuntimeError, gi.repository.GLib.Error) as e:
        print("appsink_numpy: %s" % e, file=sys.stderr)
        return 1
    if args.output.endswith(".npy"):
        np.save(args.output, frames)
    else:
        np.savez(args.output, frames=frames, pts=pts)
    print("%s: %d frames of %d %s" % (args.output, frames.shape[0],
                                      frames.shape[1], frames.dtype),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
