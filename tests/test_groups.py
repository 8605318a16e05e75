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
