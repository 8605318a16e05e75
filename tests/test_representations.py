import numpy as np
import pytest

from eqrep.groups import cyclic, dihedral, direct_product, symmetric
from eqrep.representations import (
    NotARepresentationError,
    Representation,
    character_table,
    direct_sum,
    format_character_value,
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


# ----------------------------------------------------------------------------- documented contracts

def _rot(theta):
    return np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])


def test_real_cyclic_multiplicities_decides_by_structure_not_by_name():
    product = direct_product(cyclic(2), cyclic(3))  # its name starts with "C_", it has two generators
    with pytest.raises(ValueError, match=r"one generator; C_2xC_3 has 2 generators \('r1', 'r2'\)"):
        real_cyclic_multiplicities(regular(product))
    renamed = cyclic(3)
    object.__setattr__(renamed, "name", "Z3")  # a cyclic group under another name is still cyclic
    assert real_cyclic_multiplicities(regular(renamed)) == {"trivial": 1, "rot1": 1}


def test_real_cyclic_multiplicities_counts_each_real_irreducible():
    c6 = cyclic(6)
    rep = direct_sum(trivial(c6, 2), sign(c6), *real_irreps_cyclic(c6)[2:3] * 3)  # 2 trivial, sign, 3 x rot1
    assert real_cyclic_multiplicities(rep) == {"trivial": 2, "sign": 1, "rot1": 3, "rot2": 0}
    c5 = cyclic(5)
    assert real_cyclic_multiplicities(direct_sum(*real_irreps_cyclic(c5)[2:])) == {"trivial": 0, "rot1": 0, "rot2": 1}


def test_real_cyclic_multiplicities_refuses_a_complex_representation():
    c4 = cyclic(4)
    want = (r"^the eigenvalues of rho\(r\) snap to the roots \[0, 1, 0, 0\] \(k = 0..3\), which are not closed "
            r"under conjugation: rho\(r\) is complex, or has an eigenvalue halfway between two roots \(a negative "
            r"one for odd n\); use multiplicities\(\)$")
    with pytest.raises(ValueError, match=want):
        real_cyclic_multiplicities(Representation(c4, [np.array([[1j]])]))
    with pytest.raises(ValueError, match=r"roots \[0, 0, 1\] \(k = 0..2\), which are not closed"):
        real_cyclic_multiplicities(Representation(cyclic(3), [-np.eye(1)], check=False))  # -1: as near k = 1 as k = 2
    noisy = np.random.default_rng(0).standard_normal((5, 4, 4))  # real matrices near no representation: pairs
    for m in noisy:
        assert sum(real_cyclic_multiplicities(Representation(c4, [m], check=False)).values()) <= 4


def test_complex_representations_keep_their_phase():
    c4 = cyclic(4)
    rep = Representation(c4, [np.array([[1j]])])  # r -> i: a complex irreducible
    assert rep.matrices.dtype == complex
    np.testing.assert_allclose(rep.matrices[:, 0, 0], [1, 1j, -1, -1j])
    np.testing.assert_allclose(rep.character, [1, 1j, -1, -1j])
    table = character_table(c4)
    np.testing.assert_allclose(multiplicities(rep, table), [0, 1, 0, 0], atol=1e-12)  # the row with chi(r) = i
    conj = Representation(c4, [np.array([[-1j]])])
    np.testing.assert_allclose(multiplicities(conj, table), [0, 0, 1, 0], atol=1e-12)
    assert Representation(c4, [np.array([[1j * 1.1]])], check=False).defect() == pytest.approx(
        max(abs(1.1 ** (a + b) - 1.1 ** ((a + b) % 4)) for a in range(4) for b in range(4)))
    both = direct_sum(rep, conj)
    assert both.generator_matrices[0].dtype == complex
    np.testing.assert_allclose(both.generator_matrices[0], np.diag([1j, -1j]))


