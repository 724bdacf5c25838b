"""A problem bundles what a run needs: the MDP, critic features, the actor's parametrisation and the
KL prior ``(π_p, η_p)`` of ``R(θ) = −E_{s~η_p} KL(π_p(·|s) ‖ π_θ(·|s))`` (the regulariser of Algorithm 1's λψ(x^p) term)."""

import hashlib
from dataclasses import dataclass

import numpy as np

from . import features as feats
from . import policy as pol
from .errors import ValidationError
from .mdp import FiniteMDP, garnet, paper_mdp
from .validate import PROBABILITY_TOL, finite_array, probability_vector


@dataclass(frozen=True, eq=False)
class Problem:
    """MDP + critic features ``Φ`` (nS, d) + actor policy class + prior policy table and prior states."""

    mdp: FiniteMDP
    critic_features: np.ndarray
    policy: pol.SoftmaxPolicy
    prior_policy: np.ndarray
    prior_states: np.ndarray
    settings: object = None  # the config.ProblemSettings it was built from (None: built by hand)

    @classmethod
    def make(cls, mdp: FiniteMDP, critic_features, policy: pol.SoftmaxPolicy | None = None,
             prior_policy=None, prior_states=None, settings=None) -> "Problem":
        """Validate and bundle. Defaults: tabular softmax actor, uniform prior policy, ``η_p = η``;
        ``settings``: the ``config.ProblemSettings`` it is built from, if any (runs check it)."""
        Phi = feats.check_critic_features(critic_features, mdp.n_states)
        policy = pol.tabular(mdp.n_states, mdp.n_actions) if policy is None else policy
        if (policy.n_states, policy.n_actions) != (mdp.n_states, mdp.n_actions):
            raise ValidationError("policy", f"is for {policy.n_states} states x {policy.n_actions} actions, "
                                  f"the MDP has {mdp.n_states} x {mdp.n_actions}")
        if prior_policy is None:
            prior_policy = pol.uniform_policy(mdp.n_states, mdp.n_actions)
        prior_policy = finite_array("prior_policy", prior_policy, ndim=2)
        if prior_policy.shape != (mdp.n_states, mdp.n_actions):
            raise ValidationError("prior_policy", f"must have shape {(mdp.n_states, mdp.n_actions)}")
        if np.any(prior_policy < 0) or np.any(np.abs(prior_policy.sum(1) - 1) > PROBABILITY_TOL):
            raise ValidationError("prior_policy", "rows must be probability vectors (>= 0, summing to 1)")
        prior_states = mdp.eta if prior_states is None else prior_states
        prior_states = probability_vector("prior_states", prior_states, mdp.n_states)
        return cls(mdp, Phi, policy, prior_policy, prior_states, settings)

    @property
    def critic_dim(self) -> int:
        return self.critic_features.shape[1]

    def fingerprint(self) -> dict:
        """SHA-256 digests (16 hex digits) of the arrays that define the problem, one per part: ``mdp``
        (sizes, γ, η, P's rows and rewards), ``critic_features``, ``policy`` (tabular, or its actor
        features) and ``prior`` (π_p, η_p). Equal digests mean the same problem to the last bit."""
        mdp = self.mdp
        parts = {
            "mdp": [np.array([mdp.n_states, mdp.n_actions]), np.array([mdp.gamma]), mdp.eta, mdp.indptr,
                    mdp.next_state.astype(np.int64), mdp.prob, mdp.reward],
            "critic_features": [self.critic_features],
            "policy": [np.zeros(0) if self.policy.is_tabular else self.policy.actor_features],
            "prior": [self.prior_policy, self.prior_states],
        }
        return {name: _digest(arrays) for name, arrays in parts.items()}


def paper_problem(seed, n_states: int = 100, n_actions: int = 5, feature_dim: int = 10,
                  gamma: float = 0.9) -> Problem:
    """The paper's synthetic instance (Shen, Zhang, Hong, Chen, arXiv 2012.15511): U(0,1) P, r and features, tabular softmax actor.
    ``seed`` (int or SeedSequence) is split into independent MDP and feature streams."""
    mdp_seed, feature_seed = _split_seed(seed)
    mdp = paper_mdp(mdp_seed, n_states, n_actions, gamma)
    return Problem.make(mdp, feats.random_features(feature_seed, n_states, feature_dim))


def garnet_problem(seed, n_states: int, n_actions: int, branching: int, feature_dim: int = 10,
                   gamma: float = 0.9, locality: int | None = None) -> Problem:
    """A garnet MDP with random critic features and a tabular softmax actor."""
    mdp_seed, feature_seed = _split_seed(seed)
    mdp = garnet(mdp_seed, n_states, n_actions, branching, gamma, locality=locality)
    return Problem.make(mdp, feats.random_features(feature_seed, n_states, feature_dim))


def _split_seed(seed) -> list[np.random.SeedSequence]:
    """Independent MDP and feature streams from an int or a SeedSequence."""
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return seq.spawn(2)


def _digest(arrays) -> str:
    h = hashlib.sha256()
    for arr in arrays:
        arr = np.ascontiguousarray(arr)
        h.update(f"{arr.dtype.str}{arr.shape}".encode())
        h.update(arr.tobytes())
    return h.hexdigest()[:16]
