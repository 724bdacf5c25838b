"""Config schema: defaults, TOML loading, overrides, and rejection of bad input naming the field."""

from pathlib import Path

import numpy as np
import pytest

from a3c_theory import config
from a3c_theory.errors import ValidationError
from a3c_theory.problem import paper_problem


def test_to_dict_is_the_dataclasses_as_dicts_with_tuples_as_lists():
    import dataclasses

    cfg = config.from_dict({"problem": {"kind": "garnet"}, "targets": {"avg_grad": [0.1, 0.2]}, "run": {"seed": 3}})
    expected = {section: {name: list(value) if isinstance(value, tuple) else value
                          for name, value in dataclasses.asdict(getattr(cfg, section)).items()}
                for section in config.SECTIONS}
    d = cfg.to_dict()
    assert d == expected and [list(v) for v in d.values()] == [list(v) for v in expected.values()]
    assert d["targets"]["avg_grad"] == [0.1, 0.2]


def test_defaults_cover_every_key_of_the_contract():
    d = config.from_dict({}).to_dict()
    assert set(d) == {"problem", "algorithm", "run", "targets"}
    assert d["targets"] == {"gap": [], "avg_grad": [], "critic_gap": [], "check_ratio": 1.2, "resolution": 0.01,
                            "after_last": "stop"}
    assert set(d["problem"]) == {"kind", "reward", "seed", "n_states", "n_actions", "gamma", "feature_dim", "critic_features",
                                 "branching", "locality", "actor", "actor_dim", "slip", "restart", "small_reward",
                                 "large_reward", "reward_fraction", "distractor", "drift", "env", "map_name", "path",
                                 "max_load_bytes", "state_dim", "action_dim", "spectral_radius", "noise_scale", "sigma",
                                 "fourier_order", "eval_episodes", "return_window"}
    assert set(d["algorithm"]) == {"sampling", "refresh", "n_step", "lam", "radius", "c_alpha", "sigma_alpha",
                                   "c_beta", "sigma_beta", "a2c_step_sizes"}
    assert set(d["run"]) == {"mode", "workers", "delay", "tau", "max_delay", "lognormal_sigma", "straggler_prob",
                             "straggler_slowdown", "samples", "snapshots", "batch", "seed"}
    assert d["algorithm"]["sigma_alpha"] == 0.6 and d["algorithm"]["sigma_beta"] == 0.4
    assert d["problem"]["n_states"] == 100 and d["problem"]["n_actions"] == 5


def test_to_dict_round_trips():
    cfg = config.from_dict({"run": {"workers": 4, "delay": "round_robin"}, "algorithm": {"lam": 0.1}})
    assert config.from_dict(cfg.to_dict()) == cfg


