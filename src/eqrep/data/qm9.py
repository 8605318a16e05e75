"""QM9 as dense heavy-atom graphs (Hansen et al. 2024, Sec. 5.1; Ramakrishnan et al. 2014).

Each molecule becomes a graph on ``n = 9`` node slots (QM9 molecules have at most 9 heavy
atoms), padded with a *not-a-node* type, and kekulized bonds with a *not-an-edge* type:

* ``nodes``: ``int8 (N, 9)``, values index :data:`NODE_TYPES` (``4`` = not-a-node);
* ``edges``: ``int8 (N, 9, 9)``, symmetric, values index :data:`BOND_TYPES` (``3`` = not-an-edge,
  also on the diagonal);
* ``properties``: ``float32 (N, 12)``, the 12 standard targets :data:`PROPERTIES` in QM9's units.

The source is the PyPI package ``qm9pack`` (MIT; the full 130,831 molecules with SMILES and
properties), so everything works offline. The dense tensors are cached under
``data/qm9/`` with a manifest; the cache is rebuilt when missing or when its manifest does not
match this code, and a corrupt cache raises :class:`CorruptCacheError`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from eqrep.data.paths import data_dir

__all__ = [
    "NODE_TYPES",
    "BOND_TYPES",
    "PROPERTIES",
    "MAX_NODES",
    "CorruptCacheError",
    "QM9",
    "smiles_to_dense",
    "dense_to_molecule",
    "dense_to_smiles",
    "canonical_smiles",
    "one_hot_graphs",
    "load_qm9",
    "qm9pack_csv_files",
]

MAX_NODES = 9
NODE_TYPES = ("C", "N", "O", "F", "not-a-node")
BOND_TYPES = ("single", "double", "triple", "not-an-edge")
NO_NODE, NO_EDGE = len(NODE_TYPES) - 1, len(BOND_TYPES) - 1
PROPERTIES = {  # name: (qm9pack column, unit)
    "mu": ("Dipole_debye", "D"),
    "alpha": ("Polarizability_bohr3", "bohr^3"),
    "homo": ("HOMO_au", "Ha"),
    "lumo": ("LUMO_au", "Ha"),
    "gap": ("HOMO_LUMO_gap_au", "Ha"),
    "r2": ("R2_bohr2", "bohr^2"),
    "zpve": ("ZPVE_au", "Ha"),
    "u0": ("InternalEnergy_0K_au", "Ha"),
    "u": ("InternalEnergy_298K_au", "Ha"),
    "h": ("Enthalphy_298K_au", "Ha"),
    "g": ("GibbsFreeEnergy_298K_au", "Ha"),
    "cv": ("Heatcapacity_Cv_cal_mol_K", "cal/(mol K)"),
}
CACHE_VERSION = 1
SPLIT_SEED = 0
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)


class CorruptCacheError(RuntimeError):
    """The cached tensors cannot be read; delete the named file to rebuild it."""


# ----------------------------------------------------------------------------- molecules <-> tensors

def _bond_index(bond) -> int:
    from rdkit import Chem

    table = {Chem.BondType.SINGLE: 0, Chem.BondType.DOUBLE: 1, Chem.BondType.TRIPLE: 2}
    if bond.GetBondType() not in table:
        raise ValueError(f"bond type {bond.GetBondType()} left after kekulization")
    return table[bond.GetBondType()]


def smiles_to_dense(smiles: str, max_nodes: int = MAX_NODES) -> tuple[np.ndarray, np.ndarray]:
    """Heavy-atom graph of a SMILES string.

    Returns:
        ``nodes`` ``int8 (max_nodes,)`` and ``edges`` ``int8 (max_nodes, max_nodes)``.

    Raises:
        ValueError: invalid SMILES, an element outside C/N/O/F, or too many heavy atoms.
    """
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise ValueError(f"invalid SMILES {smiles!r}: RDKit cannot parse it")
    Chem.Kekulize(mol, clearAromaticFlags=True)
    if mol.GetNumAtoms() > max_nodes:
        raise ValueError(f"SMILES {smiles!r} has {mol.GetNumAtoms()} heavy atoms > {max_nodes}")
    nodes = np.full(max_nodes, NO_NODE, dtype=np.int8)
    edges = np.full((max_nodes, max_nodes), NO_EDGE, dtype=np.int8)
    for atom in mol.GetAtoms():
        symbol = atom.GetSymbol()
        if symbol not in NODE_TYPES[:NO_NODE]:
            raise ValueError(f"SMILES {smiles!r} contains {symbol}; only C, N, O, F are encoded")
        nodes[atom.GetIdx()] = NODE_TYPES.index(symbol)
    for bond in mol.GetBonds():
        i, j, b = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx(), _bond_index(bond)
        edges[i, j] = edges[j, i] = b
    return nodes, edges


def dense_to_molecule(nodes: np.ndarray, edges: np.ndarray):
    """RDKit molecule of a dense graph, or ``None`` if it is not a valid molecule.

    Args:
        nodes: ``(n,)`` node-type indices; edges: ``(n, n)`` bond-type indices (upper triangle used).

    A graph is valid when RDKit can sanitize it (valences respected, hydrogens implicit) and it
    is connected (one fragment).
    """
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")  # invalid valences are an expected outcome here, not news
    nodes, edges = np.asarray(nodes), np.asarray(edges)
    keep = [i for i in range(len(nodes)) if nodes[i] != NO_NODE]
    if not keep:
        return None
    mol = Chem.RWMol()
    index = {}
    for i in keep:
        index[i] = mol.AddAtom(Chem.Atom(NODE_TYPES[int(nodes[i])]))
    order = [Chem.BondType.SINGLE, Chem.BondType.DOUBLE, Chem.BondType.TRIPLE]
    for a, i in enumerate(keep):
        for j in keep[a + 1:]:
            if edges[i, j] != NO_EDGE:
                mol.AddBond(index[i], index[j], order[int(edges[i, j])])
    try:
        Chem.SanitizeMol(mol)
    except Exception:  # noqa: BLE001 - RDKit raises several exception types for invalid valences
        return None
    if len(Chem.GetMolFrags(mol)) != 1:
        return None
    return mol.GetMol()


def canonical_smiles(smiles: str) -> str | None:
    """RDKit canonical SMILES without stereochemistry (the graphs carry none), or ``None``."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles)
    return None if mol is None else Chem.MolToSmiles(mol, isomericSmiles=False)


