"""The snapshot claim of a Hogwild worker (threads mode), shared by the compiled worker loops of every
problem kind (``threads`` and ``continuous_kernels``).

After a worker claims the counts ``[k, k + m)``, every scheduled count ``s < k + m`` it has not passed yet
gets, in that worker's column of ``snap_samples``, the number of its own updates below ``s``
(``done + max(s − k, 0)``); a count ``s ≥ k`` is this worker's to take: it stamps the wall clock
(``snap_time_ns[j, 0]``), copies the shared ``θ, ω`` (a Hogwild read: updates claimed below ``s`` by other
workers may still be in flight, later ones partly applied; with ``m > 1`` the copy lacks this batch's
``s − k ≤ m − 1`` updates below ``s``), and stamps the clock again (``snap_time_ns[j, 1]``), so that
``snap_time_ns[j, 1] − snap_time_ns[j, 0]`` is what that copy cost the worker, measured around it.
"""

from numba import njit

from .clock import monotonic_ns


@njit(cache=True, nogil=True, _nrt=False)
def claim_snapshots(snap_k, nxt, k, m, done, worker, theta, w, snap_theta, snap_w, snap_time_ns, snap_samples,
                    clock_id):
    """The snapshot claim of the module docstring for the claim ``[k, k + m)``; ``snap_k`` holds the interior
    scheduled counts, increasing, ended by a huge sentinel; returns the next index not passed."""
    while snap_k[nxt] < k + m:
        s = snap_k[nxt]
        snap_samples[nxt, worker] = done + max(s - k, 0)
        if s >= k:  # this worker claimed count s: copy the state before writing its batch
            snap_time_ns[nxt, 0] = monotonic_ns(clock_id)
            for q in range(theta.shape[0]):
                snap_theta[nxt, q] = theta[q]
            for q in range(w.shape[0]):
                snap_w[nxt, q] = w[q]
            snap_time_ns[nxt, 1] = monotonic_ns(clock_id)
        nxt += 1
    return nxt
