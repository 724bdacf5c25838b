"""Diagnostics of an lqr instance: each number against its direct computation, the report, the CLI."""

import dataclasses
import json

import numpy as np
import pytest

from a3c_theory import cli
from a3c_theory.errors import ValidationError
from a3c_theory.lqr import critic, exact
from a3c_theory.lqr.diagnose import diagnose_lqr, format_lqr_report
from a3c_theory.lqr.families import random_lqr
from a3c_theory.lqr.problem import spectral_radius


def test_numbers_match_direct_computations():
    p = random_lqr(1, 3, 2, noise_scale=0.3)
    d = diagnose_lqr(p, radius=10.0)
    K_star, J_star = exact.optimal_gain(p)
    w_star = critic.td_fixed_point(p, p.K0)
    assert d.J0 == exact.objective(p, p.K0) and d.J_star == J_star
    assert d.rho_K0 == spectral_radius(p.A) and d.rho_K_star == spectral_radius(p.closed_loop(K_star))
    assert d.cond_Sigma_K0 == np.linalg.cond(exact.stationary_covariance(p, p.K0))
    assert d.w_star_norm == np.linalg.norm(w_star)
    assert d.radius_binds == (d.w_star_norm >= 0.5 * 10.0)
    assert d.eps_app < 1e-20 and d.max_eig_sym_A < 0
    assert json.loads(json.dumps(d.to_dict()))["feature_dim"] == 7


def test_radius_must_be_positive():
    with pytest.raises(ValidationError, match="algorithm.radius"):
        diagnose_lqr(random_lqr(1, 2, 1), radius=0.0)


def test_report_says_when_mu_at_K_star_does_not_exist():
    d = diagnose_lqr(random_lqr(1, 2, 1), radius=1e6)
    assert "projection may bind: no" in format_lqr_report(d) and "(< 1: mu_K* exists)" in format_lqr_report(d)
    unstable = dataclasses.replace(d, rho_K_star=1.05)
    assert "no stationary law mu_K*" in format_lqr_report(unstable)


def test_cli_diagnose_lqr(tmp_path, capsys):
    path = tmp_path / "lqr.toml"
    path.write_text('[problem]\nkind = "lqr"\nstate_dim = 2\naction_dim = 1\n\n[algorithm]\nradius = 1.0\n')
    out = tmp_path / "diag.json"
    assert cli.main(["diagnose", str(path), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "rho(A - B K0)" in text and "cond(Sigma_K0)" in text and "||w*_K0||" in text
    assert json.loads(out.read_text())["radius"] == 1.0