def test_defect_and_relation_residuals_are_frobenius_norms():
    c4 = cyclic(4)
    a = 1.1 * _rot(np.pi / 2)
    rep = Representation(c4, [a], check=False)
    powers = [np.linalg.matrix_power(a, k) for k in range(4)]
    want = max(np.linalg.norm(powers[g] @ powers[h] - powers[(g + h) % 4]) for g in range(4) for h in range(4))
    assert rep.defect() == pytest.approx(want, rel=1e-12)
    np.testing.assert_allclose(rep.relation_residuals(), [np.linalg.norm(np.linalg.matrix_power(a, 4) - np.eye(2))])
    d3 = dihedral(3)
    r, s = 1.05 * _rot(2 * np.pi / 3), np.diag([1.0, -1.0])
    want = [np.linalg.norm(np.linalg.matrix_power(r, 3) - np.eye(2)), 0.0, np.linalg.norm(s @ r @ s @ r - np.eye(2))]
    np.testing.assert_allclose(Representation(d3, [r, s], check=False).relation_residuals(), want, atol=1e-12)


def test_the_check_uses_its_tolerance_and_names_the_representation():
    c4 = cyclic(4)
    a = (1 + 1e-6) * _rot(np.pi / 2)
    assert Representation(c4, [a], atol=1e-3).defect() > 1e-7  # within atol: accepted
    with pytest.raises(NotARepresentationError, match=r"^wobbly: the matrices are no representation of C_4"):
        Representation(c4, [a], name="wobbly")
    with pytest.raises(ValueError, match=r"different sizes \[1, 2\]"):
        Representation(dihedral(3), [np.eye(2), np.eye(1)])


def test_orthogonality_is_checked_not_assumed(rng):
    d3 = dihedral(3)
    p = np.eye(2) + 1e-4 * rng.standard_normal((2, 2))
    skew = Representation(d3, [p @ m @ np.linalg.inv(p) for m in standard(d3).generator_matrices])
    assert skew.defect() < 1e-9 and not skew.is_orthogonal()
    assert skew.is_orthogonal(atol=1e-2) and standard(d3).is_orthogonal()


def test_named_representations_have_their_documented_matrices():
    c6, d4, s3 = cyclic(6), dihedral(4), symmetric(3)
    np.testing.assert_allclose(standard(c6)(1), _rot(2 * np.pi / 6), atol=1e-15)  # r -> rotation by 2 pi / n
    np.testing.assert_allclose(standard(d4).generator_matrices[1], np.diag([1.0, -1.0]))
    np.testing.assert_allclose(sign(c6).matrices[:, 0, 0], [(-1) ** k for k in range(6)])
    np.testing.assert_allclose([m[0, 0] for m in sign(d4).generator_matrices], [1.0, -1.0])
    np.testing.assert_allclose(sign(s3).matrices[:, 0, 0], [np.linalg.det(natural(s3)(g)) for g in range(6)])
    assert trivial(d4, 3).dim == 3 and trivial(d4).name == "trivial" and regular(d4).name == "regular"
    assert [sign(s3).name, standard(s3).name, natural(s3).name] == ["sign", "standard", "natural"]
    assert permutation_representation(s3, [(1, 0, 2), (1, 2, 0)], name="points").name == "points"
    assert permutation_representation(s3, [(1, 0, 2), (1, 2, 0)]).name == "perm"
    assert repr(standard(cyclic(4))) == "Representation(standard of C_4, dim=2)"


def test_standard_of_s_n_is_the_sum_zero_hyperplane():
    s4 = symmetric(4)
    st = standard(s4)
    assert st.dim == 3 and st.is_orthogonal()
    np.testing.assert_allclose(st.character, natural(s4).character - 1, atol=1e-12)
    for n_group in (cyclic(3), dihedral(3)):  # n = 3 is the first irreducible plane
        assert standard(n_group).dim == 2 and multiplicities(standard(n_group)).max() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="reducible"):
        standard(dihedral(2))


