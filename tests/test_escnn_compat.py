"""escnn imports without lie_learn; SO(3) then fails with a clear error; a working lie_learn is kept.

Each case runs in a fresh interpreter, since escnn and lie_learn can be imported once per process.
"""

import subprocess
import sys
import textwrap


def run_python(code: str, path: str | None = None) -> subprocess.CompletedProcess:
    prelude = f"import sys; sys.path.insert(0, {path!r})\n" if path else ""
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=600)


def fake_lie_learn(root, init: str = "", wigner: str = "def wigner_D_matrix(*a, **k):\n    return 'real'\n"):
    package = root / "lie_learn"
    (package / "representations" / "SO3").mkdir(parents=True)
    (package / "__init__.py").write_text(init)
    (package / "representations" / "__init__.py").write_text("")
    (package / "representations" / "SO3" / "__init__.py").write_text("")
    (package / "representations" / "SO3" / "wigner_d.py").write_text(wigner)
    return str(root)


def test_escnn_imports_without_lie_learn_and_stays_equivariant():
    out = run_python("""
        import importlib.util, warnings
        assert importlib.util.find_spec("lie_learn") is None, "lie_learn is installed: this test needs it absent"
        import torch
        from eqrep.escnn_compat import import_escnn, stand_in_active
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            escnn = import_escnn()
        assert stand_in_active()
        assert not [w for w in caught if "py3nj" in str(w.message) or "lie_learn" in str(w.message)]
        gs = escnn.gspaces.rot2dOnR2(N=-1, maximum_frequency=3)
        field = escnn.nn.FieldType(gs, [gs.irrep(0), gs.irrep(1)] * 2)
        net = escnn.nn.SequentialModule(
            escnn.nn.R2Conv(escnn.nn.FieldType(gs, [gs.trivial_repr]), field, kernel_size=5, padding=2),
            escnn.nn.R2Conv(field, field, kernel_size=5, padding=2)).eval()
        torch.manual_seed(0)
        x = escnn.nn.GeometricTensor(torch.randn(2, 1, 17, 17), net.in_type)
        for g in (gs.fibergroup.element(k * 3.141592653589793 / 2) for k in (1, 2, 3)):
            lhs, rhs = net(x.transform(g)).tensor, net(x).transform(g).tensor
            err = ((lhs - rhs).norm() / rhs.norm()).item()
            assert err < 1e-5, err
        print("ok")
    """)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-3000:]


def test_so3_wigner_matrices_raise_a_clear_error_with_the_stand_in():
    out = run_python("""
        from eqrep.escnn_compat import SO3Unavailable, import_escnn
        escnn = import_escnn()
        G = escnn.group.so3_group(maximum_frequency=1)
        try:
            G.irrep(1)(G.sample())
        except SO3Unavailable as err:
            print("raised:", err)
    """)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "raised:" in out.stdout and "lie_learn" in out.stdout and "SO(3)" in out.stdout


def test_a_working_lie_learn_is_used_untouched(tmp_path):
    out = run_python("""
        from eqrep.escnn_compat import ensure_lie_learn, stand_in_active
        assert ensure_lie_learn() is False
        assert not stand_in_active()
        from lie_learn.representations.SO3.wigner_d import wigner_D_matrix
        print(wigner_D_matrix())
    """, fake_lie_learn(tmp_path))
    assert out.returncode == 0 and out.stdout.strip() == "real", out.stderr[-3000:]


def test_a_lie_learn_built_for_numpy_1_is_replaced_cleanly(tmp_path):
    broken = "raise ImportError('numpy.core.multiarray failed to import')\n"
    out = run_python("""
        import sys
        from eqrep.escnn_compat import SO3Unavailable, ensure_lie_learn, stand_in_active
        assert ensure_lie_learn() is True and stand_in_active()
        assert ensure_lie_learn() is True  # idempotent
        from lie_learn.representations.SO3.wigner_d import wigner_D_matrix
        try:
            wigner_D_matrix(1, 0.0, 0.0, 0.0)
        except SO3Unavailable:
            print("stand-in")
    """, fake_lie_learn(tmp_path, wigner=broken))
    assert out.returncode == 0 and out.stdout.strip() == "stand-in", out.stderr[-3000:]
