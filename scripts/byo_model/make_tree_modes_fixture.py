#!/usr/bin/env python3
"""Builds `tree_modes_model.onnx`: a hand-made `ai.onnx.ml`
TreeEnsembleClassifier whose branches use BRANCH_GTE, BRANCH_GT, BRANCH_LT
and BRANCH_LEQ, with leaves that vote for several classes, and
`tree_modes_expected.json`: the probabilities onnxruntime gives for rows on
both sides of (and exactly at) every threshold.

Exporters pick different comparison modes (skl2onnx writes BRANCH_LEQ,
others BRANCH_LT or BRANCH_GTE); tract 0.23.9 read BRANCH_GTE nodes as
leaves, which vendor/tract-onnx-opl fixes. The Rust test
(`crates/inference/tests/tree_modes.rs`) checks tract against these numbers.

Usage (from the repository root; needs network access to PyPI once):
    python3 -m venv /tmp/byo && /tmp/byo/bin/pip install onnx onnxruntime
    /tmp/byo/bin/python scripts/byo_model/make_tree_modes_fixture.py
"""
from __future__ import annotations

import itertools
import json
import pathlib

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

OUT = pathlib.Path("tests/fixtures/byo_model")

# (tree, node, mode, feature, threshold, true node, false node); leaves are
# listed in LEAVES as (tree, node) -> [(class, weight), ...].
BRANCHES = [
    (0, 0, "BRANCH_GTE", 0, 0.5, 1, 2),
    (0, 2, "BRANCH_LEQ", 1, 0.0, 3, 4),
    (1, 0, "BRANCH_GTE", 1, -0.25, 1, 2),
    (2, 0, "BRANCH_LT", 0, 1.5, 1, 2),
    (2, 1, "BRANCH_GT", 1, 0.75, 3, 4),
]
LEAVES = {
    (0, 1): [(0, 0.9), (2, -0.3)],
    (0, 3): [(1, 0.6)],
    (0, 4): [(2, 0.8), (1, 0.1)],
    (1, 1): [(0, 0.4), (1, -0.2), (2, 0.05)],
    (1, 2): [(2, 0.5)],
    (2, 2): [(0, -0.7), (1, 0.3)],
    (2, 3): [(1, 0.45), (2, -0.15)],
    (2, 4): [(0, 0.25)],
}


def model() -> onnx.ModelProto:
    nodes = sorted(
        [(t, n, mode, f, v, tn, fn) for t, n, mode, f, v, tn, fn in BRANCHES]
        + [(t, n, "LEAF", 0, 0.0, 0, 0) for t, n in LEAVES]
    )
    votes = [(t, n, c, w) for (t, n), vs in sorted(LEAVES.items()) for c, w in vs]
    ensemble = helper.make_node(
        "TreeEnsembleClassifier",
        ["X"],
        ["label", "scores"],
        domain="ai.onnx.ml",
        classlabels_int64s=[0, 1, 2],
        nodes_treeids=[n[0] for n in nodes],
        nodes_nodeids=[n[1] for n in nodes],
        nodes_modes=[n[2] for n in nodes],
        nodes_featureids=[n[3] for n in nodes],
        nodes_values=[n[4] for n in nodes],
        nodes_truenodeids=[n[5] for n in nodes],
        nodes_falsenodeids=[n[6] for n in nodes],
        nodes_missing_value_tracks_true=[0] * len(nodes),
        class_treeids=[v[0] for v in votes],
        class_nodeids=[v[1] for v in votes],
        class_ids=[v[2] for v in votes],
        class_weights=[v[3] for v in votes],
        base_values=[0.1, 0.0, -0.1],
        post_transform="SOFTMAX",
    )
    identity = helper.make_node("Identity", ["scores"], ["probabilities"])
    graph = helper.make_graph(
        [ensemble, identity],
        "tree_modes",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 2])],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 3]),
        ],
    )
    m = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 1)],
        producer_name="matchday make_tree_modes_fixture.py",
    )
    m.ir_version = 7
    onnx.checker.check_model(m)
    return m


def main() -> None:
    m = model()
    thresholds_0 = [-1.0, 0.5, 1.0, 1.5, 2.0]
    thresholds_1 = [-1.0, -0.25, 0.0, 0.5, 0.75, 1.0]
    x = np.array(list(itertools.product(thresholds_0, thresholds_1)), dtype=np.float32)
    session = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    probabilities = session.run(["probabilities"], {"X": x})[0]
    (OUT / "tree_modes_model.onnx").write_bytes(m.SerializeToString())
    expected = {
        "onnxruntime": ort.__version__,
        "rows": [
            {"features": [float(v) for v in row], "probabilities": [float(p) for p in ps]}
            for row, ps in zip(x, probabilities)
        ],
    }
    (OUT / "tree_modes_expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    print(f"{len(x)} rows → {OUT}/tree_modes_model.onnx, tree_modes_expected.json")


if __name__ == "__main__":
    main()