def test_real_irreducibles_are_listed_in_the_documented_order():
    c6 = cyclic(6)
    irreps = real_irreps_cyclic(c6)
    assert [r.name for r in irreps] == ["trivial", "sign", "rot1", "rot2"]
    np.testing.assert_allclose(irreps[1].generator_matrices[0], [[-1.0]])
    np.testing.assert_allclose(irreps[3].generator_matrices[0], _rot(2 * np.pi * 2 / 6), atol=1e-15)
    assert [r.name for r in real_irreps_cyclic(cyclic(5))] == ["trivial", "rot1", "rot2"]
    d6 = dihedral(6)
    irreps = real_irreps_dihedral(d6)
    assert [r.name for r in irreps] == ["trivial", "det", "r-sign", "r-sign*det", "rot1", "rot2"]
    gens = [[m[0, 0] for m in r.generator_matrices] for r in irreps[:4]]
    assert gens == [[1, 1], [1, -1], [-1, 1], [-1, -1]]
    np.testing.assert_allclose(irreps[5].generator_matrices[0], _rot(2 * np.pi * 2 / 6), atol=1e-15)
    np.testing.assert_allclose(irreps[5].generator_matrices[1], np.diag([1.0, -1.0]))
    assert [r.name for r in real_irreps_dihedral(dihedral(5))] == ["trivial", "det", "rot1", "rot2"]


def test_direct_sum_is_block_diagonal_and_tensor_product_is_kronecker():
    d3 = dihedral(3)
    st, sg = standard(d3), sign(d3)
    total = direct_sum(sg, st)
    assert total.name == "sign (+) standard" and total.dim == 3
    for k in range(2):
        want = np.zeros((3, 3))
        want[0, 0], want[1:, 1:] = sg.generator_matrices[k][0, 0], st.generator_matrices[k]
        np.testing.assert_array_equal(total.generator_matrices[k], want)
    prod = tensor_product(sg, st)
    assert prod.name == "sign (x) standard"
    for k in range(2):
        np.testing.assert_array_equal(prod.generator_matrices[k], np.kron(sg.generator_matrices[k],
                                                                          st.generator_matrices[k]))
    other = tensor_product(st, direct_sum(sg, trivial(d3)))  # not symmetric in its arguments
    np.testing.assert_array_equal(other.generator_matrices[1], np.kron(st.generator_matrices[1], np.diag([-1.0, 1.0])))


def test_character_tables_are_in_the_documented_order():
    c4 = character_table(cyclic(4))  # degree, then real parts class by class, then imaginary parts
    expected = [[1, 1, 1, 1], [1, 1j, -1, -1j], [1, -1j, -1, 1j], [1, -1, 1, -1]]
    np.testing.assert_allclose(c4.values, expected, atol=1e-12)
    d4 = character_table(dihedral(4))
    np.testing.assert_allclose(d4.values, [[1, 1, 1, 1, 1], [1, 1, -1, 1, -1], [1, -1, 1, 1, -1],
                                              [1, -1, -1, 1, 1], [2, 0, 0, -2, 0]], atol=1e-12)
    assert d4.degrees.tolist() == [1, 1, 1, 1, 2] and d4.degrees.dtype.kind == "i"
    s3 = character_table(symmetric(3))
    np.testing.assert_allclose(s3.values, [[1, 1, 1], [1, -1, 1], [2, 0, -1]], atol=1e-12)
    assert s3.classes == symmetric(3).conjugacy_classes


def test_characters_on_elements_and_as_a_frame():
    table = character_table(dihedral(4))
    on = table.on_elements()
    assert on.shape == (5, 8)
    for j, cls in enumerate(table.classes):
        for g in cls:
            np.testing.assert_array_equal(on[:, g], table.values[:, j])
    frame = table.to_frame()
    assert frame.columns.tolist() == ["e", "r", "s", "r^2", "rs"]
    assert frame.index.tolist() == ["class size", "chi_1", "chi_2", "chi_3", "chi_4", "chi_5"]
    assert frame.loc["class size"].tolist() == ["1", "2", "2", "1", "2"]
    assert frame.loc["chi_5"].tolist() == ["2", "0", "0", "-2", "0"]


@pytest.mark.parametrize("z, text", [(2, "2"), (-1.0, "-1"), (-0.0, "0"), (1e-5, "0"), (1j, "i"), (-1j, "-i"),
                                     (2j, "2i"), (-0.5 + 0.8660254j, "-0.5+0.866i"), (0.5 - 0.8660254j, "0.5-0.866i"),
                                     (1 + 1j, "1+i"), (0.25 + 1e-5j, "0.25")])
def test_format_character_value(z, text):
    assert format_character_value(z) == text


