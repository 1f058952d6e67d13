"""Vector primitives for the numba KSG kernel, written as LLVM IR (numba intrinsics).

numba does not vectorise the KSG inner loops by itself (an insertion network per
candidate, searches with data-dependent ends), so the two hot steps are spelled out on
LLVM vectors: 4 doubles for the neighbour windows, 8 for the count searches. LLVM
lowers them to AVX2 where the CPU has it and splits them into narrower registers
where it does not, so the results are the scalar code's, bit for bit, everywhere.
Array data is passed as addresses (`address`) so that the hot loops do no reference
counting. numba's disk cache of the kernels is keyed on _ksg_numba.py alone: after
editing this file, touch that one (or clear its __pycache__).
"""

from __future__ import annotations

import math

from llvmlite import ir
from numba import types
from numba.core.extending import intrinsic

_F64 = ir.DoubleType()
_I32 = ir.IntType(32)
_V4 = ir.VectorType(_F64, 4)


def _declare(builder: ir.IRBuilder, name: str, ret: ir.Type, arg: ir.Type) -> ir.Function:
    mod = builder.module
    return mod.globals.get(name) or ir.Function(mod, ir.FunctionType(ret, [arg]), name=name)


def _splat(builder: ir.IRBuilder, x: ir.Value, lanes: int) -> ir.Value:
    vec = ir.VectorType(x.type, lanes)
    one = builder.insert_element(ir.Constant(vec, ir.Undefined), x, ir.Constant(_I32, 0))
    return _shuffle(builder, one, [0] * lanes)


def _shuffle(builder: ir.IRBuilder, v: ir.Value, mask: list[int]) -> ir.Value:
    return builder.shuffle_vector(v, ir.Constant(v.type, ir.Undefined),
                                  ir.Constant(ir.VectorType(_I32, len(mask)), mask))


def _load(builder: ir.IRBuilder, addr: ir.Value, at: ir.Value, vec: ir.VectorType) -> ir.Value:
    """vec-many doubles from the float64 array at address ``addr``, index ``at`` on."""
    ptr = builder.gep(builder.inttoptr(addr, _F64.as_pointer()), [at])
    return builder.load(builder.bitcast(ptr, vec.as_pointer()), align=8)


def _vmin(builder: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    return builder.select(builder.fcmp_ordered("<", x, y), x, y)


def _vmax(builder: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    return builder.select(builder.fcmp_ordered(">", x, y), x, y)


def _merge3(builder: ir.IRBuilder, a: tuple, mask: list[int]) -> tuple:
    """Lane-wise 3 smallest of two ascending triples: ``a`` and ``a`` with its lanes permuted."""
    a1, a2, a3 = a
    b1, b2, b3 = (_shuffle(builder, v, mask) for v in a)
    c1 = _vmin(builder, a1, b1)
    c2 = _vmin(builder, _vmax(builder, a1, b1), _vmin(builder, a2, b2))
    c3 = _vmin(builder, _vmin(builder, a3, b3),
               _vmin(builder, _vmax(builder, a1, b2), _vmax(builder, a2, b1)))
    return c1, c2, c3


@intrinsic
def select(typingctx, cond, a, b):
    """``a if cond else b`` on int64, marked unpredictable: a cmov, not a branch."""
    sig = types.int64(types.boolean, types.int64, types.int64)

    def codegen(context, builder, signature, args):
        inst = builder.select(args[0], args[1], args[2])
        inst.set_metadata("unpredictable", builder.module.add_metadata([]))
        return inst

    return sig, codegen


@intrinsic
def below(typingctx, x):
    """``np.nextafter(x, 0)`` for finite x >= 0: the float64 just below x (0 stays 0)."""
    sig = types.float64(x)

    def codegen(context, builder, signature, args):
        i64 = ir.IntType(64)
        bits = builder.bitcast(args[0], i64)
        positive = builder.zext(builder.icmp_signed(">", bits, ir.Constant(i64, 0)), i64)
        return builder.bitcast(builder.sub(bits, positive), _F64)

    return sig, codegen


@intrinsic
def address(typingctx, arr):
    """Data address of a contiguous array, as an integer."""
    sig = types.intp(arr)

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        return builder.ptrtoint(data, context.get_value_type(types.intp))

    return sig, codegen


@intrinsic
def count8_within(typingctx, addr, start, vq, r):
    """#{i < 8 : v[start + i] - vq <= r} for the float64 array v at ``addr``."""
    sig = types.int64(addr, start, vq, r)

    def codegen(context, builder, signature, args):
        a, st, q, radius = args
        v = _load(builder, a, st, ir.VectorType(_F64, 8))
        inside = builder.fcmp_ordered("<=", builder.fsub(v, _splat(builder, q, 8)),
                                      _splat(builder, radius, 8))
        ctpop = _declare(builder, "llvm.ctpop.i8", ir.IntType(8), ir.IntType(8))
        return builder.zext(builder.call(ctpop, [builder.bitcast(inside, ir.IntType(8))]),
                            ir.IntType(64))

    return sig, codegen


def top3_blocks(own: tuple[int, ...], side: tuple[tuple[int, ...], ...]):
    """An intrinsic ``f(ax, ay, q, sides, xq, yq, b1, b2, b3) -> (d1, d2, d3)``: the
    ascending 3 smallest of {b1, b2, b3} and the Chebyshev distances from (xq, yq) to
    the points q + o .. q + o + 3 for o in ``own`` and sides[i] + o .. sides[i] + o + 3
    for o in ``side[i]`` (x and y float64 arrays at addresses ax, ay). Four
    points at a time: each lane keeps its own 3 smallest, and the lanes are merged at
    the end; the multiset of distances is a scalar loop's, so the result is too."""

    @intrinsic
    def blocks(typingctx, ax, ay, q, sides, xq, yq, b1, b2, b3):
        ret = types.UniTuple(types.float64, 3)
        sig = ret(ax, ay, q, sides, xq, yq, b1, b2, b3)
        starts = [(None, o) for o in own] + [(i, o) for i in range(sides.count) for o in side[i]]

        def codegen(context, builder, signature, args):
            vax, vay, vq, vsides, vxq, vyq, vb1, vb2, vb3 = args
            fabs = _declare(builder, "llvm.fabs.v4f64", _V4, _V4)
            sx, sy = _splat(builder, vxq, 4), _splat(builder, vyq, 4)
            inf = _splat(builder, ir.Constant(_F64, math.inf), 4)
            zero = ir.Constant(_I32, 0)
            a1, a2, a3 = (builder.insert_element(inf, b, zero) for b in (vb1, vb2, vb3))
            for s, off in starts:
                base = vq if s is None else builder.extract_value(vsides, s)
                at = builder.add(base, ir.Constant(base.type, off))
                dx = builder.call(fabs, [builder.fsub(_load(builder, vax, at, _V4), sx)])
                dy = builder.call(fabs, [builder.fsub(_load(builder, vay, at, _V4), sy)])
                t = _vmax(builder, dx, dy)
                a1, t = _vmin(builder, a1, t), _vmax(builder, a1, t)
                a2, t = _vmin(builder, a2, t), _vmax(builder, a2, t)
                a3 = _vmin(builder, a3, t)
            best = _merge3(builder, (a1, a2, a3), [2, 3, 0, 1])
            best = _merge3(builder, best, [1, 0, 3, 2])
            return context.make_tuple(builder, ret, [builder.extract_element(v, zero) for v in best])

        return sig, codegen

    return blocks