def test_from_toml_with_overrides(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('[problem]\nn_states = 20\n\n[algorithm]\nsampling = "markov"\n\n[run]\nworkers = 2\n')
    cfg = config.from_toml(path, overrides=["run.workers=8", 'run.delay="exponential"', "run.mode=sync",
                                            "algorithm.lam=0.25", "problem.gamma=0.95"])
    assert cfg.problem.n_states == 20
    assert cfg.algorithm.sampling == "markov"
    assert cfg.run.workers == 8 and cfg.run.delay == "exponential" and cfg.run.mode == "sync"
    assert cfg.algorithm.lam == 0.25 and cfg.problem.gamma == 0.95
    assert isinstance(cfg.run.workers, int) and isinstance(cfg.algorithm.lam, float)


def test_integer_given_for_a_float_key_is_accepted():
    assert config.from_dict({"algorithm": {"c_alpha": 2}}).algorithm.c_alpha == 2.0


@pytest.mark.parametrize("d, field", [
    ({"run": {"workers": 0}}, "run.workers"),
    ({"run": {"workers": 5000}}, "run.workers"),
    ({"run": {"workers": 2.5}}, "run.workers"),
    ({"run": {"workers": True}}, "run.workers"),
    ({"run": {"mode": "async"}}, "run.mode"),
    ({"run": {"delay": "gaussian"}}, "run.delay"),
    ({"run": {"samples": 0}}, "run.samples"),
    ({"run": {"snapshots": 1}}, "run.snapshots"),
    ({"run": {"straggler_prob": 1.5}}, "run.straggler_prob"),
    ({"run": {"lognormal_sigma": 0.0}}, "run.lognormal_sigma"),
    ({"problem": {"gamma": 1.0}}, "problem.gamma"),
    ({"problem": {"gamma": float("nan")}}, "problem.gamma"),
    ({"problem": {"kind": "gridworld"}}, "problem.kind"),
    ({"problem": {"n_states": 5, "feature_dim": 6}}, "problem.feature_dim"),
    ({"problem": {"n_states": 5000}}, "problem.n_states"),
    ({"problem": {"kind": "garnet", "n_states": 9000, "critic_features": "one_hot"}}, "problem.critic_features"),
    ({"problem": {"kind": "garnet", "n_states": 10, "branching": 11}}, "problem.branching"),
    ({"problem": {"kind": "garnet", "branching": 10, "locality": 2}}, "problem.locality"),
    ({"algorithm": {"radius": -1.0}}, "algorithm.radius"),
    ({"algorithm": {"c_alpha": 0.0}}, "algorithm.c_alpha"),
    ({"algorithm": {"sigma_beta": 1.5}}, "algorithm.sigma_beta"),
    ({"algorithm": {"a2c_step_sizes": "scaled"}}, "algorithm.a2c_step_sizes"),
    ({"algorithm": {"lam": -0.1}}, "algorithm.lam"),
    ({"algorithm": {"refresh": 0}}, "algorithm.refresh"),
    ({"algorithm": {"n_step": 3}}, "algorithm.n_step"),  # n-step needs markov sampling
    ({"algorithm": {"sampling": "shared", "n_step": 2}}, "algorithm.n_step"),
    ({"run": {"mode": "sync", "delay": "constant"}}, "run.delay"),
    ({"run": {"mode": "sync", "workers": 3, "samples": 100}}, "run.samples"),
    ({"run": {"mode": "threads", "delay": "exponential"}}, "run.delay"),
    ({"run": {"batch": 4}}, "run.batch"),
    ({"run": {"wokers": 2}}, "run.wokers"),
    ({"runs": {}}, "runs"),
])
def test_bad_values_are_rejected_naming_the_field(d, field):
    with pytest.raises(ValidationError) as err:
        config.from_dict(d)
    assert err.value.field == field
    assert str(err.value).startswith(field + ":")


@pytest.mark.parametrize("text, field", [
    ("run.workers", "run.workers"),
    ("workers=4", "workers"),
    ("run.wrkers=4", "run.wrkers"),
    ("sim.workers=4", "sim.workers"),
])
def test_malformed_overrides_are_rejected(text, field):
    with pytest.raises(ValidationError) as err:
        config.apply_overrides({}, [text])
    assert err.value.field == field


def test_override_value_is_validated():
    with pytest.raises(ValidationError, match=r"^run\.workers: must lie in \[1, 4096\], got 0"):
        config.from_dict(config.apply_overrides({}, ["run.workers=0"]))


def test_invalid_toml_file_is_reported(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[run\nworkers = 2\n")
    with pytest.raises(ValidationError, match="not valid TOML"):
        config.from_toml(path)


def test_build_problem_default_is_the_paper_instance():
    problem = config.build_problem(config.from_dict({"problem": {"seed": 3, "n_states": 12, "feature_dim": 4}}))
    reference = paper_problem(3, n_states=12, n_actions=5, feature_dim=4)
    np.testing.assert_array_equal(problem.mdp.prob, reference.mdp.prob)
    np.testing.assert_array_equal(problem.critic_features, reference.critic_features)
    assert problem.policy.is_tabular


def test_build_problem_variants():
    cfg = config.from_dict({"problem": {"kind": "garnet", "n_states": 30, "branching": 4, "locality": 3,
                                        "critic_features": "one_hot", "actor": "linear", "actor_dim": 7}})
    problem = config.build_problem(cfg)
    assert problem.mdp.n_states == 30 and np.all(np.diff(problem.mdp.indptr) == 4)
    np.testing.assert_array_equal(problem.critic_features, np.eye(30))
    assert problem.policy.dim == 7 and not problem.policy.is_tabular
    # ring locality: every successor within ±3 of its state
    states = np.repeat(np.arange(problem.mdp.n_rows) // problem.mdp.n_actions, np.diff(problem.mdp.indptr))
    offset = (problem.mdp.next_state - states) % 30
    assert np.all((offset <= 3) | (offset >= 27))


# ----------------------------------------------------------------------------- key descriptions
def test_every_schema_key_has_a_one_line_description_and_no_other_key_has():
    from a3c_theory.config import DESCRIPTIONS, SCHEMA

    keys = {f"{section}.{key}" for section, entries in SCHEMA.items() for key in entries}
    assert set(DESCRIPTIONS) == keys
    assert all(text.strip() and "\n" not in text and "|" not in text for text in DESCRIPTIONS.values())


def test_readme_key_table_is_the_generated_one():
    from a3c_theory.config import key_table_markdown

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- config-keys:start -->\n", "<!-- config-keys:end -->"
    assert readme.count(start) == 1 and readme.count(end) == 1
    section = readme[readme.index(start) + len(start):readme.index(end)]
    assert section == key_table_markdown(), "regenerate the README's key table from config.key_table_markdown()"


def test_config_list_prints_every_key_with_default_range_and_description(capsys):
    from a3c_theory.cli import main
    from a3c_theory.config import DESCRIPTIONS

    assert main(["config", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["key", "default", "allowed", "description"]
    by_key = {line.split()[0]: line for line in lines[1:]}
    assert set(by_key) == set(DESCRIPTIONS)
    assert "[1, 4096]" in by_key["run.workers"] and DESCRIPTIONS["run.workers"] in by_key["run.workers"]
    assert "'iid'" in by_key["algorithm.sampling"] and "iid, markov, shared" in by_key["algorithm.sampling"]
    assert "(0, 1)" in by_key["problem.gamma"] and "0.9" in by_key["problem.gamma"]


# ----------------------------------------------------------------------------- ignored keys, memory
@pytest.mark.parametrize("settings, key, user", [
    ({"run": {"tau": 3}}, "run.tau", "run.delay = 'constant'"),
    ({"run": {"tau": 3, "delay": "round_robin", "workers": 2}}, "run.tau", "run.delay = 'constant'"),
    ({"run": {"max_delay": 4, "delay": "constant"}}, "run.max_delay", "run.delay = 'uniform'"),
    ({"algorithm": {"refresh": 10, "sampling": "markov"}}, "algorithm.refresh", "algorithm.sampling = 'iid'"),
    ({"algorithm": {"a2c_step_sizes": "per_sample"}}, "algorithm.a2c_step_sizes", "run.mode = 'sync'"),
    ({"algorithm": {"a2c_step_sizes": "per_sample"}, "run": {"mode": "threads", "workers": 2}},
     "algorithm.a2c_step_sizes", "run.mode = 'sync'"),
])
def test_single_run_refuses_a_set_key_that_it_does_not_use(settings, key, user):
    cfg = config.from_dict(settings)
    assert config.ignored_keys(cfg) == [key]
    with pytest.raises(ValidationError) as info:
        config.refuse_ignored_keys(cfg)
    assert info.value.field == key and user in str(info.value)


def test_used_keys_and_defaults_are_not_reported():
    assert config.ignored_keys(config.from_dict({"run": {"tau": 3, "delay": "constant", "workers": 2}})) == []
    assert config.ignored_keys(config.from_dict({"run": {"delay": "round_robin", "workers": 2}})) == []
    assert config.ignored_keys(config.from_dict({"algorithm": {"a2c_step_sizes": "per_sample"},
                                                 "run": {"mode": "sync", "workers": 2}})) == []
    config.refuse_ignored_keys(config.from_dict({}))


def test_problem_too_large_for_memory_is_refused_with_the_estimate():
    with pytest.raises(ValidationError) as info:
        config.from_dict({"problem": {"kind": "garnet", "n_states": 10_000_000, "feature_dim": 10,
                                      "branching": 100_000}})
    assert info.value.field == "problem.n_states" and "needs about" in str(info.value) and "TB" in str(info.value)


# ----------------------------------------------------------------------------- one definition per key
def test_schema_descriptions_and_used_by_are_derived_from_the_settings_fields():
    from dataclasses import fields

    names = [f"{section}.{f.name}" for section, cls in config.SECTIONS.items() for f in fields(cls)]
    assert [k.name for k in config.KEYS] == names == [row[0] for row in config.key_table()]
    workers = config.SCHEMA["run"]["workers"]
    assert (workers.default, workers.kind, workers.allowed_text) == (1, "int", "[1, 4096]")
    assert config.DESCRIPTIONS["run.workers"] == workers.description
    assert config.USED_BY["run.tau"] == {"run.delay": ("constant",)} and "run.workers" not in config.USED_BY
    assert config.from_dict({}).problem == config.ProblemSettings()  # the field defaults are the key defaults


def test_used_by_names_existing_keys_and_their_allowed_values():
    for name, settings in config.USED_BY.items():
        for setting, values in settings.items():
            section, key = setting.split(".")
            allowed = config.SCHEMA[section][key].allowed
            assert isinstance(allowed, tuple) and set(values) <= set(allowed), (name, setting, values)


def test_problem_env_lists_the_environments_it_accepts():
    from a3c_theory.instances.toy_text import ENVIRONMENTS

    row = next(row for row in config.key_table() if row[0] == "problem.env")
    assert row[2] == ", ".join(ENVIRONMENTS)
    with pytest.raises(ValidationError, match="^problem.env: must be one of 'FrozenLake-v1', 'Taxi-v4'"):
        config.from_dict({"problem": {"kind": "gymnasium", "env": "Pong-v5"}})


# ----------------------------------------------------------------------------- overrides
@pytest.mark.parametrize("text, value", [
    ("run.workers=4", 4), ("algorithm.lam= 0.25 ", 0.25), ("run.mode=sync", "sync"), ('run.mode="sync"', "sync"),
    ("problem.path=data/my mdp.npz", "data/my mdp.npz"), ('problem.map_name=""', ""), ("problem.env=Taxi-v4", "Taxi-v4"),
])
def test_override_values_follow_the_one_command_line_rule(text, value):
    assert config.parse_override(text)[2] == value


@pytest.mark.parametrize("text", ["run.mode=", 'run.mode="sync', "problem.path=[a", "run.mode='x", "run.workers=4\nx = 1"])
def test_override_values_that_are_malformed_toml_are_refused(text):
    with pytest.raises(ValidationError, match="cannot read value") as info:
        config.parse_override(text)
    assert info.value.field == text.split("=")[0]


# ----------------------------------------------------------------------------- defaults from the instance
def _three_state_file(path, phi=None):
    P = np.zeros((3, 2, 3))
    for s in range(3):
        P[s, 0, s] = P[s, 1, (s + 1) % 3] = 1.0
    arrays = dict(P=P, reward=np.array([[0.1, 0.0], [0.0, 0.0], [0.0, 1.0]]), gamma=0.9, eta=np.full(3, 1 / 3))
    np.savez(path, **arrays, **({} if phi is None else {"phi": phi}))
    return str(path)


def test_default_feature_dim_on_a_small_instance_is_n_states_with_a_note(tmp_path):
    cfg = config.from_dict({"problem": {"n_states": 5}})
    assert cfg.problem.feature_dim == 5 and len(cfg.notes) == 1 and "min(10, n_states)" in cfg.notes[0]
    assert config.from_dict(cfg.to_dict()) == cfg  # the resolved value travels in the dict; its note does not
    assert config.from_dict(cfg.to_dict()).notes == ()
    path = _three_state_file(tmp_path / "m.npz")
    cfg = config.from_dict({"problem": {"kind": "file", "path": path}})
    assert cfg.problem.feature_dim == 3 and f"the 3 states of {path}" in cfg.notes[0]
    assert config.build_problem(cfg).critic_dim == 3
    assert config.from_dict({"problem": {"n_states": 50}}).notes == ()
    assert config.from_dict({"problem": {"n_states": 5, "critic_features": "one_hot"}}).notes == ()


def test_a_given_feature_dim_above_the_number_of_states_stays_an_error(tmp_path):
    path = _three_state_file(tmp_path / "m.npz")
    with pytest.raises(ValidationError, match=r"^problem\.feature_dim: must be <= n_states \(3, the states of .*m\.npz"):
        config.from_dict({"problem": {"kind": "file", "path": path, "feature_dim": 10}})
    with_phi = _three_state_file(tmp_path / "phi.npz", phi=0.5 * np.eye(3))
    assert config.from_dict({"problem": {"kind": "file", "path": with_phi}}).notes == ()  # the file's phi decides


def test_threads_runs_take_targets_that_go_on_to_the_horizon():
    cfg = config.from_dict({"run": {"mode": "threads"}, "targets": {"gap": [0.5], "after_last": "continue"}})
    assert cfg.targets.gap == (0.5,) and cfg.run.mode == "threads"
    with pytest.raises(ValidationError, match=r"^targets.after_last: threads mode evaluates its targets after the "
                                              r"run .*must be 'continue', got 'stop'$") as err:
        config.from_dict({"run": {"mode": "threads"}, "targets": {"gap": [0.5]}})
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("problem, algorithm, message", [
    ({"kind": "lqr"}, {"radius": 10.0}, r"^targets: online hitting times are evaluated on finite MDPs only"),
    ({"kind": "cartpole"}, {"radius": 10.0, "sampling": "markov"}, r"^targets: online hitting times need an exact J"),
])
def test_threads_targets_are_still_refused_without_an_exact_evaluator(problem, algorithm, message):
    with pytest.raises(ValidationError, match=message) as err:
        config.from_dict({"problem": problem, "algorithm": algorithm, "run": {"mode": "threads"},
                          "targets": {"gap": [0.5], "after_last": "continue"}})
    assert "\n" not in str(err.value)
