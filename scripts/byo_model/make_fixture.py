#!/usr/bin/env python3
"""Builds the "bring your own model" fixtures served by Matchday's tests.

A 3-class scikit-learn classifier exported with skl2onnx (zipmap disabled),
with the model card Matchday's registry expects and the probabilities
onnxruntime computes for a few rows, so the Rust tests can check that the
`predict` component (tract) serves the same numbers without calling Python.

Also writes the broken models the publish validation must refuse:
- `nan_model.onnx`: the same classifier with one NaN coefficient, so every
  prediction is NaN (a card that is otherwise valid);
- `narrow_model.onnx`: a classifier trained on one feature fewer than the
  card lists (wrong input width).

Usage (from the repository root; needs network access to PyPI once):
    python3 -m venv /tmp/byo && /tmp/byo/bin/pip install scikit-learn skl2onnx onnxruntime
    /tmp/byo/bin/python scripts/byo_model/make_fixture.py [--out tests/fixtures/byo_model] [--trees]

Everything is seeded: running it again gives the same models and numbers
(for the same library versions, recorded in the card's `params`).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import hashlib
import json
import pathlib

import numpy as np
import onnxruntime as ort
import sklearn
import skl2onnx
from skl2onnx import to_onnx
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

# The names Matchday's own pipeline publishes, so the fixture can also serve
# `GET /predict/{match_id}` from published features.
FEATURES = [
    "diff_win_5_mean",
    "diff_draw_5_mean",
    "diff_points_5_mean",
    "diff_goals_for_5_mean",
    "diff_goals_against_5_mean",
    "diff_elo",
]
LABELS = ["home_win", "draw", "away_win"]
SEED = 20261123


def synthetic_matches(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Features on the scale of the real ones, outcomes from a known model."""
    strength = rng.normal(0.0, 1.0, n)  # latent home-minus-away strength
    x = np.column_stack(
        [
            0.25 * strength + rng.normal(0, 0.25, n),  # win rate diff
            rng.normal(0, 0.2, n),  # draw rate diff
            0.8 * strength + rng.normal(0, 0.7, n),  # points diff
            0.5 * strength + rng.normal(0, 0.6, n),  # goals for diff
            -0.4 * strength + rng.normal(0, 0.6, n),  # goals against diff
            120 * strength + 60 + rng.normal(0, 40, n),  # elo diff (+home edge)
        ]
    )
    home = 0.25 + 0.9 * strength
    away = -0.15 - 0.9 * strength
    logits = np.column_stack([home, np.zeros(n), away])
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in p])
    return x.astype(np.float32), y


def scores(p: np.ndarray, y: np.ndarray) -> dict:
    """Log-loss, ranked probability score, Brier, accuracy, ECE (10 bins)."""
    n = len(y)
    onehot = np.eye(3)[y]
    eps = 1e-15
    log_loss = float(-np.mean(np.log(np.clip(p[np.arange(n), y], eps, 1))))
    cum_p, cum_o = np.cumsum(p, axis=1)[:, :2], np.cumsum(onehot, axis=1)[:, :2]
    rps = float(np.mean(np.sum((cum_p - cum_o) ** 2, axis=1) / 2))
    brier = float(np.mean(np.sum((p - onehot) ** 2, axis=1)))
    pred = p.argmax(axis=1)
    accuracy = float(np.mean(pred == y))
    conf = p.max(axis=1)
    bins = np.minimum((conf * 10).astype(int), 9)
    ece = 0.0
    for b in range(10):
        mask = bins == b
        if mask.any():
            ece += mask.mean() * abs(np.mean(pred[mask] == y[mask]) - conf[mask].mean())
    return {"n": n, "log_loss": log_loss, "rps": rps, "brier": brier, "accuracy": accuracy, "ece": float(ece)}


def export(model, n_features: int) -> bytes:
    onx = to_onnx(
        model,
        np.zeros((1, n_features), dtype=np.float32),
        options={id(model): {"zipmap": False}},
        target_opset={"": 13, "ai.onnx.ml": 1},
    )
    return onx.SerializeToString()


