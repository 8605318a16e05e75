"""Reading a representation: eigenvalues, roots of unity, irreducible counts, regular ratios, isotypic parts."""

import re

import numpy as np
import pytest
import torch

from eqrep.decompositions import (
    generator_eigenvalues,
    irreducible_counts,
    irrep_labels,
    isotypic_projectors,
    isotypic_shares,
    near_regular,
    read_off,
    regular_ratios,
    root_of_unity_counts,
)
from eqrep.groups import cyclic, dihedral, direct_product
from eqrep.models.latent_representation import (
    LearnedRepresentation,
)
from eqrep.representations import CharacterTable, Representation, character_table, direct_sum, regular, trivial

from latent_representation_helpers import conjugated_regular, set_generators


def test_read_off_recovers_three_regular_copies_of_c4():
    group = cyclic(4)
    rep = Representation(group, conjugated_regular(group, 3, seed=5))
    eig = generator_eigenvalues(rep)
    assert eig.shape == (12,) and np.allclose(np.abs(eig), 1.0)
    assert root_of_unity_counts(eig, 4).tolist() == [3, 3, 3, 3]
    counts = irreducible_counts(rep, method="characters")
    assert list(counts) == ["trivial", "i", "-i", "-1"]
    np.testing.assert_allclose(list(counts.values()), 3.0, atol=1e-9)
    assert irreducible_counts(rep) == {"trivial": 3.0, "i": 3.0, "-i": 3.0, "-1": 3.0}  # snapped eigenvalues
    np.testing.assert_allclose(regular_ratios(rep), 1.0, atol=1e-9)


def test_eigenvalue_read_off_is_integer_and_tolerates_an_approximate_representation():
    group = cyclic(4)
    mats = [np.diag([1.0, 1.0, -1.0]), np.array([[0.0, -1.0], [1.0, 0.0]])]  # trivial x2, -1, rotation
    block = np.zeros((5, 5))
    block[:3, :3], block[3:, 3:] = mats
    noisy = block + 0.02 * np.random.default_rng(0).standard_normal((5, 5))
    rep = Representation(group, [noisy], check=False)
    assert rep.defect() > 1e-3
    assert irreducible_counts(rep) == {"trivial": 2.0, "i": 1.0, "-i": 1.0, "-1": 1.0}
    chars = irreducible_counts(rep, method="characters")
    assert abs(chars["trivial"] - 2) < 0.2 and chars["trivial"] != 2.0
    with pytest.raises(ValueError, match="needs a cyclic group"):
        irreducible_counts(Representation(dihedral(3), [np.eye(1)] * 2), method="eigenvalues")
    with pytest.raises(ValueError, match="unknown method"):
        irreducible_counts(rep, method="guess")


def test_read_off_of_s3_by_characters_and_an_unbalanced_representation():
    group = dihedral(3)
    rep = Representation(group, conjugated_regular(group, 5, seed=2))
    counts = irreducible_counts(rep)
    assert list(counts) == ["trivial", "sign", "standard"]
    np.testing.assert_allclose([counts["trivial"], counts["sign"], counts["standard"]], [5, 5, 10], atol=1e-9)
    lopsided = direct_sum(regular(group), trivial(group, 3))
    np.testing.assert_allclose(list(irreducible_counts(lopsided).values()), [4, 1, 2], atol=1e-9)
    ratios = regular_ratios(lopsided)
    assert ratios[0] > 1.5 and ratios[1] < 1.0


def test_eigenvalues_of_a_learned_model_and_snapping():
    model = LearnedRepresentation(cyclic(2), 4)
    set_generators(model, [np.diag([1.0, 1.0, -1.0, -1.0])])
    eig = generator_eigenvalues(model)
    np.testing.assert_allclose(np.sort(eig.real), [-1, -1, 1, 1])
    noisy = np.exp(1j * np.array([0.1, -0.2, np.pi - 0.3, 2.0]))
    assert root_of_unity_counts(noisy, 2).tolist() == [2, 2]
    with pytest.raises(ValueError, match="square"):
        generator_eigenvalues(np.zeros((2, 3)))


