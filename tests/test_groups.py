import numpy as np
import pytest

from eqrep.groups import check_group_axioms, cyclic, dihedral, direct_product, symmetric


def test_group_axioms_hold(group):
    check_group_axioms(group)


@pytest.mark.parametrize("make, n, order", [(cyclic, 6, 6), (dihedral, 5, 10), (dihedral, 1, 2),
                                            (symmetric, 4, 24), (symmetric, 5, 120)])
def test_orders(make, n, order):
    assert make(n).order == order


def test_identity_first_and_words_evaluate_to_elements(group):
    assert group.words[0] == ()
    for g, word in enumerate(group.words):
        assert group.evaluate_word(word) == g


def test_relations_hold(group):
    for word in group.relations:
        assert group.evaluate_word(word) == group.identity


def test_inverses(group):
    for g in range(group.order):
        assert group.mul(g, group.inv(g)) == group.identity == group.mul(group.inv(g), g)


def test_conjugacy_classes_partition_and_sizes():
    for g, sizes in [(symmetric(3), [1, 3, 2]), (dihedral(4), [1, 2, 2, 1, 2]), (symmetric(4), [1, 6, 6, 8, 3])]:
        classes = g.conjugacy_classes
        assert sorted(i for c in classes for i in c) == list(range(g.order))
        assert sorted(len(c) for c in classes) == sorted(sizes)


def test_abelian():
    assert cyclic(7).is_abelian and direct_product(cyclic(2), cyclic(3)).is_abelian
    assert not dihedral(3).is_abelian and not symmetric(3).is_abelian


def test_element_orders_of_dihedral():
    d4 = dihedral(4)
    orders = sorted(d4.element_order(g) for g in range(d4.order))
    assert orders == [1, 2, 2, 2, 2, 2, 4, 4]


def test_broken_table_fails_axioms():
    g = cyclic(4)
    bad = g.table.copy()
    bad[1, 1], bad[1, 2] = bad[1, 2], bad[1, 1]
    object.__setattr__(g, "table", bad)
    with pytest.raises(AssertionError):
        check_group_axioms(g)


def test_bad_arguments():
    with pytest.raises(ValueError, match="n >= 1"):
        cyclic(0)
    with pytest.raises(ValueError, match="n >= 1"):
        symmetric(0)


def test_labels_are_words():
    d3 = dihedral(3)
    assert d3.label(0) == "e"
    assert {d3.label(g) for g in range(d3.order)} >= {"r", "s", "r^2"}
    assert np.unique([d3.label(g) for g in range(d3.order)]).size == d3.order


def _satisfies_relations(group, mats):
    from eqrep.representations import Representation

    rep = Representation(group, mats, check=False)
    return float(np.abs(rep.relation_residuals()).max()), rep.defect()


def test_direct_product_relations_force_the_factors_to_commute():
    # A reflection and a non-commuting reflection satisfy a^2 = b^2 = e but not ab = ba:
    # the recorded relations must catch that (von Dyck: relations hold <=> homomorphism).
    g = direct_product(cyclic(2), cyclic(2))
    c, s = np.cos(1.4), np.sin(1.4)
    residual, defect = _satisfies_relations(g, [np.diag([1.0, -1.0]), np.array([[c, s], [s, -c]])])
    assert defect > 1 and residual > 1


def test_symmetric_relations_are_a_presentation_beyond_n_4():
    # two permutations of 6 points generating a group of order 360 satisfy t^2, c^5 and (tc)^4:
    # only the extra relations of Moore's presentation rule them out as images of S_5's generators
    def perm(images):
        m = np.zeros((6, 6))
        m[list(images), range(6)] = 1.0
        return m

    residual, defect = _satisfies_relations(symmetric(5), [perm((4, 5, 2, 3, 0, 1)), perm((5, 3, 1, 0, 4, 2))])
    assert defect > 1 and residual > 1


@pytest.mark.parametrize("n", [3, 4, 5, 6])
def test_symmetric_relations_hold_in_the_group(n):
    g = symmetric(n)
    assert all(g.evaluate_word(r) == g.identity for r in g.relations)


# ----------------------------------------------------------------------------- documented contracts