def run_onnx(onnx_bytes: bytes, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    outputs = session.run(["probabilities"], {name: x.astype(np.float32)})
    return np.asarray(outputs[0], dtype=np.float64)


def card_for(name: str, kind: str, model, onnx_bytes: bytes, x_train, x_test, y_test, p_test, created_at):
    fills = x_train.mean(axis=0)
    params = {k: v for k, v in model.get_params().items() if isinstance(v, (int, float, str, bool)) or v is None}
    params.update({"sklearn": sklearn.__version__, "skl2onnx": skl2onnx.__version__, "seed": SEED})
    return {
        "name": name,
        "version": f"{kind}-1",
        "run_id": "run-" + hashlib.sha256(onnx_bytes).hexdigest()[:16],
        "created_at": created_at,
        "model_type": f"sklearn.{type(model).__name__} via skl2onnx",
        "input": {"name": "float_input", "dtype": "float32", "shape": ["N", len(FEATURES)]},
        "output": {"name": "probabilities", "dtype": "float32", "shape": ["N", 3]},
        "features": [
            {"name": f, "dtype": "float32", "fill_value": float(np.float32(v))} for f, v in zip(FEATURES, fills)
        ],
        # The graph has no NaN handling of its own: the server fills first.
        "missing_values": "fill_before_inference",
        "class_labels": LABELS,
        "params": params,
        "data_window": {"source": "synthetic", "n_train": int(len(x_train)), "n_test": int(len(x_test))},
        "test_metrics": scores(p_test, y_test),
    }


def expected_rows(onnx_bytes: bytes, card: dict, x_test: np.ndarray, model) -> list[dict]:
    """Twelve complete rows and three with missing features (null), each with
    the probabilities onnxruntime computes after filling like the server."""
    fills = np.array([f["fill_value"] for f in card["features"]], dtype=np.float32)
    rows = [x_test[i].copy() for i in range(12)]
    missing = []
    for i, drop in enumerate([[0], [5], [1, 3]]):
        row = x_test[12 + i].copy()
        missing.append(drop)
        rows.append(row)
    filled = np.array(rows, dtype=np.float32)
    for k, drop in enumerate(missing):
        filled[12 + k, drop] = fills[drop]
    p_onnx = run_onnx(onnx_bytes, filled)
    p_sklearn = model.predict_proba(filled.astype(np.float64))
    assert np.max(np.abs(p_onnx - p_sklearn)) < 1e-5, "onnxruntime and scikit-learn disagree"
    out = []
    for k, row in enumerate(rows):
        dropped = missing[k - 12] if k >= 12 else []
        features = {
            name: (None if j in dropped else float(row[j])) for j, name in enumerate(FEATURES)
        }
        out.append({"features": features, "probabilities": [float(v) for v in p_onnx[k]]})
    return out


def write(out: pathlib.Path, name: str, data) -> None:
    path = out / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="tests/fixtures/byo_model")
    parser.add_argument("--trees", action="store_true", help="also write a 300-tree GradientBoosting model (benchmarks)")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    rng = np.random.default_rng(SEED)
    x, y = synthetic_matches(4000, rng)
    x_train, y_train, x_test, y_test = x[:3000], y[:3000], x[3000:], y[3000:]
    created_at = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone.utc).isoformat().replace("+00:00", "Z")

    logreg = LogisticRegression(C=1.0, max_iter=1000).fit(x_train, y_train)
    onnx_bytes = export(logreg, len(FEATURES))
    p_test = run_onnx(onnx_bytes, x_test)
    card = card_for("byo-logreg", "sklearn-logreg", logreg, onnx_bytes, x_train, x_test, y_test, p_test, created_at)
    write(out, "model.onnx", onnx_bytes)
    write(out, "model_card.json", card)
    write(out, "expected.json", {"model": "model.onnx", "tolerance": 1e-5, "rows": expected_rows(onnx_bytes, card, x_test, logreg)})

    # One NaN weight: every output is NaN, whatever the input.
    broken = copy.deepcopy(logreg)
    broken.coef_ = broken.coef_.copy()
    broken.coef_[0, 0] = np.nan
    write(out, "nan_model.onnx", export(broken, len(FEATURES)))

    # Trained on the first five features only; the card lists six.
    narrow = LogisticRegression(max_iter=1000).fit(x_train[:, :5], y_train)
    write(out, "narrow_model.onnx", export(narrow, 5))

    if args.trees:
        gbt = GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=SEED).fit(x_train, y_train)
        gbt_bytes = export(gbt, len(FEATURES))
        p_gbt = run_onnx(gbt_bytes, x_test)
        assert np.max(np.abs(p_gbt - gbt.predict_proba(x_test.astype(np.float64)))) < 1e-5
        gbt_card = card_for("byo-gbt", "sklearn-gbt", gbt, gbt_bytes, x_train, x_test, y_test, p_gbt, created_at)
        write(out, "gbt_model.onnx", gbt_bytes)
        write(out, "gbt_model_card.json", gbt_card)
        write(out, "gbt_expected.json", {"model": "gbt_model.onnx", "tolerance": 1e-5, "rows": expected_rows(gbt_bytes, gbt_card, x_test, gbt)})


if __name__ == "__main__":
    main()
