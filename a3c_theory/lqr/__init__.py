"""Linear-quadratic problems with Gaussian policies (issue 17, Part 1; DESIGN.md §7).

- :mod:`.problem`: the :class:`LQRProblem` record and its validation;
- :mod:`.families`: seeded random instances; :mod:`.file_lqr`: instances from an ``.npz`` file;
- :mod:`.exact`: the closed-form quantities (P_K, b_K, J, ∇J, K*, μ_K, d_K, the prior R(K));
- :mod:`.critic`: quadratic critic features, the TD(0) matrices A_K, b_K and the fixed point w*_K;
- :mod:`.evaluator`: per-snapshot metrics with the keys of the finite-MDP metric table.
"""
