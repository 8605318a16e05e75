"""Linear representations of finite groups: construction, checks, characters, multiplicities.

A representation is fixed by the images of the generators; :class:`Representation`
extends them to every element through the words recorded by the group, and then
*checks* that the result is a homomorphism. The same machinery measures how far a
numerically learned set of matrices is from a representation
(:meth:`Representation.defect`), which the book later uses on learned latent actions.

Characters come from Burnside's algorithm (simultaneous eigenvectors of the class
multiplication matrices), so the character table of any small group is computed,
not typed in. Arrays are NumPy ``float64``/``complex128``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from eqrep.groups import FiniteGroup

__all__ = [
    "NotARepresentationError",
    "Representation",
    "trivial",
    "sign",
    "regular",
    "standard",
    "permutation_representation",
    "natural",
    "real_irreps_cyclic",
    "real_irreps_dihedral",
    "direct_sum",
    "tensor_product",
    "CharacterTable",
    "character_table",
    "format_character_value",
    "multiplicities",
    "real_cyclic_multiplicities",
]


class NotARepresentationError(ValueError):
    """Raised when matrices fail to define a group homomorphism."""


@dataclass
class Representation:
    """A (possibly approximate) representation ``rho: G -> GL(d)``.

    Args:
        group: The finite group.
        generator_matrices: One ``(d, d)`` matrix per generator of ``group``.
        name: Printable name.
        check: If true (default), raise :class:`NotARepresentationError` unless the extended
            matrices satisfy ``rho(g) rho(h) = rho(gh)`` up to ``atol``. Pass ``False`` for a
            learned, approximate representation and inspect :meth:`defect`.
        atol: Tolerance for the check.

    The matrices of all elements, :attr:`matrices` ``(|G|, d, d)``, are computed from the
    generator matrices along each element's word.
    """

    group: FiniteGroup
    generator_matrices: Sequence[np.ndarray]
    name: str = "rho"
    check: bool = True
    atol: float = 1e-8

    def __post_init__(self) -> None:
        gens = [np.array(m, copy=True) for m in self.generator_matrices]  # later edits of the inputs must not leak in
        k = len(self.group.generator_names)
        if len(gens) != k:
            raise ValueError(
                f"{self.group.name} has {k} generators {self.group.generator_names}, "
                f"but {len(gens)} matrices were given"
            )
        for name, m in zip(self.group.generator_names, gens, strict=True):
            if m.ndim != 2 or m.shape[0] != m.shape[1]:
                raise ValueError(f"generator matrix for '{name}' must be square, got shape {m.shape}")
        dims = {m.shape[0] for m in gens}
        if len(dims) != 1:
            raise ValueError(f"generator matrices have different sizes {sorted(dims)}")
        self.generator_matrices = gens
        if self.check:
            defect = self.defect()
            if defect > self.atol:
                raise NotARepresentationError(
                    f"{self.name}: the matrices are no representation of {self.group.name}; "
                    f"max ||rho(g)rho(h) - rho(gh)|| = {defect:.3g} > atol={self.atol:g}"
                    f" (relation residuals: {np.round(self.relation_residuals(), 6).tolist()})"
                )

    @property
    def dim(self) -> int:
        """Dimension ``d`` of the representation space."""
        return int(self.generator_matrices[0].shape[0])

    @cached_property
    def matrices(self) -> np.ndarray:
        """``rho(g)`` for all ``g``, shape ``(|G|, d, d)``, built along each element's word."""
        dtype = np.result_type(*self.generator_matrices, np.float64)
        out = np.empty((self.group.order, self.dim, self.dim), dtype=dtype)
        for g, word in enumerate(self.group.words):
            m = np.eye(self.dim, dtype=dtype)
            for k in word:
                m = m @ self.generator_matrices[k]
            out[g] = m
        return out

    def __call__(self, g: int) -> np.ndarray:
        """The matrix ``rho(g)`` of element index ``g``, shape ``(d, d)``."""
        return self.matrices[g]

    def defect(self) -> float:
        """Largest homomorphism error ``max_{g,h} ||rho(g) rho(h) - rho(gh)||_F``.

        Zero (to rounding) exactly when the matrices define a representation.
        """
        m = self.matrices
        worst = 0.0
        for g in range(self.group.order):  # loop keeps memory at |G| d^2
            err = m[g] @ m - m[self.group.table[g]]
            worst = max(worst, float(np.sqrt((np.abs(err) ** 2).sum(axis=(-1, -2))).max()))
        return worst

    def relation_residuals(self) -> np.ndarray:
        """Frobenius norm of ``W - I`` for each relation word ``W`` of the presentation."""
        res = []
        for word in self.group.relations:
            m = np.eye(self.dim)
            for k in word:
                m = m @ self.generator_matrices[k]
            res.append(np.linalg.norm(m - np.eye(self.dim)))
        return np.asarray(res)

    @cached_property
    def character(self) -> np.ndarray:
        """The character ``chi(g) = tr rho(g)``, shape ``(|G|,)``."""
        return np.trace(self.matrices, axis1=1, axis2=2)

    def is_orthogonal(self, atol: float = 1e-8) -> bool:
        """Whether every ``rho(g)`` is orthogonal (``rho(g)^T rho(g) = I``)."""
        eye = np.eye(self.dim)
        return bool(np.allclose(np.einsum("gji,gjk->gik", self.matrices, self.matrices), eye, atol=atol))

    def __repr__(self) -> str:
        return f"Representation({self.name} of {self.group.name}, dim={self.dim})"


