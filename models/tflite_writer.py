"""Write the glint CNN (models/nn.py) as a .tflite flatbuffer without TensorFlow.

Uses the `flatbuffers` package and the slot numbers of TFLite's schema.fbs (schema version 3,
file identifier "TFL3"). Weights are stored as float16 and expanded by DEQUANTIZE ops at
load time, the same layout TensorFlow's float16 post-training quantization produces; biases
stay float32. The input has a dynamic batch dimension (shape signature -1).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import flatbuffers
import numpy as np
import numpy.typing as npt

from models.nn import CnnParams

# Enum values from TFLite's schema.fbs.
FLOAT32, FLOAT16, INT32 = 0, 1, 2
OP_CONV_2D, OP_DEQUANTIZE, OP_FULLY_CONNECTED, OP_LOGISTIC, OP_MAX_POOL_2D = 3, 6, 9, 14, 17
OPT_CONV2D, OPT_POOL2D, OPT_FULLY_CONNECTED = 1, 5, 8
PAD_SAME, PAD_VALID = 0, 1
ACT_NONE, ACT_RELU = 0, 1
SCHEMA_VERSION = 3


@dataclass
class _Tensor:
    name: str
    shape: list[int]
    dtype: int
    buffer: int  # 0 = no data (activations)
    signature: list[int] | None = None


@dataclass
class _Op:
    code: int
    inputs: list[int]
    outputs: list[int]
    opt_type: int = 0
    opt: tuple[str, tuple[int, ...]] | None = None


class _Graph:
    def __init__(self) -> None:
        self.tensors: list[_Tensor] = []
        self.buffers: list[bytes] = [b""]  # buffer 0 is the empty sentinel by convention
        self.ops: list[_Op] = []

    def tensor(self, name: str, shape: list[int], dtype: int = FLOAT32,
               data: bytes | None = None, signature: list[int] | None = None) -> int:
        buf = 0
        if data is not None:
            self.buffers.append(data)
            buf = len(self.buffers) - 1
        self.tensors.append(_Tensor(name, shape, dtype, buf, signature))
        return len(self.tensors) - 1

    def const(self, name: str, arr: npt.NDArray[np.float64], half: bool) -> int:
        """A float32 tensor holding `arr`, via a float16 constant + DEQUANTIZE when `half`."""
        shape = list(arr.shape)
        if not half:
            return self.tensor(name, shape, FLOAT32, arr.astype("<f4").tobytes())
        q = self.tensor(name + "_f16", shape, FLOAT16, arr.astype("<f2").tobytes())
        out = self.tensor(name, shape)
        self.ops.append(_Op(OP_DEQUANTIZE, [q], [out]))
        return out


def _build_graph(p: CnnParams, half: bool) -> tuple[_Graph, int, int]:
    g = _Graph()
    h, w, c = p.input_shape
    x = g.tensor("patch", [1, h, w, c], signature=[-1, h, w, c])
    layers = [("conv1", p.conv1_w, p.conv1_b), ("conv2", p.conv2_w, p.conv2_b)]
    for name, wt, b in layers:
        cout = wt.shape[3]
        wt_ohwi = np.transpose(wt, (3, 0, 1, 2))  # TFLite conv filters are [out, kh, kw, in]
        wi = g.const(name + "_w", wt_ohwi, half)
        bi = g.tensor(name + "_b", [cout], FLOAT32, b.astype("<f4").tobytes())
        y = g.tensor(name, [1, h, w, cout], signature=[-1, h, w, cout])
        g.ops.append(_Op(OP_CONV_2D, [x, wi, bi], [y], OPT_CONV2D,
                         ("conv", (PAD_SAME, 1, 1, ACT_RELU))))
        h, w = h // 2, w // 2
        x = g.tensor(name + "_pool", [1, h, w, cout], signature=[-1, h, w, cout])
        g.ops.append(_Op(OP_MAX_POOL_2D, [y], [x], OPT_POOL2D,
                         ("pool", (PAD_VALID, 2, 2, 2, 2, ACT_NONE))))
    for name, wt, b, act in (("fc1", p.fc1_w, p.fc1_b, ACT_RELU),
                             ("fc2", p.fc2_w, p.fc2_b, ACT_NONE)):
        units = wt.shape[1]
        wi = g.const(name + "_w", wt.T, half)  # TFLite dense weights are [out, in]
        bi = g.tensor(name + "_b", [units], FLOAT32, b.astype("<f4").tobytes())
        y = g.tensor(name, [1, units], signature=[-1, units])
        g.ops.append(_Op(OP_FULLY_CONNECTED, [x, wi, bi], [y], OPT_FULLY_CONNECTED,
                         ("fc", (act,))))
        x = y
    prob = g.tensor("lens_probability", [1, 1], signature=[-1, 1])
    g.ops.append(_Op(OP_LOGISTIC, [x], [prob]))
    return g, 0, prob


def _int_vector(b: flatbuffers.Builder, values: list[int]) -> int:
    b.StartVector(4, len(values), 4)
    for v in reversed(values):
        b.PrependInt32(v)
    return int(b.EndVector())


def _aligned_bytes(b: flatbuffers.Builder, data: bytes) -> int:
    b.StartVector(1, len(data), 16)  # 16-byte aligned weights, as TFLite's converter writes
    b.head = b.head - len(data)
    b.Bytes[b.head:b.head + len(data)] = data
    return int(b.EndVector())


def _options(b: flatbuffers.Builder, opt: tuple[str, tuple[int, ...]]) -> int:
    kind, vals = opt
    if kind == "conv":
        pad, sw, sh, act = vals
        b.StartObject(7)
        b.PrependInt8Slot(0, pad, 0)
        b.PrependInt32Slot(1, sw, 0)
        b.PrependInt32Slot(2, sh, 0)
        b.PrependInt8Slot(3, act, 0)
        b.PrependInt32Slot(4, 1, 1)
        b.PrependInt32Slot(5, 1, 1)
    elif kind == "pool":
        pad, sw, sh, fw, fh, act = vals
        b.StartObject(6)
        b.PrependInt8Slot(0, pad, 0)
        b.PrependInt32Slot(1, sw, 0)
        b.PrependInt32Slot(2, sh, 0)
        b.PrependInt32Slot(3, fw, 0)
        b.PrependInt32Slot(4, fh, 0)
        b.PrependInt8Slot(5, act, 0)
    else:
        b.StartObject(6)
        b.PrependInt8Slot(0, vals[0], 0)
    return int(b.EndObject())


def _table_vector(b: flatbuffers.Builder, offsets: list[int]) -> int:
    b.StartVector(4, len(offsets), 4)
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return int(b.EndVector())


def serialize(p: CnnParams, half: bool = True, description: str = "camsweep glint") -> bytes:
    """The model as .tflite bytes."""
    g, inp, out = _build_graph(p, half)
    b = flatbuffers.Builder(1 << 16)
    codes_used = sorted({op.code for op in g.ops})
    code_index = {c: i for i, c in enumerate(codes_used)}
    buf_offsets = []
    for data in g.buffers:
        vec = _aligned_bytes(b, data) if data else None
        b.StartObject(3)
        if vec is not None:
            b.PrependUOffsetTRelativeSlot(0, vec, 0)
        buf_offsets.append(int(b.EndObject()))
    tensor_offsets = []
    for t in g.tensors:
        name = b.CreateString(t.name)
        shape = _int_vector(b, t.shape)
        sig = _int_vector(b, t.signature) if t.signature else None
        b.StartObject(11)
        b.PrependUOffsetTRelativeSlot(0, shape, 0)
        b.PrependInt8Slot(1, t.dtype, 0)
        b.PrependUint32Slot(2, t.buffer, 0)
        b.PrependUOffsetTRelativeSlot(3, name, 0)
        if sig is not None:
            b.PrependUOffsetTRelativeSlot(7, sig, 0)
        tensor_offsets.append(int(b.EndObject()))
    op_offsets = []
    for op in g.ops:
        ins = _int_vector(b, op.inputs)
        outs = _int_vector(b, op.outputs)
        opt = _options(b, op.opt) if op.opt else None
        b.StartObject(14)
        b.PrependUint32Slot(0, code_index[op.code], 0)
        b.PrependUOffsetTRelativeSlot(1, ins, 0)
        b.PrependUOffsetTRelativeSlot(2, outs, 0)
        if opt is not None:
            b.PrependUint8Slot(3, op.opt_type, 0)
            b.PrependUOffsetTRelativeSlot(4, opt, 0)
        op_offsets.append(int(b.EndObject()))
    tensors_vec = _table_vector(b, tensor_offsets)
    inputs_vec = _int_vector(b, [inp])
    outputs_vec = _int_vector(b, [out])
    ops_vec = _table_vector(b, op_offsets)
    sg_name = b.CreateString("main")
    b.StartObject(6)
    b.PrependUOffsetTRelativeSlot(0, tensors_vec, 0)
    b.PrependUOffsetTRelativeSlot(1, inputs_vec, 0)
    b.PrependUOffsetTRelativeSlot(2, outputs_vec, 0)
    b.PrependUOffsetTRelativeSlot(3, ops_vec, 0)
    b.PrependUOffsetTRelativeSlot(4, sg_name, 0)
    subgraph = int(b.EndObject())
    code_offsets = []
    for c in codes_used:
        b.StartObject(4)
        b.PrependInt8Slot(0, min(c, 127), 0)  # deprecated_builtin_code, kept for old readers
        b.PrependInt32Slot(2, 1, 1)
        b.PrependInt32Slot(3, c, 0)
        code_offsets.append(int(b.EndObject()))
    codes_vec = _table_vector(b, code_offsets)
    subgraphs_vec = _table_vector(b, [subgraph])
    buffers_vec = _table_vector(b, buf_offsets)
    desc = b.CreateString(description)
    b.StartObject(10)
    b.PrependUint32Slot(0, SCHEMA_VERSION, 0)
    b.PrependUOffsetTRelativeSlot(1, codes_vec, 0)
    b.PrependUOffsetTRelativeSlot(2, subgraphs_vec, 0)
    b.PrependUOffsetTRelativeSlot(3, desc, 0)
    b.PrependUOffsetTRelativeSlot(4, buffers_vec, 0)
    model = int(b.EndObject())
    b.Finish(model, file_identifier=b"TFL3")
    return bytes(b.Output())


def write(p: CnnParams, path: Path, half: bool = True, description: str = "camsweep glint") -> int:
    """Write the model to `path`; returns its size in bytes."""
    data = serialize(p, half, description)
    Path(path).write_bytes(data)
    return len(data)
