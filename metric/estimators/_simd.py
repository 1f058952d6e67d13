"""Vector primitives for the numba KSG kernel, written as LLVM IR (numba intrinsics).

numba does not vectorise the KSG inner loops by itself (an insertion network per
candidate, searches with data-dependent ends), so the two hot steps are spelled out on
LLVM vectors: 4 doubles for the neighbour windows, 8 for the count searches. LLVM
lowers them to AVX2 where the CPU has it and splits them into narrower registers
where it does not, so the results are the scalar code's, bit for bit, everywhere.
Array data is passed as addresses (`address`) so that the hot loops do no reference
counting. The kernels that inline these are cached with `_numba_cache.cached_njit`,
whose key covers this file: an edit here recompiles them.
"""

from __future__ import annotations

import math

from llvmlite import ir
from numba import types
from numba.core.extending import intrinsic

WINDOW_LANES = 4  # points per neighbour-window block: 4 float64 = one AVX2 register
COUNT_LANES = 8  # values per `count8_within` (two AVX2 registers): 3 nested counts reach 8**3

_F64 = ir.DoubleType()
_I32 = ir.IntType(32)
_V4 = ir.VectorType(_F64, WINDOW_LANES)
# Lane permutations that merge the lanes' sorted triples: swap halves, then neighbours.
_SWAP_HALVES = [2, 3, 0, 1]
_SWAP_NEIGHBOURS = [1, 0, 3, 2]


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


def _merge3(builder: ir.IRBuilder, mine: tuple, mask: list[int]) -> tuple:
    """Lane-wise 3 smallest of two ascending triples: ``mine`` and ``mine`` with its lanes
    permuted by ``mask``."""
    m1, m2, m3 = mine
    o1, o2, o3 = (_shuffle(builder, v, mask) for v in mine)
    first = _vmin(builder, m1, o1)
    second = _vmin(builder, _vmax(builder, m1, o1), _vmin(builder, m2, o2))
    third = _vmin(builder, _vmin(builder, m3, o3),
                  _vmin(builder, _vmax(builder, m1, o2), _vmax(builder, m2, o1)))
    return first, second, third


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
        v_addr, v_start, v_query, radius = args
        v = _load(builder, v_addr, v_start, ir.VectorType(_F64, COUNT_LANES))
        inside = builder.fcmp_ordered("<=", builder.fsub(v, _splat(builder, v_query, COUNT_LANES)),
                                      _splat(builder, radius, COUNT_LANES))
        mask = ir.IntType(COUNT_LANES)
        ctpop = _declare(builder, f"llvm.ctpop.i{COUNT_LANES}", mask, mask)
        return builder.zext(builder.call(ctpop, [builder.bitcast(inside, mask)]), ir.IntType(64))

    return sig, codegen


def top3_blocks(own: tuple[int, ...], split: tuple[tuple[int, ...], ...]):
    """An intrinsic ``f(addr_x, addr_y, i, splits, x_i, y_i, first, second, third) ->
    (first, second, third)``: the ascending 3 smallest of {first, second, third} and the
    Chebyshev distances from (x_i, y_i) to the points i + o .. i + o + 3 for o in ``own``
    and splits[n] + o .. splits[n] + o + 3 for o in ``split[n]`` (x and y float64 arrays
    at addresses addr_x, addr_y). WINDOW_LANES points at a time: each lane keeps its own
    3 smallest, and the lanes are merged at the end; the multiset of distances is a
    scalar loop's, so the result is too."""

    @intrinsic
    def blocks(typingctx, addr_x, addr_y, i, splits, x_i, y_i, first, second, third):
        ret = types.UniTuple(types.float64, 3)
        sig = ret(addr_x, addr_y, i, splits, x_i, y_i, first, second, third)
        starts = [(None, o) for o in own] + [(n, o) for n in range(splits.count) for o in split[n]]

        def codegen(context, builder, signature, args):
            v_addr_x, v_addr_y, v_i, v_splits, v_x, v_y, v_first, v_second, v_third = args
            fabs = _declare(builder, f"llvm.fabs.v{WINDOW_LANES}f64", _V4, _V4)
            x_lanes, y_lanes = _splat(builder, v_x, WINDOW_LANES), _splat(builder, v_y, WINDOW_LANES)
            inf = _splat(builder, ir.Constant(_F64, math.inf), WINDOW_LANES)
            zero = ir.Constant(_I32, 0)
            # lane 0 starts from the given triple, the other lanes from +inf
            l1, l2, l3 = (builder.insert_element(inf, v, zero) for v in (v_first, v_second, v_third))
            for which, offset in starts:
                base = v_i if which is None else builder.extract_value(v_splits, which)
                at = builder.add(base, ir.Constant(base.type, offset))
                dx = builder.call(fabs, [builder.fsub(_load(builder, v_addr_x, at, _V4), x_lanes)])
                dy = builder.call(fabs, [builder.fsub(_load(builder, v_addr_y, at, _V4), y_lanes)])
                d = _vmax(builder, dx, dy)
                l1, d = _vmin(builder, l1, d), _vmax(builder, l1, d)
                l2, d = _vmin(builder, l2, d), _vmax(builder, l2, d)
                l3 = _vmin(builder, l3, d)
            best = _merge3(builder, (l1, l2, l3), _SWAP_HALVES)
            best = _merge3(builder, best, _SWAP_NEIGHBOURS)
            return context.make_tuple(builder, ret, [builder.extract_element(v, zero) for v in best])

        return sig, codegen

    return blocks