def test_format_character_value_rounds_to_its_decimals():
    assert format_character_value(0.123456, decimals=2) == "0.12"
    assert format_character_value(0.004 + 0.004j, decimals=2) == "0"
    assert format_character_value(0.3 + 0.004j, decimals=2) == "0.3"


def test_character_table_values_are_exactly_real_where_real():
    for g in (symmetric(3), dihedral(4), cyclic(4), cyclic(6)):
        v = character_table(g).values
        near_real = np.abs(v.imag) < 1e-9  # e.g. chi(r^2) = -1 in C_4 carries 1e-16 i before the clean-up
        assert (v.imag[near_real] == 0).all() and ((np.abs(v.real) > 1e-12) | (v.real == 0)).all()


@pytest.mark.parametrize("group", [cyclic(8), cyclic(12), dihedral(6), direct_product(cyclic(4), cyclic(4))],
                         ids=lambda g: g.name)
def test_character_table_rows_follow_the_documented_order(group):
    # by degree, then by the values class by class: larger real parts first, then larger imaginary parts
    v = np.round(character_table(group).values, 6) + 0.0
    keys = [(int(round(row[0].real)), *(-row.real), *(-row.imag)) for row in v]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


def test_sums_and_products_need_representations_of_one_group():
    c4, d4 = cyclic(4), dihedral(4)
    for combine in (direct_sum, tensor_product):
        with pytest.raises(ValueError, match="^representations of different groups: C_4 and D_4$"):
            combine(trivial(c4), trivial(d4))
        with pytest.raises(ValueError, match="^representations of different groups: C_4 and C_4$"):
            combine(trivial(c4), trivial(_renamed(cyclic(2), "C_4")))  # same name, another table
        assert combine(trivial(c4), sign(cyclic(4))).dim == (2 if combine is direct_sum else 1)  # equal groups
    with pytest.raises(ValueError, match="^need at least one representation$"):
        direct_sum()


def _renamed(group, name):
    object.__setattr__(group, "name", name)
    return group


def test_the_check_reports_defect_tolerance_and_relation_residuals():
    a = 1.0001234567  # r^2 - 1 = 0.000246943...: six decimals show 0.000247, seven would show 0.0002469
    want = (r"^rho: the matrices are no representation of C_2; max \|\|rho\(g\)rho\(h\) - rho\(gh\)\|\| = 0\.000247 "
            r"> atol=1e-08 \(relation residuals: \[0\.000247\]\)$")
    with pytest.raises(NotARepresentationError, match=want):
        Representation(cyclic(2), [np.array([[a]])])


def test_standard_of_s_two_is_the_sign_line():
    st = standard(symmetric(2))
    assert st.dim == 1
    np.testing.assert_allclose(np.stack(st.generator_matrices), [[[-1.0]], [[-1.0]]], atol=1e-12)


def test_format_character_value_keeps_the_smallest_shown_part():
    assert format_character_value(0.5 + 0.001j) == "0.5+0.001i" and format_character_value(0.001 + 1j) == "0.001+i"


def test_format_character_value_defaults_to_three_decimals():
    assert format_character_value(0.12345) == "0.123" and format_character_value(0.12345j) == "0.123i"


def test_direct_sum_of_approximate_representations_is_not_checked():
    c4 = cyclic(4)
    approx = Representation(c4, [1.01 * _rot(np.pi / 2)], check=False)
    total = direct_sum(approx, trivial(c4))  # must not raise: the sum is as approximate as its summands
    assert total.defect() == pytest.approx(approx.defect())


def test_real_irreducibles_are_chosen_by_structure_not_by_name():
    import dataclasses

    d4 = dihedral(4)
    renamed = dataclasses.replace(d4, name="X")  # no "D_" to go by
    for irreps in (real_irreps_dihedral(d4), real_irreps_dihedral(renamed)):
        assert [ir.dim for ir in irreps] == [1, 1, 1, 1, 2]
        assert sum(ir.dim ** 2 for ir in irreps) == d4.order  # a complete set
    for irreps in (real_irreps_cyclic(cyclic(5)), real_irreps_cyclic(dataclasses.replace(cyclic(5), name="X"))):
        assert [ir.dim for ir in irreps] == [1, 2, 2]