def _perm_matrix(images: Sequence[int]) -> np.ndarray:
    """Permutation matrix ``M`` with ``M[images[i], i] = 1`` (sends basis vector ``e_i`` to ``e_{images[i]}``)."""
    n = len(images)
    m = np.zeros((n, n))
    m[list(images), np.arange(n)] = 1.0
    return m


def trivial(group: FiniteGroup, dim: int = 1) -> Representation:
    """The trivial representation ``g -> I_dim``."""
    return Representation(group, [np.eye(dim) for _ in group.generator_names], name="trivial")


def regular(group: FiniteGroup) -> Representation:
    """The (left) regular representation on ``R^{|G|}``: ``rho(g) e_h = e_{gh}``, permutation matrices."""
    return Representation(group, [_perm_matrix(group.table[g]) for g in group.generators], name="regular")


def permutation_representation(group: FiniteGroup, images: Sequence[Sequence[int]],
                               name: str = "perm") -> Representation:
    """Representation by permutation matrices, from the images of each generator on ``{0..n-1}``."""
    return Representation(group, [_perm_matrix(p) for p in images], name=name)


def natural(group: FiniteGroup) -> Representation:
    """The natural representation of ``S_n`` on ``R^n``: each permutation as its ``n x n`` matrix."""
    kind, _ = _family(group)
    if kind != "S":
        raise ValueError(f"the natural permutation representation is defined for S_n, not {group.name}")
    return permutation_representation(group, [group.elements[g] for g in group.generators], name="natural")


def sign(group: FiniteGroup) -> Representation:
    """The sign representation: ``S_n``: sign of the permutation; ``D_n``: ``det`` (reflections ``-1``);
    ``C_n`` with even ``n``: ``r -> -1``."""
    kind, _ = _family(group)
    if kind == "S":
        mats = [np.array([[np.linalg.det(_perm_matrix(group.elements[g]))]]) for g in group.generators]
    elif kind == "D":
        mats = [np.eye(1), -np.eye(1)]
    elif kind == "C" and group.order % 2 == 0:
        mats = [-np.eye(1)]
    else:
        raise ValueError(f"no sign representation defined for {group.name} (only S_n, D_n, C_n with n even)")
    return Representation(group, mats, name="sign")