def test_irrep_labels_for_other_groups():
    labels = irrep_labels(character_table(direct_product(cyclic(2), cyclic(2))))
    assert labels[0] == "trivial" and labels[1:] == [f"chi_{i} (dim 1)" for i in (2, 3, 4)]
    assert irrep_labels(character_table(cyclic(2))) == ["trivial", "-1"]


def test_generator_eigenvalues_are_sorted_by_angle_for_each_source():
    a = np.array([[0.0, -1.0], [1.0, 0.0]])  # eigenvalues +-i
    block = np.zeros((3, 3))
    block[:2, :2], block[2, 2] = a, -1.0
    for source in (block, torch.as_tensor(block)):
        eig = generator_eigenvalues(source)
        np.testing.assert_allclose(eig, [-1j, 1j, -1.0], atol=1e-12)  # angles -pi/2, pi/2, pi
    rep = Representation(dihedral(4), [a, np.diag([1.0, -1.0])])
    np.testing.assert_allclose(generator_eigenvalues(rep, generator=1), [1.0, -1.0])
    model = LearnedRepresentation(dihedral(4), 2)
    set_generators(model, [a, np.diag([1.0, -1.0])])
    np.testing.assert_allclose(generator_eigenvalues(model, generator=1), [1.0, -1.0])
    np.testing.assert_allclose(generator_eigenvalues(model), [-1j, 1j], atol=1e-7)


def test_root_of_unity_counts_snap_to_the_nearest_root():
    eig = np.exp(1j * np.array([0.0, 0.7, 0.9, np.pi, -np.pi / 2 + 0.2, 2 * np.pi / 3 - 0.1]))
    assert root_of_unity_counts(eig, 4).tolist() == [2, 2, 1, 1]  # 0.7 nearest 1, 0.9 nearest i
    assert root_of_unity_counts(eig, 3).tolist() == [3, 1, 2]
    assert root_of_unity_counts(np.ones(2), 5).shape == (5,)


def test_regular_ratios_divide_by_the_degree_of_each_irreducible():
    group = dihedral(3)  # irreducibles of degrees 1, 1, 2
    np.testing.assert_allclose(regular_ratios(direct_sum(*[regular(group)] * 2)), [1.0, 1.0, 1.0], atol=1e-12)
    lopsided = direct_sum(regular(group), trivial(group, 3))  # dim 9: shares 9/6 per degree
    np.testing.assert_allclose(regular_ratios(lopsided), [4 / 1.5, 1 / 1.5, 2 / (2 * 1.5)], atol=1e-12)
    s4 = __import__("eqrep.groups", fromlist=["symmetric"]).symmetric(4)  # degrees 1, 1, 2, 3, 3
    np.testing.assert_allclose(regular_ratios(regular(s4)), np.ones(5), atol=1e-9)


def test_cyclic_read_off_decides_by_structure_not_by_name():
    renamed = cyclic(4)
    object.__setattr__(renamed, "name", "Z4")
    rep = Representation(renamed, conjugated_regular(cyclic(4), 1, seed=1))
    table = character_table(renamed)
    assert irrep_labels(table) == ["trivial", "i", "-i", "-1"]
    assert irreducible_counts(rep, table) == {"trivial": 1.0, "i": 1.0, "-i": 1.0, "-1": 1.0}  # snapped: exact
    product = direct_product(cyclic(2), cyclic(3))  # named C_2xC_3, two generators: characters
    counts = irreducible_counts(regular(product))
    assert list(counts) == ["trivial"] + [f"chi_{i} (dim 1)" for i in range(2, 7)]
    with pytest.raises(ValueError, match="eigenvalue snapping needs a cyclic group, got C_2xC_3"):
        irreducible_counts(regular(product), method="eigenvalues")


