//! Feature engineering, training, evaluation and ONNX export (work in progress).
