import numpy as np
import pytest

from eqrep.groups import cyclic, dihedral, direct_product, symmetric
from eqrep.representations import (
    NotARepresentationError,
    Representation,
    character_table,
    direct_sum,
    multiplicities,
    natural,
    permutation_representation,
    real_cyclic_multiplicities,
    real_irreps_cyclic,
    real_irreps_dihedral,
    regular,
    sign,
    standard,
    tensor_product,
    trivial,
)


def _listed_representations(group):
    reps = [trivial(group), regular(group)]
    kind = group.name.split("_")[0]
    if "x" not in group.name:
        if kind in ("S", "D") or (kind == "C" and group.order % 2 == 0):
            reps.append(sign(group))
        if kind in ("S", "C", "D") and group.order > 2:
            reps.append(standard(group))
    return reps


def test_every_listed_representation_is_a_homomorphism(group, rng):
    for rep in _listed_representations(group):
        m = rep.matrices
        for _ in range(20):
            g, h = rng.integers(group.order, size=2)
            np.testing.assert_allclose(m[g] @ m[h], m[group.mul(g, h)], atol=1e-10)
        np.testing.assert_allclose(m[group.identity], np.eye(rep.dim), atol=1e-12)
        assert rep.is_orthogonal()


def test_regular_is_permutation_of_left_multiplication(group):
    reg = regular(group)
    for g in range(group.order):
        for h in range(group.order):
            assert reg(g)[group.mul(g, h), h] == 1.0
    assert set(np.unique(reg.matrices)) <= {0.0, 1.0}


@pytest.mark.parametrize("group, degrees", [
    (cyclic(4), [1, 1, 1, 1]),
    (dihedral(3), [1, 1, 2]),
    (symmetric(3), [1, 1, 2]),
    (dihedral(4), [1, 1, 1, 1, 2]),
    (symmetric(4), [1, 1, 2, 3, 3]),
])
def test_regular_contains_each_irreducible_dimension_times(group, degrees):
    table = character_table(group)
    assert sorted(table.degrees.tolist()) == degrees
    mult = multiplicities(regular(group), table)
    np.testing.assert_allclose(mult, table.degrees, atol=1e-9)
    assert (table.degrees ** 2).sum() == group.order


def test_character_orthogonality(group):
    table = character_table(group)
    chis = table.on_elements()
    gram = chis.conj() @ chis.T / group.order
    np.testing.assert_allclose(gram, np.eye(len(chis)), atol=1e-9)


def test_character_table_of_s3_by_hand():
    table = character_table(symmetric(3))
    sizes = [len(c) for c in table.classes]
    order = np.argsort(sizes)  # classes of size 1 (e), 2 (3-cycles), 3 (transpositions)
    values = np.real(table.values[:, order])
    expected = np.array([[1, 1, 1], [1, 1, -1], [2, -1, 0]])
    assert sorted(map(tuple, np.rint(values).astype(int))) == sorted(map(tuple, expected))


def test_standard_and_sign_are_irreducible():
    for g in (symmetric(3), symmetric(4), dihedral(5)):
        for rep in (standard(g), sign(g)):
            mult = multiplicities(rep)
            assert np.isclose(np.sort(mult)[-1], 1.0) and np.isclose(mult.sum(), 1.0)


def test_permutation_representation_of_s3_decomposes_as_trivial_plus_standard():
    s3 = symmetric(3)
    perm = permutation_representation(s3, [s3.elements[g] for g in s3.generators])
    got = multiplicities(perm)
    want = multiplicities(trivial(s3)) + multiplicities(standard(s3))
    np.testing.assert_allclose(got, want, atol=1e-9)


def test_hidden_change_of_basis_is_recovered(rng):
    d3 = dihedral(3)
    hidden = direct_sum(regular(d3), standard(d3), sign(d3))
    q, _ = np.linalg.qr(rng.standard_normal((hidden.dim, hidden.dim)))
    rep = Representation(d3, [q.T @ m @ q for m in hidden.generator_matrices])
    table = character_table(d3)
    np.testing.assert_allclose(multiplicities(rep, table),
                               multiplicities(regular(d3), table) + multiplicities(standard(d3), table)
                               + multiplicities(sign(d3), table), atol=1e-9)


@pytest.mark.parametrize("n", [4, 5, 6])
def test_real_irreps_of_cyclic_groups(n):
    g = cyclic(n)
    irreps = real_irreps_cyclic(g)
    assert sum(r.dim for r in irreps) == n  # each complex character once, rot_k carries a conjugate pair
    for r in irreps:
        mult = multiplicities(r)
        assert np.allclose(mult, np.rint(mult)) and mult.sum() == pytest.approx(r.dim)
        assert r.defect() < 1e-10


