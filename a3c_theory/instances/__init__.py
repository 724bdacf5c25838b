"""Problem families and importers beyond the paper instance, and the instance diagnostics.

- :mod:`.trap_chain`: a chain whose immediate-reward action is a trap (myopia < 0).
- :mod:`.garnets`: sparse-reward (delayed) garnets, and a slowly mixing ring with a drift.
- :mod:`.toy_text`: gymnasium's FrozenLake, Taxi and CliffWalking, imported from ``env.P``.
- :mod:`.file_mdp`: an MDP from a ``.npz`` file.
- :mod:`.diagnose`: myopia, mixing, TV(μ_θ, d_θ), ε_app, … of an instance at θ_0.
"""

from pathlib import Path


def instance_label(problem: dict) -> str:
    """The one label of an instance, from its resolved ``[problem]`` config: ``garnet`` (``slow-mixing garnet``
    when ``locality > 0``), ``FrozenLake-v1 8x8`` (gymnasium: the environment, and its map for FrozenLake),
    the file's name for ``file`` (``my_mdp.npz``), else ``problem.kind`` (``paper``, ``trap_chain``, ...)."""
    kind = problem["kind"]
    if kind == "garnet":
        return "slow-mixing garnet" if int(problem.get("locality", 0)) > 0 else "garnet"
    if kind == "gymnasium":
        env = str(problem["env"])
        return f"{env} {problem['map_name']}" if env.startswith("FrozenLake") else env
    if kind in ("file", "lqr") and problem.get("path"):
        return Path(problem["path"]).name
    return str(kind)
