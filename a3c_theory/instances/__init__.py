"""Problem families and importers beyond the paper instance, and the instance diagnostics.

- :mod:`.trap_chain`: a chain whose immediate-reward action is a trap (myopia < 0).
- :mod:`.garnets`: sparse-reward (delayed) garnets, and a slowly mixing ring with a drift.
- :mod:`.toy_text`: gymnasium's FrozenLake, Taxi and CliffWalking, imported from ``env.P``.
- :mod:`.file_mdp`: an MDP from a ``.npz`` file.
- :mod:`.diagnose`: myopia, mixing, TV(μ_θ, d_θ), ε_app, … of an instance at θ_0.
"""