def test_generator_eigenvalues_sort_stably_and_check_their_input():
    # angles tie at 0 and pi: a stable sort keeps the eigen-solver's order within each tie (17 values,
    # past the length where NumPy's default sort stops being stable)
    signs = np.random.default_rng(0).choice([-1.0, 1.0], size=17)
    values = signs * (1.0 + np.arange(17) / 100)
    eig = generator_eigenvalues(np.diag(values))
    np.testing.assert_array_equal(eig.real, np.concatenate([values[values > 0], values[values < 0]]))
    grad = torch.tensor(np.diag([1.0, -1.0]), requires_grad=True)  # a tensor is detached, not converted
    np.testing.assert_allclose(generator_eigenvalues(grad), [1.0, -1.0])
    for bad in (np.zeros((2, 3)), np.zeros(3), np.zeros((2, 2, 2))):
        with pytest.raises(ValueError, match=rf"^need a square matrix, got shape {re.escape(str(bad.shape))}$"):
            generator_eigenvalues(bad)


def test_read_off_follows_the_order_of_the_table_it_is_given():
    group = dihedral(3)
    table = character_table(group)
    reversed_table = CharacterTable(group, table.classes, table.values[::-1])
    lopsided = direct_sum(regular(group), trivial(group, 3))  # multiplicities 4, 1, 2 in the default order
    np.testing.assert_allclose(regular_ratios(lopsided, reversed_table), [2 / 3, 2 / 3, 8 / 3], atol=1e-12)
    counts = irreducible_counts(lopsided, reversed_table)  # keys by position: S_3's labels
    np.testing.assert_allclose(list(counts.values()), [2, 1, 4], atol=1e-12)


def test_eigenvalue_read_off_of_a_complex_representation():
    c4 = cyclic(4)  # r -> diag(i, i, -1): complex matrices are accepted; i and -i are told apart
    rep = Representation(c4, [np.diag([1j, 1j, -1.0])])
    assert irreducible_counts(rep) == {"trivial": 0.0, "i": 2.0, "-i": 0.0, "-1": 1.0}
    np.testing.assert_allclose(list(irreducible_counts(rep, method="characters").values()), [0, 2, 0, 1], atol=1e-12)


@pytest.mark.parametrize("group", [cyclic(4), dihedral(3), direct_product(cyclic(2), cyclic(2))], ids=str)
def test_isotypic_projectors_split_a_regular_sum_by_degree(group):
    rep = direct_sum(regular(group), trivial(group, 2))
    table = character_table(group)
    p = isotypic_projectors(rep, table)
    assert np.iscomplexobj(p) == (group.order == 4 and len(group.generators) == 1)  # real characters: real P_i
    np.testing.assert_allclose(p.sum(0), np.eye(rep.dim), atol=1e-12)
    np.testing.assert_allclose(np.einsum("iab,ibc->iac", p, p), p, atol=1e-12)  # idempotent
    ranks = np.array([np.linalg.matrix_rank(m, tol=1e-8) for m in p])
    expected = table.degrees ** 2  # d_i copies of a d_i-dimensional irreducible in the regular one
    expected[0] += 2  # and the two trivial coordinates
    np.testing.assert_array_equal(ranks, expected)


def test_isotypic_shares_of_hand_made_codes():
    c2 = cyclic(2)
    p = isotypic_projectors(regular(c2))  # trivial: (1, 1)/sqrt 2, sign: (1, -1)/sqrt 2
    z = np.array([[1.0, 1.0], [-1.0, -1.0], [3.0, 1.0], [-3.0, -1.0]])  # mean zero
    # variance 2 + 2 + 10 + 10 = 24; on the sign part: (3 - 1)^2 / 2 twice = 4
    np.testing.assert_allclose(isotypic_shares(z, p), [20 / 24, 4 / 24])
    with pytest.raises(ValueError, match=r"codes must be \(N, 2\)"):
        isotypic_shares(z[:, :1], p)
    with pytest.raises(ValueError, match="constant"):
        isotypic_shares(np.ones((3, 2)), p)