def standard(group: FiniteGroup) -> Representation:
    """The standard representation: ``S_n`` on the sum-zero hyperplane of ``R^n`` (dim ``n-1``,
    orthonormal basis); ``C_n``/``D_n`` as rotations (and a reflection) of the plane (dim 2)."""
    kind, n = _family(group)
    if kind in ("C", "D") and n < 3:
        raise ValueError(f"the 2-d standard representation of {group.name} is reducible (needs n >= 3)")
    if kind == "S":
        # orthonormal basis of {x : sum x = 0} as the columns of q, shape (n, n-1)
        q, _ = np.linalg.qr(np.eye(n)[:, :-1] - np.eye(n)[:, -1:])
        mats = [q.T @ _perm_matrix(group.elements[g]) @ q for g in group.generators]
        return Representation(group, mats, name="standard")
    if kind in ("C", "D"):
        return Representation(group, _rotation_generators(group, 1), name="standard")
    raise ValueError(f"no standard representation defined for {group.name} (only C_n, D_n, S_n)")


def _family(group: FiniteGroup) -> tuple[str, int]:
    """``("C" | "D" | "S", n)`` for the groups built by :mod:`eqrep.groups`, else ``("", 0)``."""
    kind, _, n = group.name.partition("_")
    return (kind, int(n)) if kind in ("C", "D", "S") and n.isdigit() else ("", 0)


def _rot(theta: float) -> np.ndarray:
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s], [s, c]])


def _rotation_generators(group: FiniteGroup, k: int) -> list[np.ndarray]:
    """``r -> rot(2 pi k / n)`` and, for a dihedral group (a second generator), ``s -> diag(1, -1)``."""
    n = group.order // len(group.generators)  # C_n: one generator of order n; D_n: order 2n, two generators
    mats = [_rot(2 * np.pi * k / n)]
    if len(group.generators) == 2:
        mats.append(np.diag([1.0, -1.0]))
    return mats


