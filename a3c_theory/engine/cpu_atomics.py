"""CPU atomics on int64 array elements for nogil numba kernels (numba itself offers none).

Numba exposes no atomic operations on the CPU, so this module emits them directly as LLVM IR through
``numba.extending.intrinsic``:

- ``atomic_fetch_add(arr, i, v)``: ``old = arr[i]; arr[i] = old + v`` as one indivisible step
  (LLVM ``atomicrmw add ... seq_cst``, a ``lock xadd`` on x86-64), returning ``old``. Concurrent
  callers on the same element each get a distinct old value and no increment is lost, so a counter
  advanced only by this function always equals the sum of the increments applied so far.
- ``atomic_load(arr, i)``: an ``acquire`` load of ``arr[i]``. A plain ``arr[i]`` read in a loop may be
  hoisted or merged by the optimiser; the atomic load is re-read every time and never torn.

Both take a 1-d ``int64`` array and an integer index; there is no bounds check (callers index slots
they allocated). The intrinsics are ordinary IR, so kernels that use them compile with ``cache=True``
and load from the cache in a new process (tested in tests/test_atomics.py).
"""

from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


def _int64_vector(arr) -> bool:
    return isinstance(arr, types.Array) and arr.ndim == 1 and arr.dtype == types.int64


def _element_pointer(context, builder, array_type, array_value, index_type, index_value):
    """Pointer to ``arr[index]`` (no wraparound, no bounds check)."""
    array = context.make_array(array_type)(context, builder, array_value)
    index = context.cast(builder, index_value, index_type, types.intp)
    return cgutils.get_item_pointer(context, builder, array_type, array, [index], wraparound=False)


@intrinsic
def atomic_fetch_add(typingctx, arr, index, value):
    """``old = arr[index]; arr[index] += value`` atomically (sequentially consistent); returns ``old``."""
    if not (_int64_vector(arr) and isinstance(index, types.Integer) and isinstance(value, types.Integer)):
        return None
    signature = types.int64(arr, index, value)

    def codegen(context, builder, sig, args):
        ptr = _element_pointer(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        increment = context.cast(builder, args[2], sig.args[2], types.int64)
        return builder.atomic_rmw("add", ptr, increment, "seq_cst")

    return signature, codegen


@intrinsic
def atomic_load(typingctx, arr, index):
    """``arr[index]`` read as one atomic (acquire) load, never hoisted out of a loop."""
    if not (_int64_vector(arr) and isinstance(index, types.Integer)):
        return None
    signature = types.int64(arr, index)

    def codegen(context, builder, sig, args):
        ptr = _element_pointer(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        return builder.load_atomic(ptr, "acquire", 8)

    return signature, codegen