def test_near_regular_applies_the_tolerance_to_each_share():
    table = character_table(dihedral(3))  # degrees 1, 1, 2: in dimension 12, shares 2, 2, 4
    assert near_regular([2, 2, 4], table, 12) and near_regular({"a": 2.15, "b": 1.85, "c": 3.7}, table, 12)
    assert not near_regular([2.3, 2, 4], table, 12)  # 0.3 > 0.1 x 2
    assert near_regular([2, 2, 4], table, 12, tol=0.0)  # exact counts pass with no tolerance
    with pytest.raises(ValueError, match="one count per irreducible"):
        near_regular([2, 2], table, 12)


def test_isotypic_projector_of_a_complex_character_is_its_eigenspace():
    c4 = cyclic(4)
    rep, table = regular(c4), character_table(c4)
    p = isotypic_projectors(rep, table)  # complex: C_4's characters take the values +-i
    assert np.iscomplexobj(p)
    chi = table.on_elements()
    for i in range(4):  # rho(g) P_i = chi_i(g) P_i: P_i maps onto where G acts by chi_i (conjugation matters)
        for g in range(4):
            np.testing.assert_allclose(rep.matrices[g] @ p[i], chi[i, g] * p[i], atol=1e-12)


def test_read_off_rounds_the_counts_and_applies_the_regular_test():
    d3 = dihedral(3)
    two_regular = direct_sum(regular(d3), regular(d3))
    noise = np.random.default_rng(0).standard_normal((2, 12, 12))
    learned = [m + 0.01 * e for m, e in zip(two_regular.generator_matrices, noise, strict=True)]  # not exact
    counts, regular_run = read_off(learned, d3)
    assert counts == {"trivial": 1.985, "sign": 2.041, "standard": 3.987} and regular_run  # 3 decimals
    assert read_off(learned, d3, decimals=0) == ({"trivial": 2.0, "sign": 2.0, "standard": 4.0}, True)
    # one trivial coordinate more: shares 13/6 per degree, the trivial count 3 is 38 % too many
    plus_one = direct_sum(two_regular, trivial(d3)).generator_matrices
    assert read_off(plus_one, d3) == ({"trivial": 3.0, "sign": 2.0, "standard": 4.0}, False)  # tol 10 %
    assert read_off(plus_one, d3, tol=0.5)[1]
    c4 = cyclic(4)  # a (k, d, d) array; eigenvalues snapped for a cyclic group
    stacked = np.stack(direct_sum(regular(c4), trivial(c4, 4)).generator_matrices)
    assert read_off(stacked, c4) == ({"trivial": 5.0, "i": 1.0, "-i": 1.0, "-1": 1.0}, False)
    assert read_off(np.stack(two_regular.generator_matrices).astype(np.float32), d3)[1]
    complex_c4 = [np.diag([1j, 1j, -1.0, 1.0])]  # i and -i told apart, not cast to real
    assert read_off(complex_c4, c4) == ({"trivial": 1.0, "i": 2.0, "-i": 0.0, "-1": 1.0}, False)


def test_near_regular_error_names_the_count_it_got():
    table = character_table(dihedral(3))
    with pytest.raises(ValueError, match=r"^need one count per irreducible \(3\), got 2$"):
        near_regular([2, 2], table, 12)
    with pytest.raises(ValueError, match=r"^need one count per irreducible \(3\), got 2.0$"):
        near_regular(2.0, table, 12)


def test_isotypic_shares_centre_each_coordinate_and_accumulate_in_double_precision():
    p = isotypic_projectors(regular(cyclic(2)))
    z = np.array([[1.0, 1.0], [-1.0, -1.0], [3.0, 1.0], [-3.0, -1.0]])
    np.testing.assert_allclose(isotypic_shares(z + [5.0, -2.0], p), [20 / 24, 4 / 24])  # the mean of each column
    half = (300 * z).astype(np.float16)  # squares past float16's range (65504)
    np.testing.assert_allclose(isotypic_shares(half, p), [20 / 24, 4 / 24])
    with pytest.raises(ValueError, match="^codes are constant: no variance to share out$"):
        isotypic_shares(np.ones((3, 2)), p)