def real_irreps_cyclic(group: FiniteGroup) -> list[Representation]:
    """Real irreducible representations of ``C_n``: trivial, (``n`` even) ``r -> -1``, and the
    2-d rotations by ``2 pi k / n`` for ``1 <= k < n/2``."""
    n = group.order
    irreps = [Representation(group, [np.eye(1)], name="trivial")]
    if n % 2 == 0:
        irreps.append(Representation(group, [-np.eye(1)], name="sign"))
    irreps += [Representation(group, [_rot(2 * np.pi * k / n)], name=f"rot{k}") for k in range(1, (n + 1) // 2)]
    return irreps


def real_irreps_dihedral(group: FiniteGroup) -> list[Representation]:
    """Real irreducible representations of ``D_n``: four (``n`` even) or two 1-d ones, and the 2-d
    ``r -> rot(2 pi k / n), s -> diag(1, -1)`` for ``1 <= k < n/2``."""
    n = group.order // 2
    one = [(1, 1, "trivial"), (1, -1, "det")]
    if n % 2 == 0:
        one += [(-1, 1, "r-sign"), (-1, -1, "r-sign*det")]
    irreps = [Representation(group, [a * np.eye(1), b * np.eye(1)], name=nm) for a, b, nm in one]
    irreps += [Representation(group, _rotation_generators(group, k), name=f"rot{k}") for k in range(1, (n + 1) // 2)]
    return irreps


def _common_group(reps: Sequence[Representation]) -> FiniteGroup:
    """The group of all of ``reps``; ``ValueError`` if there are none or they belong to different groups."""
    if not reps:
        raise ValueError("need at least one representation")
    group = reps[0].group
    for r in reps[1:]:
        if r.group is not group and (r.group.name != group.name or not np.array_equal(r.group.table, group.table)):
            raise ValueError(f"representations of different groups: {group.name} and {r.group.name}")
    return group


def direct_sum(*reps: Representation) -> Representation:
    """Block-diagonal direct sum ``rho_1 (+) rho_2 (+) ...`` of representations of one group
    (``ValueError`` for representations of different groups)."""
    group = _common_group(reps)
    mats = []
    for k in range(len(group.generator_names)):
        blocks = [r.generator_matrices[k] for r in reps]
        d = sum(b.shape[0] for b in blocks)
        m = np.zeros((d, d), dtype=np.result_type(*blocks))
        i = 0
        for b in blocks:
            m[i:i + b.shape[0], i:i + b.shape[0]] = b
            i += b.shape[0]
        mats.append(m)
    return Representation(group, mats, name=" (+) ".join(r.name for r in reps), check=False)


def tensor_product(a: Representation, b: Representation) -> Representation:
    """Kronecker product ``rho_a (x) rho_b`` of two representations of the same group
    (``ValueError`` for representations of different groups)."""
    _common_group([a, b])
    mats = [np.kron(x, y) for x, y in zip(a.generator_matrices, b.generator_matrices, strict=True)]
    return Representation(a.group, mats, name=f"{a.name} (x) {b.name}")


@dataclass(frozen=True)
class CharacterTable:
    """Complex irreducible characters of a finite group.

    Attributes:
        group: The group.
        classes: Conjugacy classes (tuples of element indices).
        values: ``values[i, j]`` is ``chi_i`` on class ``j``; shape ``(r, r)``, ``r`` = number of
            classes. Rows sorted by degree, then by their values class by class (larger real
            part first, then larger imaginary part), so the trivial character comes first.
    """

    group: FiniteGroup
    classes: tuple[tuple[int, ...], ...]
    values: np.ndarray

    @property
    def degrees(self) -> np.ndarray:
        """Dimension ``chi_i(e)`` of each irreducible, shape ``(r,)``."""
        return np.rint(self.values[:, 0].real).astype(int)

    def to_frame(self):
        """The table as a :class:`pandas.DataFrame` of short strings, shape ``(r + 1, r)``.

        Columns: a representative of each class (``group.label``); first row ``"class size"``,
        then one row ``chi_i`` per irreducible, in this table's order.
        """
        import pandas as pd

        cols = [self.group.label(cls[0]) for cls in self.classes]
        rows = [[str(len(cls)) for cls in self.classes]]
        rows += [[format_character_value(v) for v in row] for row in self.values]
        index = ["class size"] + [f"chi_{i + 1}" for i in range(len(self.values))]
        return pd.DataFrame(rows, columns=cols, index=index)

    def on_elements(self) -> np.ndarray:
        """Characters evaluated on every element, shape ``(r, |G|)``."""
        out = np.empty((len(self.values), self.group.order), dtype=complex)
        for j, cls in enumerate(self.classes):
            out[:, list(cls)] = self.values[:, [j]]
        return out


def format_character_value(z: complex, decimals: int = 3) -> str:
    """A character value as short text: ``"2"``, ``"-1"``, ``"i"``, ``"-0.5+0.866i"``."""
    z = complex(np.round(z, decimals)) + 0.0  # + 0.0 turns -0.0 into 0.0
    if abs(z.imag) < 10.0**-decimals:
        return f"{z.real:g}"
    imag = {1.0: "i", -1.0: "-i"}.get(z.imag, f"{z.imag:g}i")
    if abs(z.real) < 10.0**-decimals:
        return imag
    return f"{z.real:g}{'+' if z.imag > 0 else ''}{imag}"


def character_table(group: FiniteGroup, seed: int = 0) -> CharacterTable:
    """Irreducible characters by Burnside's algorithm.

    The class sums ``K_j`` multiply as ``K_j K_k = sum_l c_jkl K_l``. The matrices
    ``(M_j)_{kl} = c_jkl`` commute, and their common eigenvectors are
    ``w_i(K_k) = |K_k| chi_i(g_k) / chi_i(e)``. A random combination of the ``M_j``
    has distinct eigenvalues (with probability one), so its eigenvectors are these.
    Normalising with ``sum_k |K_k| |chi_i(g_k)|^2 = |G|`` fixes ``chi_i(e)``.
    """
    classes = group.conjugacy_classes
    r, order = len(classes), group.order
    which = np.empty(order, dtype=int)
    for j, cls in enumerate(classes):
        which[list(cls)] = j
    sizes = np.array([len(c) for c in classes], dtype=float)
    # c[j, k, l]: number of pairs (a in K_j, b in K_k) with ab = z, for any fixed z in K_l
    c = np.zeros((r, r, r))
    for j, cj in enumerate(classes):
        for k, ck in enumerate(classes):
            prods = group.table[np.ix_(cj, ck)].ravel()
            counts = np.bincount(which[prods], minlength=r).astype(float)
            # each element of K_l appears equally often; count per element of K_l
            c[j, k] = counts / sizes
    rng = np.random.default_rng(seed)
    coeffs = rng.standard_normal(r)
    m = np.einsum("j,jkl->kl", coeffs, c)
    _, vecs = np.linalg.eig(m)
    chars = []
    for i in range(r):
        w = vecs[:, i] / vecs[0, i]  # w(K_1 = {e}) = 1
        deg = np.sqrt(order / np.sum(np.abs(w) ** 2 / sizes))
        chi = deg * w / sizes
        chars.append(chi)
    values = np.array(chars)
    values = np.where(np.abs(values.imag) < 1e-9, values.real, values)
    values.real[np.abs(values.real) < 1e-12] = 0.0
    # deterministic order: by degree, then by the values class by class (larger real part, then
    # larger imaginary part first), so the trivial character leads and ties never depend on eig()
    rounded = np.round(values, 6) + 0.0
    keys = [(-rounded[:, j].imag) for j in reversed(range(r))] + [(-rounded[:, j].real) for j in reversed(range(r))]
    order_idx = np.lexsort(keys + [rounded[:, 0].real])
    values = values[order_idx]
    return CharacterTable(group=group, classes=classes, values=values)


def multiplicities(rep: Representation, table: CharacterTable | None = None) -> np.ndarray:
    """Multiplicity of each complex irreducible in ``rep`` by the character inner product.

    ``n_i = <chi_rho, chi_i> = (1/|G|) sum_g chi_rho(g) conj(chi_i(g))``. Returns real numbers,
    shape ``(r,)``: integers (to rounding) for a true representation; for an approximate one,
    the distance to the nearest integers says how far it is from a representation.
    """
    table = table or character_table(rep.group)
    chis = table.on_elements()
    return (chis.conj() @ rep.character).real / rep.group.order


def real_cyclic_multiplicities(rep: Representation) -> dict[str, int]:
    """Decompose a real representation of ``C_n`` by snapping the eigenvalues of ``rho(r)``.

    Each eigenvalue is rounded to the nearest ``n``-th root of unity ``exp(2 pi i k / n)``; the
    real irreducible ``rot_k`` (``1 <= k < n/2``) accounts for the conjugate pair ``k, n-k``.
    Returns counts keyed ``"trivial"``, ``"sign"`` (``n`` even) and ``"rot{k}"``.

    Raises:
        ValueError: the group is not given by a single generator (the decision is by structure,
            not by name: ``direct_product(cyclic(2), cyclic(3))`` has two generators and is refused),
            or the snapped eigenvalues are not closed under conjugation (a complex representation, or
            an eigenvalue halfway between two roots: use :func:`multiplicities`).
    """
    group = rep.group
    if len(group.generators) != 1:
        raise ValueError(f"eigenvalue snapping needs a cyclic group given by one generator; {group.name} has "
                         f"{len(group.generators)} generators {group.generator_names}")
    n = group.order
    eig = np.linalg.eigvals(rep.generator_matrices[0])
    k = np.rint(np.angle(eig) / (2 * np.pi / n)).astype(int) % n
    counts = np.bincount(k, minlength=n)
    if not np.array_equal(counts[1:], counts[1:][::-1]):
        raise ValueError(f"the eigenvalues of rho(r) snap to the roots {counts.tolist()} (k = 0..{n - 1}), which are "
                         "not closed under conjugation: rho(r) is complex, or has an eigenvalue halfway between "
                         "two roots (a negative one for odd n); use multiplicities()")
    out = {"trivial": int(counts[0])}
    if n % 2 == 0:
        out["sign"] = int(counts[n // 2])
    for j in range(1, (n + 1) // 2):
        out[f"rot{j}"] = int(round((counts[j] + counts[n - j]) / 2))
    return out