def test_closure_is_breadth_first_with_shortest_words_and_generators_in_order():
    d4 = dihedral(4)  # elements (k, f) = r^k s^f
    assert d4.elements == ((0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (3, 1), (3, 0), (2, 1))
    assert d4.words == ((), (0,), (1,), (0, 0), (0, 1), (1, 0), (0, 0, 0), (0, 0, 1))
    assert d4.generators == (1, 2) and d4.generator_names == ("r", "s")
    assert d4.relations == ((0, 0, 0, 0), (1, 1), (1, 0, 1, 0))
    assert d4.identity == 0 and len(d4) == d4.order == 8 and str(d4) == "D_4 (order 8)"


def test_cayley_table_is_the_multiplication_rule():
    d5 = dihedral(5)
    for i, (k1, f1) in enumerate(d5.elements):
        for j, (k2, f2) in enumerate(d5.elements):  # r^k1 s^f1 r^k2 s^f2 = r^(k1 +- k2) s^(f1 + f2)
            assert d5.elements[d5.mul(i, j)] == ((k1 + (-1) ** f1 * k2) % 5, (f1 + f2) % 2)
    s4 = symmetric(4)
    for i, p in enumerate(s4.elements):
        for j, q in enumerate(s4.elements):
            assert s4.elements[s4.mul(i, j)] == tuple(p[q[x]] for x in range(4))  # right to left


def test_cyclic_elements_are_rotation_counts():
    c6 = cyclic(6)
    assert c6.elements == tuple(range(6)) and c6.relations == ((0,) * 6,)
    assert [c6.element_order(g) for g in range(6)] == [1, 6, 3, 2, 3, 6]
    assert c6.inverses.tolist() == [0, 5, 4, 3, 2, 1] and c6.inv(2) == 4
    assert cyclic(1).order == 1 and cyclic(1).elements == (0,)


def test_dihedral_one_is_the_reflection_group_of_order_two():
    d1 = dihedral(1)
    assert d1.elements == ((0, 0), (0, 1)) and d1.generators == (0, 1)  # r = e when n = 1


def test_compose_permutations_applies_the_right_factor_first():
    from eqrep.groups import compose_permutations

    assert compose_permutations((1, 2, 0), (1, 0, 2)) == (2, 1, 0)  # p(q(0)) = p(1) = 2
    s3 = symmetric(3)
    assert s3.elements[s3.generators[0]] == (1, 0, 2) and s3.elements[s3.generators[1]] == (1, 2, 0)
    assert symmetric(1).elements == ((0,),) and symmetric(2).order == 2
    assert (symmetric(1).name, symmetric(1).generator_names, symmetric(4).name) == ("S_1", ("t",), "S_4")
    assert symmetric(3).generator_names == ("t", "c")
    assert symmetric(2).relations == ((0, 0), (1, 1))


def test_symmetric_presentation_is_moores():
    assert symmetric(3).relations == ((0, 0), (1, 1, 1), (0, 1, 0, 1))
    t, c = 0, 1
    want = [(t, t), (c,) * 5, (t, c) * 4,
            ((t,) + (c,) * 3 + (t,) + (c,) * 2) * 2]  # (t c^-2 t c^2)^2
    assert symmetric(5).relations == tuple(want)


def test_direct_product_orders_generators_and_relations():
    g = direct_product(cyclic(2), cyclic(3))
    assert g.name == "C_2xC_3" and g.generator_names == ("r1", "r2")
    assert [g.elements[i] for i in g.generators] == [(1, 0), (0, 1)]
    assert g.elements[g.mul(g.elements.index((1, 2)), g.elements.index((1, 2)))] == (0, 1)
    # relations: r1^2, r2^3 (shifted to the second factor's indices), then the commutator r1 r2 r1^-1 r2^-1
    assert g.relations == ((0, 0), (1, 1, 1), (0, 1, 0, 1, 1))
    d = direct_product(dihedral(3), cyclic(2))
    assert d.generator_names == ("r1", "s1", "r2")
    assert d.relations[3:5] == ((2, 2), (0, 2) + (0,) * 2 + (2,))


def test_conjugacy_classes_are_sorted_with_the_identity_first():
    d4 = dihedral(4)
    assert d4.conjugacy_classes == ((0,), (1, 6), (2, 7), (3,), (4, 5))
    s3 = symmetric(3)
    assert s3.conjugacy_classes == ((0,), (1, 3, 4), (2, 5))
    for cls in s3.conjugacy_classes:  # a class is {h g h^-1 : h}
        assert set(cls) == {s3.mul(s3.mul(h, cls[0]), s3.inv(h)) for h in range(6)}


def test_labels_of_dihedral_four():
    d4 = dihedral(4)
    assert [d4.label(g) for g in range(8)] == ["e", "r", "s", "r^2", "rs", "sr", "r^3", "r^2s"]


def test_closure_bounds_and_argument_checks():
    from eqrep.groups import closure

    add = lambda a, b: (a + b) % 5  # noqa: E731
    assert closure("C5", [1], add, 0, ["r"], max_order=5).order == 5
    with pytest.raises(ValueError, match=r"^C5: closure exceeds max_order=4$"):
        closure("C5", [1], add, 0, ["r"], max_order=4)
    with pytest.raises(ValueError, match="^1 generators but 2 generator names$"):
        closure("C5", [1], add, 0, ["r", "s"])
    with pytest.raises(ValueError, match="n >= 1"):
        dihedral(0)
    assert dihedral(1).order == 2 and symmetric(1).order == 1


def _with_table(table):
    g = cyclic(len(table))
    object.__setattr__(g, "table", np.array(table))
    return g


def test_each_group_axiom_is_checked():
    with pytest.raises(AssertionError, match="^identity$"):  # row of e is not the identity map
        check_group_axioms(_with_table([[1, 0], [0, 1]]))
    with pytest.raises(AssertionError, match="^identity$"):  # column of e is not
        check_group_axioms(_with_table([[0, 1, 2], [2, 0, 1], [1, 2, 0]]))
    with pytest.raises(AssertionError, match=r"^each row must be a permutation \(inverses\)$"):
        check_group_axioms(_with_table([[0, 1, 2], [1, 2, 2], [2, 0, 1]]))
    loop = [[0, 1, 2, 3, 4], [1, 0, 3, 4, 2], [2, 4, 0, 1, 3], [3, 2, 4, 0, 1], [4, 3, 1, 2, 0]]
    with pytest.raises(AssertionError, match="^associativity$"):  # a Latin square with identity, not a group
        check_group_axioms(_with_table(loop))
