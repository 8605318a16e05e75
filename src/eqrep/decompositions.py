"""Reading a (possibly approximate) representation: which irreducibles it holds, and where.

Part I's tools applied to matrices that training produced (chapters 7 and 8): the eigenvalues
of a generator snapped to roots of unity (cyclic groups), character inner products (any group,
:func:`eqrep.representations.multiplicities`), how close the counts are to a multiple of the
regular representation (:func:`regular_ratios`, :func:`near_regular`), and the isotypic
projectors ``P_i = (d_i / |G|) sum_g conj(chi_i(g)) rho(g)`` that split a latent code into the
parts on which ``G`` acts by one irreducible (:func:`isotypic_projectors`, :func:`isotypic_shares`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from eqrep.groups import FiniteGroup
from eqrep.representations import (
    CharacterTable,
    Representation,
    character_table,
    format_character_value,
    multiplicities,
)

__all__ = [
    "generator_eigenvalues",
    "root_of_unity_counts",
    "irrep_labels",
    "irreducible_counts",
    "regular_ratios",
    "near_regular",
    "read_off",
    "isotypic_projectors",
    "isotypic_shares",
]


def generator_eigenvalues(source: Representation | np.ndarray | torch.Tensor, generator: int = 0) -> np.ndarray:
    """Eigenvalues of one generator matrix, sorted by angle in ``(-pi, pi]``; shape ``(d,)`` complex.

    ``source`` is a representation, anything with ``to_representation()`` (a
    :class:`~eqrep.models.latent_representation.LearnedRepresentation`), or a ``(d, d)`` matrix.
    Track them over training to watch them gather at the roots of unity (the paper's Fig. 4).
    """
    if hasattr(source, "to_representation"):
        source = source.to_representation()
    if isinstance(source, Representation):
        m = np.asarray(source.generator_matrices[generator])
    else:
        m = source.detach().cpu().double().numpy() if torch.is_tensor(source) else np.asarray(source)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"need a square matrix, got shape {m.shape}")
    eig = np.linalg.eigvals(m)
    return eig[np.argsort(np.angle(eig), kind="stable")]


def root_of_unity_counts(eigenvalues: np.ndarray, n: int) -> np.ndarray:
    """Snap each eigenvalue to the nearest ``n``-th root of unity by angle; count per root.

    Returns shape ``(n,)``: entry ``k`` counts eigenvalues snapped to ``exp(2 pi i k / n)``. For a
    representation of ``C_n`` these are the multiplicities of its complex irreducibles.
    """
    k = np.rint(np.angle(np.asarray(eigenvalues)) / (2 * np.pi / n)).astype(int) % n
    return np.bincount(k, minlength=n)


def irrep_labels(table: CharacterTable) -> list[str]:
    """Short names of the irreducibles in ``table``'s order.

    ``"trivial"`` first; for ``C_n`` the value on the generator (``"-1"``, ``"i"``, ...); for the
    groups of order 6 with three classes (``S_3 ~ D_3``) ``"sign"`` and ``"standard"``;
    otherwise ``"chi_i (dim d)"``. Cyclic means given by one generator (decided by structure, not name).
    """
    group = table.group
    labels = ["trivial"]
    if len(group.generators) == 1:
        col = [j for j, cls in enumerate(table.classes) if group.generators[0] in cls][0]
        labels += [format_character_value(v) for v in table.values[1:, col]]
    elif group.order == 6 and len(table.classes) == 3:
        labels += ["sign", "standard"]
    else:
        labels += [f"chi_{i + 1} (dim {d})" for i, d in enumerate(table.degrees[1:], start=1)]
    return labels


def irreducible_counts(rep: Representation, table: CharacterTable | None = None,
                       method: str = "auto") -> dict[str, float]:
    """Multiplicity of each complex irreducible in ``rep``, keyed by :func:`irrep_labels`.

    Args:
        rep: A (possibly approximate) representation.
        table: Its group's character table (computed if omitted).
        method: ``"characters"``: inner products ``<chi_rep, chi_i>``, real numbers (integers
            for a true representation; the paper's S_3 table); ``"eigenvalues"`` (cyclic groups
            only): eigenvalues of the generator snapped to the nearest roots of unity, integer
            counts (the paper's C_2 and C_4 tables); ``"auto"``: eigenvalues for cyclic groups,
            characters otherwise.
    """
    table = table or character_table(rep.group)
    labels = irrep_labels(table)
    cyclic = len(rep.group.generators) == 1  # one generator: cyclic, whatever the group's name
    if method == "auto":
        method = "eigenvalues" if cyclic else "characters"
    if method == "characters":
        return dict(zip(labels, multiplicities(rep, table).tolist(), strict=True))
    if method != "eigenvalues":
        raise ValueError(f"unknown method '{method}'; use 'auto', 'characters' or 'eigenvalues'")
    if not cyclic:
        raise ValueError(f"eigenvalue snapping needs a cyclic group, got {rep.group.name}")
    n = rep.group.order
    counts = root_of_unity_counts(generator_eigenvalues(rep), n)
    col = [j for j, cls in enumerate(table.classes) if rep.group.generators[0] in cls][0]
    roots = np.rint(np.angle(table.values[:, col]) / (2 * np.pi / n)).astype(int) % n
    return {label: float(counts[k]) for label, k in zip(labels, roots, strict=True)}


def regular_ratios(rep: Representation, table: CharacterTable | None = None) -> np.ndarray:
    """Multiplicity of each irreducible divided by its share in ``dim/|G|`` copies of the regular
    representation, ``n_i / (deg_i dim / |G|)``; all ones for a multiple of the regular one.
    Shape ``(r,)`` in ``table``'s order."""
    table = table or character_table(rep.group)
    return multiplicities(rep, table) / (table.degrees * rep.dim / rep.group.order)


def near_regular(counts: dict[str, float] | np.ndarray, table: CharacterTable, dim: int, tol: float = 0.1) -> bool:
    """Whether counts of the irreducibles (``table``'s order) are within ``tol`` of a multiple of the
    regular representation in dimension ``dim``: ``|n_i - d_i dim / |G|| <= tol d_i dim / |G|`` for all ``i``.

    Raises:
        ValueError: not one count per irreducible of ``table``.
    """
    n = np.array(list(counts.values()) if isinstance(counts, dict) else counts, dtype=np.float64)
    if n.shape != table.degrees.shape:
        raise ValueError(f"need one count per irreducible ({len(table.degrees)}), got {n.shape[0] if n.ndim else n}")
    share = table.degrees * dim / table.group.order
    return bool(np.all(np.abs(n - share) <= tol * share))


def read_off(generators: Sequence[np.ndarray] | np.ndarray, group: FiniteGroup, tol: float = 0.1,
             decimals: int = 3) -> tuple[dict[str, float], bool]:
    """Counts of the irreducibles in learned generator matrices (``(k, d, d)``, one per generator
    of ``group``), rounded to ``decimals`` places, and whether they pass :func:`near_regular`.

    The matrices need not be an exact representation (:func:`irreducible_counts` snaps
    eigenvalues for cyclic groups and takes character inner products otherwise); real or complex.
    """
    rep = Representation(group, [np.asarray(m) for m in generators], check=False)  # complex ones stay complex
    table = character_table(group)
    counts = {k: round(v, decimals) for k, v in irreducible_counts(rep, table).items()}
    return counts, near_regular(counts, table, rep.dim, tol)


def isotypic_projectors(rep: Representation, table: CharacterTable | None = None) -> np.ndarray:
    """The isotypic projectors ``P_i = (d_i / |G|) sum_g conj(chi_i(g)) rho(g)``; shape ``(r, d, d)``,
    complex for groups with complex characters.

    They are idempotent, sum to the identity, and ``P_i`` is zero when ``rho`` holds no copy of
    the ``i``-th irreducible.
    """
    table = table or character_table(rep.group)
    chi = table.on_elements()  # (r, |G|)
    projectors = np.einsum("i,ig,gab->iab", table.degrees / rep.group.order, chi.conj(), rep.matrices)
    return projectors.real if np.allclose(projectors.imag, 0.0) else projectors


def isotypic_shares(z: np.ndarray, projectors: np.ndarray) -> np.ndarray:
    """Share of the centred variance of codes ``z`` (shape ``(N, d)``) in each isotypic component;
    shape ``(r,)``, sums to one for orthogonal projectors (an orthogonal representation).

    Raises:
        ValueError: ``z`` is not ``(N, d)`` with the projectors' ``d``, or it is constant.
    """
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] != projectors.shape[-1]:
        raise ValueError(f"codes must be (N, {projectors.shape[-1]}), got shape {z.shape}")
    zc = z - z.mean(0)
    total = np.sum(zc ** 2)
    if total == 0:
        raise ValueError("codes are constant: no variance to share out")
    return np.array([np.sum(np.abs(zc @ p.T) ** 2) for p in projectors]) / total