def dense_to_smiles(nodes: np.ndarray, edges: np.ndarray) -> str | None:
    """Canonical SMILES of a dense graph (node types ``(n,)``, bond types ``(n, n)``), or ``None``
    if it is not a valid molecule."""
    from rdkit import Chem

    mol = dense_to_molecule(nodes, edges)
    return None if mol is None else Chem.MolToSmiles(mol, isomericSmiles=False)


def one_hot_graphs(nodes: torch.Tensor, edges: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One-hot features of index tensors: ``(B, n) -> (B, n, 5)`` and ``(B, n, n) -> (B, n, n, 4)``."""
    return (torch.nn.functional.one_hot(nodes.long(), len(NODE_TYPES)).float(),
            torch.nn.functional.one_hot(edges.long(), len(BOND_TYPES)).float())


# ----------------------------------------------------------------------------- the dataset

def qm9pack_csv_files() -> list[Path]:
    """The CSV files shipped in the ``qm9pack`` package (located without importing it)."""
    spec = importlib.util.find_spec("qm9pack")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the package 'qm9pack' is not installed; `pip install qm9pack` provides QM9 offline")
    folder = Path(list(spec.submodule_search_locations)[0]) / "data"
    files = [folder / f"qm9_part{i}.csv" for i in (1, 2, 3)]
    missing = [f for f in files if not f.exists()]
    if missing:
        raise FileNotFoundError(f"qm9pack is missing its data files {missing}")
    return files


def _source_fingerprint(files: list[Path]) -> str:
    return hashlib.sha256("|".join(f"{f.name}:{f.stat().st_size}" for f in files).encode()).hexdigest()[:16]


def _manifest(files: list[Path]) -> dict:
    return {"version": CACHE_VERSION, "max_nodes": MAX_NODES, "node_types": list(NODE_TYPES),
            "bond_types": list(BOND_TYPES), "properties": list(PROPERTIES), "split_seed": SPLIT_SEED,
            "split_fractions": list(SPLIT_FRACTIONS), "source": "qm9pack", "source_fingerprint":
            _source_fingerprint(files)}


def _encode_all(smiles: list[str]) -> tuple[np.ndarray, np.ndarray]:
    nodes = np.empty((len(smiles), MAX_NODES), dtype=np.int8)
    edges = np.empty((len(smiles), MAX_NODES, MAX_NODES), dtype=np.int8)
    for k, s in enumerate(smiles):
        nodes[k], edges[k] = smiles_to_dense(s)
    return nodes, edges


@dataclass
class QM9:
    """Dense QM9 graphs with properties and a fixed 80/10/10 split.

    Attributes:
        nodes: ``int8 (N, 9)`` node types; edges: ``int8 (N, 9, 9)`` bond types.
        properties: ``float32 (N, 12)``, columns :data:`PROPERTIES`.
        smiles: ``(N,)`` SMILES strings as given by the source.
        split: ``{"train", "val", "test"}`` -> index arrays.
        source: Where the molecules came from.
    """

    nodes: np.ndarray
    edges: np.ndarray
    properties: np.ndarray
    smiles: np.ndarray
    split: dict[str, np.ndarray]
    source: str

    def __len__(self) -> int:
        return len(self.nodes)

    def tensors(self, part: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
        """Index tensors ``(nodes (M, 9), edges (M, 9, 9))`` of one split, as ``torch.long``."""
        idx = self.split[part]
        return torch.from_numpy(self.nodes[idx]).long(), torch.from_numpy(self.edges[idx]).long()


def _build(files: list[Path], verbose: bool) -> dict[str, np.ndarray]:
    import pandas as pd

    start = time.perf_counter()
    columns = ["SMILES"] + [c for c, _ in PROPERTIES.values()]
    table = pd.concat([pd.read_csv(f, usecols=columns) for f in files], ignore_index=True)
    smiles = table["SMILES"].tolist()
    nodes, edges = _encode_all(smiles)
    properties = table[[c for c, _ in PROPERTIES.values()]].to_numpy(np.float32)
    perm = np.random.default_rng(SPLIT_SEED).permutation(len(smiles))
    n_train, n_val = int(SPLIT_FRACTIONS[0] * len(perm)), int(SPLIT_FRACTIONS[1] * len(perm))
    if verbose:
        print(f"QM9: encoded {len(smiles):,} molecules from qm9pack in {time.perf_counter() - start:.1f} s")
    return {"nodes": nodes, "edges": edges, "properties": properties, "smiles": np.array(smiles),
            "train": np.sort(perm[:n_train]), "val": np.sort(perm[n_train:n_train + n_val]),
            "test": np.sort(perm[n_train + n_val:])}


def load_qm9(cache_dir: Path | str | None = None, verbose: bool = True) -> QM9:
    """Load QM9 (130,831 molecules) from the cache, building it from ``qm9pack`` when needed.

    Args:
        cache_dir: Folder of the cache; default ``data_dir() / "qm9"``.
        verbose: Print the source and what was done.

    Raises:
        CorruptCacheError: the cache files exist and match, but cannot be read.
        FileNotFoundError: ``qm9pack`` is not installed.
    """
    folder = Path(cache_dir) if cache_dir is not None else data_dir() / "qm9"
    folder.mkdir(parents=True, exist_ok=True)
    files = qm9pack_csv_files()
    tensors_path, manifest_path = folder / "qm9_dense.npz", folder / "manifest.json"
    want = _manifest(files)
    have = None
    if manifest_path.exists():
        try:
            have = json.loads(manifest_path.read_text())
        except json.JSONDecodeError as err:
            raise CorruptCacheError(f"QM9 cache manifest {manifest_path} is not valid JSON ({err}); "
                                    f"delete {folder} to rebuild it") from err
    if have != want or not tensors_path.exists():
        if verbose:
            reason = "missing" if have is None or not tensors_path.exists() else "out of date"
            print(f"QM9 cache {reason}: building it in {folder}")
        arrays = _build(files, verbose)
        tmp = tensors_path.with_suffix(".tmp.npz")
        np.savez(tmp, **arrays)
        tmp.replace(tensors_path)
        manifest_path.write_text(json.dumps(want, indent=1))
    try:
        with np.load(tensors_path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as err:
        raise CorruptCacheError(f"QM9 cache {tensors_path} is corrupt ({type(err).__name__}: {err}); "
                                f"delete it to rebuild") from err
    expected = {"nodes", "edges", "properties", "smiles", "train", "val", "test"}
    if set(arrays) != expected or arrays["nodes"].shape[1:] != (MAX_NODES,):
        raise CorruptCacheError(f"QM9 cache {tensors_path} has arrays {sorted(arrays)} of unexpected form; "
                                f"delete it to rebuild")
    data = QM9(nodes=arrays["nodes"], edges=arrays["edges"], properties=arrays["properties"],
               smiles=arrays["smiles"], split={k: arrays[k] for k in ("train", "val", "test")},
               source="qm9pack (PyPI, MIT): QM9 of Ramakrishnan et al. 2014, 130,831 molecules")
    if verbose:
        sizes = ", ".join(f"{k} {len(v):,}" for k, v in data.split.items())
        print(f"QM9 source: {data.source}; {len(data):,} molecules ({sizes})")
    return data