@pytest.mark.parametrize("n", [3, 4, 5, 6])
def test_real_irreps_of_dihedral_groups_are_absolutely_irreducible(n):
    g = dihedral(n)
    irreps = real_irreps_dihedral(g)
    assert sum(r.dim ** 2 for r in irreps) == 2 * n
    seen = np.zeros(len(character_table(g).values))
    for r in irreps:
        mult = multiplicities(r)
        np.testing.assert_allclose(np.sort(mult)[::-1][:2], [1.0, 0.0], atol=1e-9)
        seen += mult
    np.testing.assert_allclose(seen, 1.0, atol=1e-9)  # every irreducible exactly once


def test_real_cyclic_multiplicities_of_regular():
    assert real_cyclic_multiplicities(regular(cyclic(4))) == {"trivial": 1, "sign": 1, "rot1": 1}
    assert real_cyclic_multiplicities(regular(cyclic(6))) == {"trivial": 1, "sign": 1, "rot1": 1, "rot2": 1}
    reg3 = direct_sum(*[regular(cyclic(4))] * 3)
    assert real_cyclic_multiplicities(reg3) == {"trivial": 3, "sign": 3, "rot1": 3}
    with pytest.raises(ValueError, match="cyclic"):
        real_cyclic_multiplicities(regular(dihedral(3)))


def test_tensor_product_characters_multiply():
    s3 = symmetric(3)
    st = standard(s3)
    prod = tensor_product(st, st)
    np.testing.assert_allclose(prod.character, st.character ** 2, atol=1e-10)


def test_non_square_matrix_is_rejected():
    with pytest.raises(ValueError, match="square"):
        Representation(cyclic(3), [np.ones((2, 3))])


def test_wrong_number_of_generators_is_rejected():
    with pytest.raises(ValueError, match="2 generators"):
        Representation(dihedral(3), [np.eye(2)])


def test_matrices_that_are_no_representation_are_rejected():
    with pytest.raises(NotARepresentationError, match="no representation of C_3"):
        Representation(cyclic(3), [np.diag([1.0, 2.0])])
    with pytest.raises(NotARepresentationError):  # s^2 = e but (sr)^2 != e
        Representation(dihedral(3), [standard(dihedral(3)).generator_matrices[0], np.eye(2)])


def test_defect_measures_distance_from_a_representation():
    rot = standard(cyclic(4)).generator_matrices[0]
    exact = Representation(cyclic(4), [rot])
    approx = Representation(cyclic(4), [rot * 1.01], check=False)
    assert exact.defect() < 1e-12
    assert 0.01 < approx.defect() < 0.2
    assert approx.relation_residuals()[0] > 0.01
    mult = multiplicities(approx)
    assert np.abs(mult - np.rint(mult)).max() > 1e-4


def test_product_group_regular():
    g = direct_product(cyclic(2), cyclic(3))
    mult = multiplicities(regular(g))
    np.testing.assert_allclose(mult, np.ones(6), atol=1e-9)


def test_representation_copies_its_generator_matrices():
    m = standard(cyclic(4)).generator_matrices[0].copy()
    rep = Representation(cyclic(4), [m])
    m[:] = 0.0
    assert rep.defect() < 1e-12 and np.abs(rep.generator_matrices[0]).sum() > 0


def test_character_table_frame_has_class_sizes_and_values():
    frame = character_table(symmetric(3)).to_frame()
    assert frame.shape == (4, 3)
    assert sorted(frame.loc["class size"].astype(int)) == [1, 2, 3]
    assert sorted(frame.iloc[1:, 0].tolist()) == ["1", "1", "2"]


def test_unsupported_groups_get_clear_errors():
    with pytest.raises(ValueError, match="only C_n, D_n, S_n"):
        standard(direct_product(cyclic(2), cyclic(2)))
    with pytest.raises(ValueError, match="reducible"):
        standard(cyclic(2))
    with pytest.raises(ValueError, match="no sign representation"):
        sign(cyclic(5))


@pytest.mark.parametrize("group", [cyclic(4), symmetric(4), dihedral(4), dihedral(6)], ids=lambda g: g.name)
def test_character_table_order_is_deterministic(group):
    # rows tie on degree and on their sums; the order must not depend on the eigen-solver's start
    tables = [character_table(group, seed=s).values for s in range(5)]
    for t in tables[1:]:
        np.testing.assert_allclose(t, tables[0], atol=1e-9)
    np.testing.assert_allclose(tables[0][0], 1.0)  # trivial first


def test_natural_representation_of_s_n():
    s4 = symmetric(4)
    nat = natural(s4)
    assert nat.dim == 4 and nat.defect() < 1e-12
    for g in range(s4.order):  # rho(g) e_i = e_{g(i)}
        np.testing.assert_array_equal(nat(g)[list(s4.elements[g]), range(4)], np.ones(4))
    np.testing.assert_allclose(multiplicities(nat), multiplicities(trivial(s4)) + multiplicities(standard(s4)),
                               atol=1e-9)
    with pytest.raises(ValueError, match="defined for S_n"):
        natural(dihedral(4))
