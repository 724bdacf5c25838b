"""A monotonic wall clock readable from nogil numba kernels: ``monotonic_ns(clock_id)``.

Threads mode stamps each parameter snapshot with the wall time at which the worker that took it
claimed the scheduled update count. The stamp is read inside the compiled worker loop by calling the
C library's ``clock_gettime(clock_id, &ts)`` (declared by name in the emitted LLVM IR and resolved by
the JIT linker from the running process, so kernels that use it still compile with ``cache=True``).
Pass ``time.CLOCK_MONOTONIC``: it is the clock behind ``time.perf_counter`` and
``time.monotonic_ns`` on Linux, so compiled and Python stamps share one time axis with no calibration,
and on Linux x86-64 the call goes through the vDSO (about 20 ns, no system call). It is read once
per snapshot, never per sample.

Why not the alternatives named in the design: a monitor Python thread that polls the update counter
needs the GIL and a core of its own (this machine has two, both busy with workers) and resolves times
only to its polling period; a raw cycle counter (``rdtsc``) is cheaper but needs a frequency
calibration against ``perf_counter`` and trusts that the counters of all cores agree. POSIX only (the
``clock_gettime`` symbol and a 64-bit ``struct timespec``).
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_I32 = ir.IntType(32)
_I64 = ir.IntType(64)
_TIMESPEC = ir.LiteralStructType([_I64, _I64])  # struct timespec {time_t tv_sec; long tv_nsec;} (LP64)


@intrinsic
def monotonic_ns(typingctx, clock_id):
    """Nanoseconds on clock ``clock_id`` (``tv_sec · 10⁹ + tv_nsec`` of ``clock_gettime``)."""
    if not isinstance(clock_id, types.Integer):
        return None
    signature = types.int64(clock_id)

    def codegen(context, builder, sig, args):
        fnty = ir.FunctionType(_I32, [_I32, _TIMESPEC.as_pointer()])
        clock_gettime = cgutils.get_or_insert_function(builder.module, fnty, "clock_gettime")
        ts = cgutils.alloca_once(builder, _TIMESPEC)
        cid = context.cast(builder, args[0], sig.args[0], types.int32)
        builder.call(clock_gettime, [cid, ts])
        seconds = builder.load(cgutils.gep_inbounds(builder, ts, 0, 0))
        nanos = builder.load(cgutils.gep_inbounds(builder, ts, 0, 1))
        return builder.add(builder.mul(seconds, ir.Constant(_I64, 1_000_000_000)), nanos)

    return signature, codegen
