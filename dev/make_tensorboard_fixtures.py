"""Write the TensorBoard event files under tests/data/tensorboard/ with the real writers.

Not part of the test suite (it needs torch and tensorboard); run it in a throwaway venv:

    python3.11 -m venv /tmp/tb-venv && /tmp/tb-venv/bin/pip install torch==2.13.0 tensorboard
    /tmp/tb-venv/bin/python dev/make_tensorboard_fixtures.py

The fixtures were produced with torch 2.13.0+cpu and tensorboard 2.21.0.  File names
are made stable (the writers put the time, host and pid in them); the contents are
exactly what the writers wrote.  tests/test_tensorboard.py states the values each holds.
"""

import glob
import os
import shutil
import sys

import numpy as np
import tensorboard
import torch
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
from tensorboard.summary import Writer
from tensorboard.summary.writer.record_writer import RecordWriter
from torch.utils.tensorboard import SummaryWriter

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "data", "tensorboard")


def stable_names(directory):
    """Rename every event file under directory to events.out.tfevents.1700000000.fixture.N."""
    for n, path in enumerate(sorted(glob.glob(os.path.join(directory, "**", "events.out.tfevents.*"),
                                            recursive=True))):
        os.rename(path, os.path.join(os.path.dirname(path), "events.out.tfevents.1700000000.fixture.%d" % n))


def torch_writer():
    """torch.utils.tensorboard.SummaryWriter: simple_value scalars, a new_style (tensor) scalar,
    add_scalars (one sub-directory per series), and a histogram and a text that are not scalars."""
    out = os.path.join(ROOT, "torch")
    w = SummaryWriter(log_dir=out)
    for step in range(5):
        w.add_scalar("loss", 1.0 / (step + 1), step)
        w.add_scalar("acc", 0.5 + step / 10, step)
        w.add_scalar("train/lr", 0.1 * 0.5 ** step, step, new_style=True)
        w.add_scalars("pair", {"a": float(step), "b": 2.0 * step}, step)
    w.add_histogram("weights", np.arange(10, dtype=np.float32), 0)
    w.add_text("note", "not a scalar", 0)
    w.close()
    stable_names(out)


def tensorboard_writer():
    """tensorboard.summary.Writer (no TensorFlow): TF2-style scalars, a tensor with plugin 'scalars'."""
    out = os.path.join(ROOT, "tbwriter")
    w = Writer(out)
    for step in (10, 20, 30):
        w.add_scalar("val/loss", 1.0 - step / 100.0, step)
    w.close()
    stable_names(out)


def hand_made_events():
    """Scalars encoded the other ways TensorFlow writes them: a DT_DOUBLE tensor with double_val and a
    DT_FLOAT tensor with tensor_content, written through tensorboard's own RecordWriter."""
    out = os.path.join(ROOT, "encodings")
    os.makedirs(out, exist_ok=True)
    scalars = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
    with open(os.path.join(out, "events.out.tfevents.1700000000.fixture.0"), "wb") as fh:
        writer = RecordWriter(fh)
        writer.write(event_pb2.Event(wall_time=1700000000.0, file_version="brain.Event:2").SerializeToString())
        for step, value in ((1, 0.125), (2, 0.0625)):
            double = tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE, double_val=[value],
                                            tensor_shape=tensor_shape_pb2.TensorShapeProto())
            content = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT,
                                             tensor_content=np.float32(value * 2).tobytes(),
                                             tensor_shape=tensor_shape_pb2.TensorShapeProto())
            summary = summary_pb2.Summary(value=[
                summary_pb2.Summary.Value(tag="double", tensor=double, metadata=scalars),
                summary_pb2.Summary.Value(tag="content", tensor=content, metadata=scalars)])
            writer.write(event_pb2.Event(wall_time=1700000000.0 + step, step=step, summary=summary)
                         .SerializeToString())
        writer.close()


if __name__ == "__main__":
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    torch_writer()
    tensorboard_writer()
    hand_made_events()
    print("torch %s, tensorboard %s, python %s" % (torch.__version__, tensorboard.__version__, sys.version.split()[0]))
    for path in sorted(glob.glob(os.path.join(ROOT, "**", "*tfevents*"), recursive=True)):
        print(os.path.relpath(path, ROOT), os.path.getsize(path))
