"""Numbers of the scoreboard that need the data and forward passes, recorded into the shipped
manifests: ``python -m eqrep.claims.record graph_vae|so2|equivae|all``.

Each recorder repeats a chapter's computation on the shipped model with the chapter's default
parameters and seed 0 (graph VAE: chapter 5, Sections 5.4-5.7; SO(2) classifier and CNN:
chapter 6, Sections 6.3, 6.7, 6.8; EquiVAE: chapter 9, Sections 9.4-9.5) and writes the results
into the ``"claims"`` section of the shipped ``manifest.json`` (values, the command, the commit and
the date), where :func:`eqrep.claims.recorded` reads them. A shipped model trained again
(``--ship``) gets a fresh manifest without that section: record again (the claims are then
``pending``, which ``tests/test_claims.py`` reports).

Minutes on two CPU cores: graph VAE about 5 (QM9, 2,000 interpolations), SO(2) about 3 (5,000
digits through the escnn model), EquiVAE about 1.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from eqrep.claims import _manifest_cached
from eqrep.shipped import shipped

__all__ = ["record_graph_vae", "record_so2", "record_equivae", "write", "main"]

COMMAND = "python -m eqrep.claims.record {what}"


def _commit() -> str:
    try:
        root = Path(__file__).resolve().parents[3]
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "src"], capture_output=True,
                               text=True, check=True).stdout.strip()
        return out + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write(name: str, values: dict[str, Any], what: str, parameters: dict[str, Any]) -> Path:
    """Store ``values`` in the ``"claims"`` section of shipped ``name``'s manifest."""
    path = shipped(name) / "manifest.json"
    text = path.read_text()
    manifest = json.loads(text)
    manifest["claims"] = {"values": values, "parameters": parameters, "command": COMMAND.format(what=what),
                          "commit": _commit(),
                          "written": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S%z")}
    path.write_text(json.dumps(manifest, indent=1) + ("\n" if text.endswith("\n") else ""))
    _manifest_cached.cache_clear()
    return path


def _py(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def record_graph_vae(seed: int = 0, n_interpolations: int = 2000, n_knn_train: int = 20_000) -> dict[str, Any]:
    """Chapter 5's Figs. 2, 4 and 5 on the shipped graph VAE."""
    import torch
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LinearRegression

    from eqrep.analysis import encode_graphs, hamming_steps, interpolate, invariant_representations, knn_mae
    from eqrep.data import PROPERTIES, load_qm9
    from eqrep.train import load_graph_vae

    qm9 = load_qm9()
    test = qm9.split["test"]
    model, _ = load_graph_vae(shipped("graph_vae"))
    nodes_test, edges_test = qm9.tensors("test")
    z_test = encode_graphs(model, nodes_test, edges_test, permute=True, seed=seed)
    y_test = qm9.properties[test]
    reps_test = invariant_representations(z_test, power_sums=False)

    def r2(z: np.ndarray) -> float:
        pcs = PCA(2).fit_transform(z)
        return float(np.mean([LinearRegression().fit(pcs, y_test[:, j]).score(pcs, y_test[:, j])
                              for j in range(y_test.shape[1])]))

    r2_raw, r2_sorted = r2(z_test), r2(reps_test["sorted"])

    rng = np.random.default_rng(seed)
    pairs = np.array([rng.choice(len(test), 2, replace=False) for _ in range(n_interpolations)])
    many = interpolate(model, z_test[pairs[:, 0]], z_test[pairs[:, 1]], steps=25)
    mean_step = {name: hamming_steps(nodes, edges).mean(axis=1) for name, (_, nodes, edges) in many.items()}
    smoother = float(np.mean(mean_step["invariant"] < mean_step["equivariant"]))

    train_idx = np.sort(rng.choice(qm9.split["train"], size=min(n_knn_train, len(qm9.split["train"])),
                                   replace=False))
    nodes_train, edges_train = (torch.from_numpy(a[train_idx]).long() for a in (qm9.nodes, qm9.edges))
    z_train = encode_graphs(model, nodes_train, edges_train, permute=True, seed=seed + 1)
    y_train = qm9.properties[train_idx]
    representations = {
        "equivariant": (z_train, z_test),
        **{name: (rep, reps_test[name]) for name, rep in invariant_representations(z_train, power_sums=False).items()},
        "power sums": (invariant_representations(z_train, poolings=())["power sums"],
                       invariant_representations(z_test, poolings=())["power sums"]),
    }
    mae = {name: knn_mae(tr, y_train, te, y_test, [10])[0] for name, (tr, te) in representations.items()}
    names = list(mae)
    table = np.stack([mae[n] for n in names])  # (representations, 12)
    poolings = ["sum", "max", "min", "std", "norm"]
    sorted_mae = mae["sorted"]
    beats_raw = sorted_mae < mae["equivariant"]
    beats_pool = np.all([sorted_mae < mae[p] for p in poolings], axis=0)
    best = np.array(names)[table.argmin(0)]
    props = list(PROPERTIES)
    values = {
        "r2_gain": r2_sorted - r2_raw,
        "r2_gain_details": {"r2_raw": r2_raw, "r2_sorted": r2_sorted},
        "hamming_smoother": smoother,
        "hamming_smoother_details": {"ham_raw": float(mean_step["equivariant"].mean()),
                                     "ham_sorted": float(mean_step["invariant"].mean()), "pairs": n_interpolations},
        "knn_beats_raw": int(beats_raw.sum()),
        "knn_beats_raw_details": {"missed": ", ".join(p for p, b in zip(props, beats_raw, strict=True) if not b)
                                  or "none", "knn_train": len(train_idx)},
        "knn_beats_poolings": int(beats_pool.sum()),
        "knn_beats_poolings_details": {"missed": ", ".join(p for p, b in zip(props, beats_pool, strict=True) if not b)
                                       or "none"},
        "knn_best": int((best == "sorted").sum()),
        "knn_best_details": {"best_elsewhere": ", ".join(f"{p} ({b})" for p, b in zip(props, best, strict=True)
                                                         if b != "sorted") or "none"},
    }
    write("graph_vae", values, "graph_vae", {"seed": seed, "n_interpolations": n_interpolations,
                                             "n_knn_train": n_knn_train, "k": 10})
    return values


def record_so2(seed: int = 0, n_projection_seeds: int = 5, projection_dim: int = 32) -> dict[str, Any]:
    """Chapter 6's invariance check, Figs. 6, 7 and 8 on the shipped SO(2) classifier and CNN."""
    from sklearn.decomposition import PCA
    from sklearn.neighbors import KNeighborsClassifier

    from eqrep.actions import rotate_digits
    from eqrep.analysis import encode_images, knn_f1, logits_over_angles, random_invariant_projection
    from eqrep.data import load_mnist
    from eqrep.train import TEST_ROTATION_SEED, load_classifier, rotated_split

    mnist = load_mnist("offline")
    test_x, test_y, _ = rotated_split(mnist, "test")
    train_images, train_labels = mnist.part("train")
    train_x, _ = rotate_digits(train_images, seed=TEST_ROTATION_SEED + 1)
    aligned_test_x, _ = rotate_digits(mnist.part("test")[0], angles=np.zeros(len(test_y)))
    aligned_train_x, _ = rotate_digits(train_images, angles=np.zeros(len(train_images)))
    test_labels = test_y.numpy()
    so2, _ = load_classifier(shipped("so2_classifier"))
    cnn, _ = load_classifier(shipped("so2_classifier_cnn"))

    angles = np.radians(np.arange(0, 361, 3))
    digit = aligned_test_x[int(np.flatnonzero(test_labels == 4)[0])]
    logits = logits_over_angles(so2, digit, angles)
    change = np.linalg.norm(logits - logits[0], axis=1) / np.linalg.norm(logits[0])
    quarter = np.arange(0, 361, 3) % 90 == 0

    ks = (1, 3, 5, 10, 20, 50)
    z_train, z_test = encode_images(so2, train_x), encode_images(so2, test_x)
    f1_eq = knn_f1(z_train, train_labels, z_test, test_labels, ks)
    projections = [random_invariant_projection(so2, projection_dim, seed=s) for s in range(n_projection_seeds)]
    f1_proj = np.stack([knn_f1(z_train @ p.T, train_labels, z_test @ p.T, test_labels, ks) for p in projections])
    best_k = int(np.argmax(f1_proj.mean(0)))

    def pca_knn(train: np.ndarray, test: np.ndarray) -> float:
        pca = PCA(2, random_state=seed).fit(train)
        knn = KNeighborsClassifier(10).fit(pca.transform(train), train_labels)
        return float(knn.score(pca.transform(test), test_labels))

    pca_eq, pca_proj = pca_knn(z_train, z_test), pca_knn(z_train @ projections[0].T, z_test @ projections[0].T)

    c_rot = knn_f1(encode_images(cnn, train_x), train_labels, encode_images(cnn, test_x), test_labels, ks)
    c_aligned = knn_f1(encode_images(cnn, aligned_train_x), train_labels, encode_images(cnn, aligned_test_x),
                       test_labels, ks)
    f1_rotated, f1_aligned = float(c_rot.max()), float(c_aligned.max())
    best_eq, best_proj = float(f1_eq.max()), float(f1_proj.mean(0).max())
    so2_values = {
        "invariance_error": float(change[~quarter].max()),
        "invariance_error_details": {"at_90": float(change[quarter].max())},
        "pca_knn_gain": pca_proj - pca_eq,
        "pca_knn_gain_details": {"pca_eq": pca_eq, "pca_proj": pca_proj},
        "knn_projection_wins": float(np.mean(f1_proj > f1_eq[None, :])),
        "knn_projection_wins_details": {"f1_eq": float(f1_eq[best_k]), "f1_proj": float(f1_proj.mean(0)[best_k]),
                                        "best_k": ks[best_k]},
    }
    cnn_values = {
        "aligned_gain": f1_aligned - f1_rotated,
        "aligned_gain_details": {"f1_rotated": f1_rotated, "f1_aligned": f1_aligned},
        "like_so2": [f1_rotated < f1_aligned, f1_rotated <= best_proj],
        "like_so2_details": {"f1_rotated": f1_rotated, "f1_eq": best_eq, "f1_proj": best_proj},
    }
    parameters = {"seed": seed, "n_projection_seeds": n_projection_seeds, "projection_dim": projection_dim,
                  "ks": list(ks), "f1": "best k for each representation (macro F1)"}
    write("so2_classifier", so2_values, "so2", parameters)
    write("so2_classifier_cnn", cnn_values, "so2", parameters)
    return {**so2_values, **cnn_values}


def record_equivae(seed: int = 0, m: int = 5) -> dict[str, Any]:
    """Chapter 9's Figs. 3-5 measurements on the shipped EquiVAE (16-D) and its 2-D twin."""
    import torch
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    from eqrep.analysis import class_latents
    from eqrep.device import seed_everything
    from eqrep.models import class_means, distance_logits, embed_images
    from eqrep.train import load_equivae
    from eqrep.train.equivae import CONFIGS, load_data

    seed_everything(seed)
    data = load_data(CONFIGS["default"])
    model, _ = load_equivae(shipped("equivae"))
    model_2d, _ = load_equivae(shipped("equivae_2d"))
    means = class_means(embed_images(model, data.train_x), data.train_y, 10)

    def judged(images: torch.Tensor) -> torch.Tensor:
        return distance_logits(embed_images(model, images), means).argmax(1)

    out = {}
    torch.manual_seed(seed)
    with torch.no_grad():
        for key, mdl in [("16", model), ("2", model_2d)]:
            r_val, v_val, _ = class_latents(mdl, data.val_x, data.val_y, data.train_x, data.train_y, m, seed)
            if key == "16":
                out["knn_v"] = float(cross_val_score(KNeighborsClassifier(10), v_val.numpy(), data.val_y.numpy(),
                                                     cv=5).mean())
            mean_r = torch.stack([r_val[data.val_y == c].mean(0) for c in range(10)])
            y_prior = torch.arange(10).repeat(20)
            prior = judged(mdl.mean_image(mean_r[y_prior], torch.randn(len(y_prior), mdl.config.v_size)))
            out[f"prior_ok_{key}"] = float((prior == y_prior).float().mean())
    parameters = {"seed": seed, "m": m, "prior_samples": 200, "judge": "distance classifier of the 16-D model"}
    write("equivae", {"knn_v": out["knn_v"], "prior_ok_16": out["prior_ok_16"]}, "equivae", parameters)
    write("equivae_2d", {"prior_ok_2": out["prior_ok_2"]}, "equivae", parameters)
    return out


RECORDERS = {"graph_vae": record_graph_vae, "so2": record_so2, "equivae": record_equivae}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eqrep.claims.record", description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=[*RECORDERS, "all"])
    args = parser.parse_args(argv)
    for name in RECORDERS if args.what == "all" else [args.what]:
        values = RECORDERS[name]()
        print(name, json.dumps({k: _py(v) for k, v in values.items() if not k.endswith("_details")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
